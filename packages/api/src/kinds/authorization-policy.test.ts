// AuthorizationPolicy validation as istiod's webhook applies it (ValidateAuthorizationPolicy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';
import type { AuthorizationPolicy } from './authorization-policy.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'action is ALLOW, DENY, AUDIT or CUSTOM; CUSTOM needs a provider, the others must not have one',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        action: allow
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b}
      spec:
        action: CUSTOM
        rules: [{}]
      ---
      apiVersion: security.istio.io/v1beta1
      kind: AuthorizationPolicy
      metadata: {name: c}
      spec:
        action: DENY
        provider: {name: ext-authz}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: d}
      spec:
        action: CUSTOM
        provider: {}
    `,
    problems: [
      '5:3 spec.action AMBIT_API_INVALID_VALUE',
      '10:1 spec.provider AMBIT_API_REQUIRED',
      '19:3 spec.provider AMBIT_API_INVALID_VALUE',
      '26:3 spec.provider.name AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'selector and targetRefs exclude each other; targetRef and targetRefs too',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a, namespace: shop}
      spec:
        selector:
          matchLabels: {app: web}
        targetRefs:
        - {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: shop}
      spec:
        targetRef: {kind: Service, group: "", name: web}
        targetRefs:
        - {kind: Service, group: "", name: web}
    `,
    problems: ['5:3 spec.selector AMBIT_API_INVALID_VALUE', '14:3 spec.targetRef AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'targetRefs: kinds Service, Gateway, GatewayClass, ServiceEntry in their groups, same namespace, name required',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a, namespace: shop}
      spec:
        targetRefs:
        - {kind: Service, group: "", name: web}
        - {kind: Service, group: core, name: web}
        - {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint, namespace: shop}
        - {kind: ServiceEntry, group: networking.istio.io, name: ext}
        - {kind: Pod, group: "", name: web}
        - {kind: Gateway, name: waypoint}
        - {kind: Service, group: "", name: web, namespace: other}
        - {kind: Service, group: ""}
        - {kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}
    `,
    problems: [
      '10:6 spec.targetRefs[4].kind AMBIT_API_INVALID_VALUE',
      '11:5 spec.targetRefs[5].group AMBIT_API_INVALID_VALUE',
      '12:43 spec.targetRefs[6].namespace AMBIT_API_INVALID_VALUE',
      '13:5 spec.targetRefs[7].name AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'selector matchLabels are label keys and values; an empty one is a warning',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        selector:
          matchLabels: {"app*": web}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b}
      spec:
        selector:
          matchLabels: {}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: c}
      spec:
        selector:
          matchExpressions: []
    `,
    problems: [
      '6:19 spec.selector.matchLabels["app*"] AMBIT_API_INVALID_VALUE',
      '13:5 spec.selector.matchLabels AMBIT_API_INVALID_VALUE warning',
      '20:5 spec.selector.matchExpressions AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'string matches: exact, prefix, suffix or presence only; no empty values',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - from:
          - source:
              principals: ["cluster.local/ns/*", "*/sa/sleep", "*", "cluster.local/*/sa/sleep", "*sleep*", ""]
              namespaces: ["prod-*", "**"]
          to:
          - operation:
              hosts: ["*.example.com", "a.*.com"]
              methods: ["GET", "G*T"]
    `,
    problems: [
      '8:63 spec.rules[0].from[0].source.principals[3] AMBIT_API_INVALID_VALUE',
      '8:91 spec.rules[0].from[0].source.principals[4] AMBIT_API_INVALID_VALUE',
      '8:102 spec.rules[0].from[0].source.principals[5] AMBIT_API_INVALID_VALUE',
      '9:32 spec.rules[0].from[0].source.namespaces[1] AMBIT_API_INVALID_VALUE',
      '12:34 spec.rules[0].to[0].operation.hosts[1] AMBIT_API_INVALID_VALUE',
      '13:26 spec.rules[0].to[0].operation.methods[1] AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'serviceAccounts: ns/sa or sa, no wildcards, not with principals or namespaces',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - from:
          - source:
              serviceAccounts: ["shop/web", "sleep", "shop/*", "a/b/c", "Shop/web"]
          - source:
              serviceAccounts: ["web"]
              namespaces: ["shop"]
          - source:
              principals: ["cluster.local/ns/shop/sa/web"]
              notServiceAccounts: ["shop/db"]
    `,
    problems: [
      '8:48 spec.rules[0].from[0].source.serviceAccounts[2] AMBIT_API_INVALID_VALUE',
      '8:58 spec.rules[0].from[0].source.serviceAccounts[3] AMBIT_API_INVALID_VALUE',
      '8:67 spec.rules[0].from[0].source.serviceAccounts[4] AMBIT_API_INVALID_VALUE',
      '10:9 spec.rules[0].from[1].source.serviceAccounts AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'ipBlocks and friends: IPv4 or IPv6 addresses or CIDRs',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        action: DENY
        rules:
        - from:
          - source:
              ipBlocks: ["10.0.0.1", "10.0.0.0/8", "fd00::/64", "2001:db8::1"]
              notIpBlocks: ["10.0.0.0/33", "10.0.0", "fd00::/129"]
              remoteIpBlocks: ["1.2.3.4/32"]
              notRemoteIpBlocks: ["example.com"]
    `,
    problems: [
      '10:23 spec.rules[0].from[0].source.notIpBlocks[0] AMBIT_API_INVALID_VALUE',
      '10:38 spec.rules[0].from[0].source.notIpBlocks[1] AMBIT_API_INVALID_VALUE',
      '10:48 spec.rules[0].from[0].source.notIpBlocks[2] AMBIT_API_INVALID_VALUE',
      '12:29 spec.rules[0].from[0].source.notRemoteIpBlocks[0] AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'ports are strings of 1-65535',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - to:
          - operation:
              ports: ["8080", "0", "65536", "http", 9090]
              notPorts: ["65535"]
    `,
    problems: [
      '8:25 spec.rules[0].to[0].operation.ports[1] AMBIT_API_INVALID_VALUE',
      '8:30 spec.rules[0].to[0].operation.ports[2] AMBIT_API_INVALID_VALUE',
      '8:39 spec.rules[0].to[0].operation.ports[3] AMBIT_API_INVALID_VALUE',
      '8:47 spec.rules[0].to[0].operation.ports[4] AMBIT_API_INVALID_TYPE',
    ],
  },
  {
    name: 'path templates {*} and {**} are whole segments, {**} last, not mixed with *',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - to:
          - operation:
              paths:
              - /api/{*}/books
              - /api/{**}
              - /api/{*}/{**}
              - /api/{**}/books
              - /api/v{*}/books
              - /api/{*}/*.json
              - /api/{id}
              - /api/v1/*
              - "*.html"
    `,
    problems: [
      '12:11 spec.rules[0].to[0].operation.paths[3] AMBIT_API_INVALID_VALUE',
      '13:11 spec.rules[0].to[0].operation.paths[4] AMBIT_API_INVALID_VALUE',
      '14:11 spec.rules[0].to[0].operation.paths[5] AMBIT_API_INVALID_VALUE',
      '15:11 spec.rules[0].to[0].operation.paths[6] AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'when: known keys only, values or notValues required, values checked per key',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - when:
          - key: request.headers[x-token]
            values: ["secret"]
          - key: request.auth.claims[iss]
            values: ["https://accounts.google.com"]
          - {key: source.ip, values: ["10.0.0.0/8", "fd00::1"]}
          - {key: destination.port, notValues: ["8080", "99999"]}
          - key: experimental.envoy.filters.network.mysql_proxy[db.table]
            values: ["[update]"]
          - {key: connection.sni, values: ["www.example.com"]}
          - {key: source.labels, values: ["x"]}
          - {key: request.headers, values: ["x"]}
          - {key: "request.headers[]", values: ["x"]}
          - {key: source.namespace}
          - {key: remote.ip, values: ["not-an-ip"]}
          - {values: ["x"]}
    `,
    problems: [
      '12:51 spec.rules[0].when[3].notValues[1] AMBIT_API_INVALID_VALUE',
      '16:8 spec.rules[0].when[6].key AMBIT_API_INVALID_VALUE',
      '17:8 spec.rules[0].when[7].key AMBIT_API_INVALID_VALUE',
      '18:8 spec.rules[0].when[8].key AMBIT_API_INVALID_VALUE',
      '19:7 spec.rules[0].when[9].values AMBIT_API_REQUIRED',
      '20:33 spec.rules[0].when[10].values[0] AMBIT_API_INVALID_VALUE',
      '21:7 spec.rules[0].when[11].key AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'from and to must not be empty lists; each item has a non-empty source or operation',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rules:
        - from: []
          to: []
        - from:
          - source: {}
          - {}
          - source: {principals: []}
          to:
          - operation: {}
          - operation: {method: ["GET"]}
    `,
    problems: [
      '6:5 spec.rules[0].from AMBIT_API_REQUIRED',
      '7:5 spec.rules[0].to AMBIT_API_REQUIRED',
      '9:7 spec.rules[1].from[0].source AMBIT_API_REQUIRED',
      '10:7 spec.rules[1].from[1].source AMBIT_API_REQUIRED',
      '11:7 spec.rules[1].from[2].source AMBIT_API_REQUIRED',
      '13:7 spec.rules[1].to[0].operation AMBIT_API_REQUIRED',
      '14:19 spec.rules[1].to[1].operation.method AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'unknown fields are errors with a suggestion, at every level',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a}
      spec:
        rule: []
        rules:
        - form: []
          when:
          - {key: source.ip, value: ["10.0.0.1"]}
    `,
    problems: [
      '5:3 spec.rule AMBIT_API_UNKNOWN_FIELD',
      '7:5 spec.rules[0].form AMBIT_API_UNKNOWN_FIELD',
      '9:7 spec.rules[0].when[0].values AMBIT_API_REQUIRED',
      '9:24 spec.rules[0].when[0].value AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'spec may be absent or empty (an ALLOW policy without rules denies everything)',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: deny-all, namespace: shop}
      spec: {}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: also-deny-all, namespace: shop}
    `,
    problems: [],
  },
];

for (const c of cases) {
  test(`AuthorizationPolicy: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('AuthorizationPolicy: the message for a wildcard in the middle says what is allowed', () => {
  const { problems } = parseOne(yaml`
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: a}
    spec:
      rules: [{to: [{operation: {paths: ["/a/*/b"]}}]}]
  `);
  assert.equal(problems.length, 1);
  assert.match(problems[0]?.message ?? '', /only as a prefix match .* a suffix match .* or alone/);
  assert.match(problems[0]?.message ?? '', /got "\/a\/\*\/b"$/);
});

test('AuthorizationPolicy: at most 512 rules and 16 targetRefs', () => {
  const rules = Array.from({ length: 513 }, () => '  - {}').join('\n');
  const refs = Array.from({ length: 17 }, (_, i) => `  - {kind: Service, group: "", name: s${i}}`).join('\n');
  const text = `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  rules:\n${rules}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: b}\nspec:\n  targetRefs:\n${refs}\n`;
  assert.deepEqual(problemsOf(text), ['5:3 spec.rules AMBIT_API_INVALID_VALUE', '524:3 spec.targetRefs AMBIT_API_INVALID_VALUE']);
});

const specOf = (text: string): AuthorizationPolicy['spec'] | undefined => {
  const { resources, problems } = parseOne(text);
  assert.deepEqual(problems, []);
  const r = resources[0];
  return r?.kind === 'AuthorizationPolicy' ? r.spec : undefined;
};

test('AuthorizationPolicy: absent rules, rules: [] and rules: [{}] stay distinguishable', () => {
  const head = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n';
  assert.deepEqual(specOf(`${head}  action: ALLOW\n`), { action: 'ALLOW' });
  assert.deepEqual(specOf(`${head}  rules: []\n`), { action: 'ALLOW', rules: [] });
  assert.deepEqual(specOf(`${head}  rules: [{}]\n`), { action: 'ALLOW', rules: [{}] });
});

test('AuthorizationPolicy: typed result of a full policy; targetRef becomes targetRefs; action defaults to ALLOW', () => {
  const spec = specOf(yaml`
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: a, namespace: shop}
    spec:
      targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}
      rules:
      - from:
        - source: {principals: ["cluster.local/ns/shop/sa/web"], notIpBlocks: ["10.0.0.0/8"]}
        to:
        - operation: {methods: ["GET"], paths: ["/api/{*}/books"], ports: ["8080"]}
        when:
        - key: request.headers[version]
          values: ["v1", "v2"]
          notValues: ["v3"]
  `);
  assert.deepEqual(spec, {
    action: 'ALLOW',
    targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
    rules: [
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'], notIpBlocks: ['10.0.0.0/8'] } }],
        to: [{ operation: { methods: ['GET'], paths: ['/api/{*}/books'], ports: ['8080'] } }],
        when: [{ key: 'request.headers[version]', values: ['v1', 'v2'], notValues: ['v3'] }],
      },
    ],
  });
});
