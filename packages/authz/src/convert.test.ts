// The xDS boundary: bytes built by @ambit/xds-types' encodeMessage (or by hand where the encoder
// refuses, e.g. unknown enum numbers), decoded by decodeMessage, then validated. This tests
// validation and the field mapping, not evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '@ambit/xds-types';
import type { Init, security } from '@ambit/xds-types';
import type { Match, Policy } from './index.ts';
import { policyFromResource } from './index.ts';

const decode = (value: Init<security.Authorization>): unknown => decodeMessage('istio.security.Authorization', encodeMessage('istio.security.Authorization', value));
const v4 = (...bytes: number[]): Buffer => Buffer.from(bytes);

/** A Policy with CIDRs as text, for comparing with hand-written expectations. */
function summary(p: Policy): unknown {
  const m = (x: Match): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x) as Array<[string, unknown[]]>) {
      if (v.length > 0) out[k] = v.map((e) => (typeof e === 'object' && e !== null && 'text' in e ? e.text : e));
    }
    return out;
  };
  return { ...p, rules: p.rules.map((r) => r.clauses.map((c) => c.matches.map(m))) };
}

const EMPTY_MATCH = {
  namespaces: [], not_namespaces: [], principals: [], not_principals: [], source_ips: [], not_source_ips: [], destination_ips: [],
  not_destination_ips: [], destination_ports: [], not_destination_ports: [], service_accounts: [], not_service_accounts: [],
};

test('a complete resource becomes the Policy it describes', () => {
  const decoded = decode({
    name: 'web',
    namespace: 'shop',
    scope: 'WORKLOAD_SELECTOR',
    action: 'DENY',
    dry_run: true,
    rules: [
      {
        clauses: [
          {
            matches: [
              {
                namespaces: [{ exact: 'a' }],
                not_namespaces: [{ prefix: 'kube-' }],
                principals: [{ suffix: '/sa/admin' }],
                not_principals: [{ presence: {} }],
                source_ips: [{ address: v4(10, 1, 2, 3), length: 8 }],
                not_source_ips: [{ address: Buffer.from('20010db8000000000000000000000001', 'hex'), length: 32 }],
                destination_ips: [{ address: v4(192, 168, 0, 1), length: 32 }],
                not_destination_ips: [{ address: Buffer.from('00000000000000000000ffff0a000000', 'hex'), length: 104 }],
                destination_ports: [80, 65535],
                not_destination_ports: [1],
                service_accounts: [{ namespace: 'a', serviceAccount: 'alice' }],
                not_service_accounts: [{ namespace: 'b', serviceAccount: 'bob' }],
              },
            ],
          },
          { matches: [] },
        ],
      },
      { clauses: [] },
    ],
  });
  const result = policyFromResource('shop/web', decoded);
  assert.ok(result.ok, result.ok ? '' : result.error);
  assert.deepEqual(summary(result.policy), {
    key: 'shop/web',
    name: 'web',
    namespace: 'shop',
    scope: 'WORKLOAD_SELECTOR',
    action: 'DENY',
    dryRun: true,
    rules: [
      [
        [
          {
            namespaces: [{ kind: 'exact', value: 'a' }],
            notNamespaces: [{ kind: 'prefix', value: 'kube-' }],
            principals: [{ kind: 'suffix', value: '/sa/admin' }],
            notPrincipals: [{ kind: 'presence', value: '' }],
            sourceIps: ['10.0.0.0/8'],
            notSourceIps: ['2001:db8::/32'],
            destinationIps: ['192.168.0.1/32'],
            notDestinationIps: ['10.0.0.0/8'],
            destinationPorts: [80, 65535],
            notDestinationPorts: [1],
            serviceAccounts: [{ namespace: 'a', serviceAccount: 'alice' }],
            notServiceAccounts: [{ namespace: 'b', serviceAccount: 'bob' }],
          },
        ],
        [],
      ],
      [],
    ],
  });
});

test('defaults: scope GLOBAL, action ALLOW, no rules, not dry run; an empty Match stays (and never matches)', () => {
  const bare = policyFromResource('istio-system/all', decode({ name: 'all', namespace: 'istio-system' }));
  assert.ok(bare.ok);
  assert.deepEqual(bare.policy, { key: 'istio-system/all', name: 'all', namespace: 'istio-system', scope: 'GLOBAL', action: 'ALLOW', dryRun: false, rules: [] });
  const emptyMatch = policyFromResource('ns/p', decode({ name: 'p', namespace: 'ns', scope: 'NAMESPACE', rules: [{ clauses: [{ matches: [{}] }] }] }));
  assert.ok(emptyMatch.ok);
  assert.deepEqual(summary(emptyMatch.policy), { key: 'ns/p', name: 'p', namespace: 'ns', scope: 'NAMESPACE', action: 'ALLOW', dryRun: false, rules: [[[{}]]] });
});

test('plain objects (not decoded) are accepted too: oneof without match_type, enum numbers', () => {
  const result = policyFromResource('ns/p', {
    name: 'p',
    namespace: 'ns',
    scope: 1,
    action: 1,
    rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, not_principals: [{ presence: {} }], principals: [{ exact: 'td/ns/a/sa/b' }] }] }] }],
    dry_run: false,
  });
  assert.ok(result.ok, result.ok ? '' : result.error);
  assert.equal(result.policy.scope, 'NAMESPACE');
  assert.equal(result.policy.action, 'DENY');
  assert.deepEqual(result.policy.rules[0]?.clauses[0]?.matches[0]?.notPrincipals, [{ kind: 'presence', value: '' }]);
  assert.deepEqual(result.policy.rules[0]?.clauses[0]?.matches[0]?.principals, [{ kind: 'exact', value: 'td/ns/a/sa/b' }]);
});

const M = 'Authorization.rules[0].clauses[0].matches[0]';
const withMatch = (match: Init<security.Match>): unknown => decode({ name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [match] }] }] });

test('invalid decoded resources: the error names the field', () => {
  // Bytes by hand where encodeMessage refuses: name "p" (0a 01 70), namespace "ns" (12 02 6e 73), then
  // scope = 7 (18 07) or action = 5 (20 05): numbers the schema does not know stay numbers.
  const rawScope = decodeMessage('istio.security.Authorization', Buffer.from('0a017012026e731807', 'hex'));
  const rawAction = decodeMessage('istio.security.Authorization', Buffer.from('0a017012026e732005', 'hex'));
  const rows: Array<[string, string, unknown, string[]]> = [
    ['unknown scope number', 'ns/p', rawScope, ['Authorization.scope: unknown value 7, expected one of GLOBAL, NAMESPACE, WORKLOAD_SELECTOR']],
    ['unknown action number', 'ns/p', rawAction, ['Authorization.action: unknown value 5, expected one of ALLOW, DENY']],
    ['resource name is not namespace/name', 'ns/other', decode({ name: 'p', namespace: 'ns' }), ['Authorization.name: resource name "ns/other" is not namespace/name "ns/p"']],
    ['empty name and namespace', '/', decode({}), ['Authorization.name: empty name', 'Authorization.namespace: empty namespace']],
    ['address of 5 bytes', 'ns/p', withMatch({ source_ips: [{ address: v4(1, 2, 3, 4, 5), length: 8 }] }), [`${M}.source_ips[0].address: address has 5 bytes, expected 4 (IPv4) or 16 (IPv6)`]],
    ['empty address', 'ns/p', withMatch({ destination_ips: [{ address: Buffer.alloc(0), length: 0 }] }), [`${M}.destination_ips[0].address: address has 0 bytes, expected 4 (IPv4) or 16 (IPv6)`]],
    ['IPv4 prefix 33', 'ns/p', withMatch({ not_source_ips: [{ address: v4(10, 0, 0, 0), length: 33 }] }), [`${M}.not_source_ips[0].length: prefix length 33 is out of range for an IPv4 address (0-32)`]],
    ['IPv6 prefix 129', 'ns/p', withMatch({ not_destination_ips: [{ address: Buffer.alloc(16), length: 129 }] }), [`${M}.not_destination_ips[0].length: prefix length 129 is out of range for an IPv6 address (0-128)`]],
    ['empty StringMatch', 'ns/p', withMatch({ principals: [{ exact: 'x' }, {}] }), [`${M}.principals[1]: empty StringMatch (no exact, prefix, suffix or presence set); ztunnel would drop it and widen the match`]],
    ['empty exact string', 'ns/p', withMatch({ namespaces: [{ exact: '' }] }), [`${M}.namespaces[0].exact: empty exact string; write presence for "any value"`]],
    ['empty prefix string', 'ns/p', withMatch({ not_namespaces: [{ prefix: '' }] }), [`${M}.not_namespaces[0].prefix: empty prefix string; write presence for "any value"`]],
    ['port above 65535', 'ns/p', withMatch({ destination_ports: [70000] }), [`${M}.destination_ports[0]: 70000 is not a port (1-65535)`]],
    ['port 0', 'ns/p', withMatch({ not_destination_ports: [443, 0] }), [`${M}.not_destination_ports[1]: 0 is not a port (1-65535)`]],
    ['empty service account parts', 'ns/p', withMatch({ service_accounts: [{ namespace: '', serviceAccount: 'x' }], not_service_accounts: [{ namespace: 'a' }] }), [`${M}.service_accounts[0].namespace: empty namespace`, `${M}.not_service_accounts[0].serviceAccount: empty service account`]],
  ];
  for (const [description, name, decoded, problems] of rows) {
    const result = policyFromResource(name, decoded);
    assert.equal(result.ok, false, description);
    if (!result.ok) assert.equal(result.error, `invalid Authorization ${JSON.stringify(name)}: ${problems.join('; ')}`, description);
  }
});

test('invalid plain objects: wrong types, two oneof members, unknown enum names', () => {
  const rows: Array<[string, unknown, string]> = [
    ['not an object', null, 'Authorization: expected an object, got null'],
    ['rules not a list', { name: 'p', namespace: 'ns', rules: {} }, 'Authorization.rules: expected a list, got an object'],
    ['AUDIT is not an action ztunnel knows', { name: 'p', namespace: 'ns', action: 'AUDIT' }, 'Authorization.action: unknown value "AUDIT", expected one of ALLOW, DENY'],
    ['dry_run not a boolean', { name: 'p', namespace: 'ns', dry_run: 'yes' }, 'Authorization.dry_run: expected a boolean, got "yes"'],
    ['two oneof members', { name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [{ principals: [{ exact: 'a', prefix: 'b' }] }] }] }] }, `${M}.principals[0]: more than one of exact, prefix set in a oneof`],
    ['match_type names an unset member', { name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [{ principals: [{ match_type: 'suffix', exact: 'a' }] }] }] }] }, `${M}.principals[0].suffix: match_type is suffix but the suffix member is not set`],
    ['address not bytes', { name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [{ source_ips: [{ address: '10.0.0.1', length: 32 }] }] }] }] }, `${M}.source_ips[0].address: expected bytes, got "10.0.0.1"`],
    ['a rule that is not an object', { name: 'p', namespace: 'ns', rules: [7] }, 'Authorization.rules[0]: expected a Rule object, got 7'],
  ];
  for (const [description, decoded, problem] of rows) {
    const result = policyFromResource('ns/p', decoded);
    assert.equal(result.ok, false, description);
    if (!result.ok) assert.ok(result.error.endsWith(`: ${problem}`), `${description}: ${result.error}`);
  }
});

test('many problems: the first ten are listed and the rest counted', () => {
  const result = policyFromResource('ns/p', withMatch({ destination_ports: Array.from({ length: 12 }, () => 0) }));
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.error.split('is not a port').length - 1, 10);
  assert.ok(result.error.endsWith('; and 2 more'), result.error);
});
