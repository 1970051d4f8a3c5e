// Expected values come from Istio's documented ambient conversion (reference 6.1 and 1.6), written
// by hand; none is produced by running the converter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertAuthorizationPolicy, stringMatch, type AuthorizationPolicyInput } from './authorization.ts';
import { emptyMatch } from '../model/wire.ts';

const base: AuthorizationPolicyInput = { name: 'p', namespace: 'prod', hasTargetRefs: false, action: 'ALLOW' };

test('string matching: exact, prefix, suffix, presence', () => {
  assert.deepEqual(stringMatch('cluster.local/ns/a/sa/b'), { exact: 'cluster.local/ns/a/sa/b' });
  assert.deepEqual(stringMatch('cluster.local/ns/a/*'), { prefix: 'cluster.local/ns/a/' });
  assert.deepEqual(stringMatch('*/sa/b'), { suffix: '/sa/b' });
  assert.deepEqual(stringMatch('*'), { presence: {} });
});

test('scope: selector, namespace, and the root namespace (mesh-wide)', () => {
  const cases: Array<[Partial<AuthorizationPolicyInput>, number]> = [
    [{ selector: { matchLabels: { app: 'web' } } }, 2],
    [{}, 1],
    [{ selector: { matchLabels: {} } }, 1],
    [{ namespace: 'istio-system' }, 0],
    [{ namespace: 'istio-system', selector: { matchLabels: { app: 'web' } } }, 2],
  ];
  for (const [patch, scope] of cases) assert.equal(convertAuthorizationPolicy({ ...base, ...patch }, 'istio-system').authorization?.scope, scope, JSON.stringify(patch));
});

test('policies for waypoints, AUDIT and CUSTOM are not sent to ztunnel', () => {
  for (const patch of [{ hasTargetRefs: true }, { action: 'AUDIT' as const }, { action: 'CUSTOM' as const }]) {
    assert.equal(convertAuthorizationPolicy({ ...base, ...patch }, 'istio-system').authorization, undefined);
  }
});

test('no rules matches nothing; one empty rule matches everything', () => {
  assert.deepEqual(convertAuthorizationPolicy({ ...base }, 'istio-system').authorization?.rules, []);
  assert.deepEqual(convertAuthorizationPolicy({ ...base, rules: [] }, 'istio-system').authorization?.rules, []);
  assert.deepEqual(convertAuthorizationPolicy({ ...base, rules: [{}] }, 'istio-system').authorization?.rules, [{ clauses: [] }]);
});

test('from, to and when become AND-ed clauses with OR-ed matches', () => {
  const { authorization, warning } = convertAuthorizationPolicy(
    {
      ...base,
      rules: [
        {
          from: [{ source: { principals: ['cluster.local/ns/prod/sa/frontend'] } }, { source: { namespaces: ['monitoring'], ipBlocks: ['10.244.0.0/16'] } }],
          to: [{ operation: { ports: ['8080', '9090'] } }],
          when: [{ key: 'source.ip', notValues: ['10.244.9.9'] }],
        },
      ],
    },
    'istio-system',
  );
  assert.equal(warning, undefined);
  assert.deepEqual(authorization?.rules, [
    {
      clauses: [
        {
          matches: [
            { ...emptyMatch(), principals: [{ exact: 'cluster.local/ns/prod/sa/frontend' }] },
            { ...emptyMatch(), namespaces: [{ exact: 'monitoring' }], source_ips: [{ address: Uint8Array.from([10, 244, 0, 0]), length: 16 }] },
          ],
        },
        { matches: [{ ...emptyMatch(), destination_ports: [8080, 9090] }] },
        { matches: [{ ...emptyMatch(), not_source_ips: [{ address: Uint8Array.from([10, 244, 9, 9]), length: 32 }] }] },
      ],
    },
  ]);
});

test('serviceAccounts without a namespace mean the policy namespace', () => {
  const rules = convertAuthorizationPolicy({ ...base, rules: [{ from: [{ source: { serviceAccounts: ['web', 'other/db'] } }] }] }, 'istio-system').authorization?.rules;
  assert.deepEqual(rules?.[0]?.clauses[0]?.matches[0]?.service_accounts, [
    { namespace: 'prod', serviceAccount: 'web' },
    { namespace: 'other', serviceAccount: 'db' },
  ]);
});

test('ALLOW rules with HTTP fields are dropped, making the policy stricter, and say so', () => {
  const { authorization, warning } = convertAuthorizationPolicy(
    {
      ...base,
      rules: [
        { from: [{ source: { namespaces: ['a'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] },
        { from: [{ source: { namespaces: ['b'] } }] },
      ],
    },
    'istio-system',
  );
  assert.equal(authorization?.rules.length, 1, 'only the L4 rule is kept');
  assert.deepEqual(authorization?.rules[0]?.clauses[0]?.matches[0]?.namespaces, [{ exact: 'b' }]);
  assert.match(warning ?? '', /methods, paths/);
  assert.match(warning ?? '', /more restrictive/);
});

test('an ALLOW policy whose only rule is HTTP-only ends with no rules: it denies everything', () => {
  const { authorization } = convertAuthorizationPolicy({ ...base, rules: [{ to: [{ operation: { paths: ['/x'] } }] }] }, 'istio-system');
  assert.deepEqual(authorization?.rules, []);
});

test('DENY rules keep only their L4 parts, so they deny more broadly', () => {
  const { authorization, warning } = convertAuthorizationPolicy(
    { ...base, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['evil'] } }], to: [{ operation: { methods: ['POST'] } }], when: [{ key: 'request.headers[x-user]', values: ['bob'] }] }] },
    'istio-system',
  );
  assert.equal(authorization?.action, 1);
  // The operation had only HTTP fields: its clause is dropped, so any port of that source is
  // denied (an empty Match would match nothing in ztunnel); the header condition is gone too.
  assert.deepEqual(authorization?.rules, [{ clauses: [{ matches: [{ ...emptyMatch(), namespaces: [{ exact: 'evil' }] }] }] }]);
  assert.match(warning ?? '', /request\.headers\[x-user\]/);
});

test('when keys ztunnel supports become matches of their own clause', () => {
  const cases: Array<[string, Partial<ReturnType<typeof emptyMatch>>]> = [
    ['source.namespace', { namespaces: [{ exact: 'v' }] }],
    ['source.principal', { principals: [{ exact: 'v' }] }],
    ['destination.port', { destination_ports: [] }],
  ];
  for (const [key, expected] of cases) {
    const rules = convertAuthorizationPolicy({ ...base, rules: [{ when: [{ key, values: ['v'] }] }] }, 'istio-system').authorization?.rules;
    assert.deepEqual(rules, [{ clauses: [{ matches: [{ ...emptyMatch(), ...expected }] }] }], key);
  }
  const port = convertAuthorizationPolicy({ ...base, rules: [{ when: [{ key: 'destination.port', values: ['443'] }] }] }, 'istio-system').authorization?.rules;
  assert.deepEqual(port?.[0]?.clauses[0]?.matches[0]?.destination_ports, [443]);
});

test('a DENY whose only rule is HTTP-only denies every connection to its target', () => {
  const { authorization } = convertAuthorizationPolicy({ ...base, action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }, 'istio-system');
  assert.deepEqual(authorization?.rules, [{ clauses: [] }], 'a rule without clauses matches everything');
});

test('a source entry left without L4 constraints widens the clause to any source', () => {
  const { authorization } = convertAuthorizationPolicy(
    { ...base, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['a'] } }, { source: { requestPrincipals: ['x/y'] } }], to: [{ operation: { ports: ['80'] } }] }] },
    'istio-system',
  );
  assert.deepEqual(authorization?.rules, [{ clauses: [{ matches: [{ ...emptyMatch(), destination_ports: [80] }] }] }]);
});
