// NetworkPolicy validation (ValidateNetworkPolicy) and the policyTypes defaulting rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';
import { effectivePolicyTypes } from './network-policy.ts';
import type { NetworkPolicy } from './network-policy.ts';

const head = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'spec and podSelector are required',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: b}
      spec:
        policyTypes: [Ingress]
    `,
    problems: ['1:1 spec AMBIT_API_REQUIRED', '8:1 spec.podSelector AMBIT_API_REQUIRED'],
  },
  {
    name: 'policyTypes: Ingress and Egress, at most two, no repeats',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        podSelector: {}
        policyTypes: [ingress, Egress]
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: b}
      spec:
        podSelector: {}
        policyTypes: [Egress, Egress]
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: c}
      spec:
        podSelector: {}
        policyTypes: [Ingress, Egress, Ingress]
    `,
    problems: ['6:17 spec.policyTypes[0] AMBIT_API_INVALID_VALUE', '13:3 spec.policyTypes AMBIT_API_INVALID_VALUE', '20:3 spec.policyTypes AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'a peer needs a selector or an ipBlock; ipBlock does not combine with selectors',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        podSelector: {matchLabels: {app: db}}
        ingress:
        - from:
          - {}
          - podSelector: {}
            ipBlock: {cidr: 10.0.0.0/8}
          - namespaceSelector: {matchLabels: {team: a}}
            podSelector: {matchLabels: {app: web}}
        egress:
        - to:
          - namespaceSelector: {}
            ipBlock: {cidr: 10.0.0.0/8}
    `,
    problems: [
      '8:7 spec.ingress[0].from[0] AMBIT_API_REQUIRED',
      '10:7 spec.ingress[0].from[1].ipBlock AMBIT_API_INVALID_VALUE',
      '16:7 spec.egress[0].to[0].ipBlock AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'ipBlock: cidr required and valid (IPv4 or IPv6); except entries strictly inside cidr',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        podSelector: {}
        ingress:
        - from:
          - ipBlock:
              cidr: 172.17.0.0/16
              except: [172.17.1.0/24, 172.18.0.0/24, 172.17.0.0/16, 172.17.0.0/8, fd00::/64, 172.17.2.0]
          - ipBlock: {cidr: "fd00::/48", except: ["fd00:0:0:1::/64", "fd01::/64"]}
          - ipBlock: {cidr: 10.0.0.1}
          - ipBlock: {cidr: 10.0.0.0/33}
          - ipBlock: {except: [10.0.0.0/24]}
    `,
    problems: [
      '10:33 spec.ingress[0].from[0].ipBlock.except[1] AMBIT_API_INVALID_VALUE',
      '10:48 spec.ingress[0].from[0].ipBlock.except[2] AMBIT_API_INVALID_VALUE',
      '10:63 spec.ingress[0].from[0].ipBlock.except[3] AMBIT_API_INVALID_VALUE',
      '10:77 spec.ingress[0].from[0].ipBlock.except[4] AMBIT_API_INVALID_VALUE',
      '10:88 spec.ingress[0].from[0].ipBlock.except[5] AMBIT_API_INVALID_VALUE',
      '11:64 spec.ingress[0].from[1].ipBlock.except[1] AMBIT_API_INVALID_VALUE',
      '12:17 spec.ingress[0].from[2].ipBlock.cidr AMBIT_API_INVALID_VALUE',
      '13:17 spec.ingress[0].from[3].ipBlock.cidr AMBIT_API_INVALID_VALUE',
      '14:7 spec.ingress[0].from[4].ipBlock.cidr AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'ports: protocol TCP/UDP/SCTP, port a number or an IANA name, endPort numeric port and >= port',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        podSelector: {}
        egress:
        - ports:
          - {protocol: tcp, port: 53}
          - {protocol: ICMP}
          - {port: 0}
          - {port: "8080"}
          - {port: dns-tcp}
          - {port: 32000, endPort: 32768}
          - {port: 32000, endPort: 31999}
          - {port: http, endPort: 9000}
          - {endPort: 9000}
          - {port: 80, endPort: 70000}
    `,
    problems: [
      '8:8 spec.egress[0].ports[0].protocol AMBIT_API_INVALID_VALUE',
      '9:8 spec.egress[0].ports[1].protocol AMBIT_API_INVALID_VALUE',
      '10:8 spec.egress[0].ports[2].port AMBIT_API_INVALID_VALUE',
      '11:8 spec.egress[0].ports[3].port AMBIT_API_INVALID_VALUE',
      '14:21 spec.egress[0].ports[6].endPort AMBIT_API_INVALID_VALUE',
      '15:20 spec.egress[0].ports[7].endPort AMBIT_API_INVALID_VALUE',
      '16:8 spec.egress[0].ports[8].endPort AMBIT_API_INVALID_VALUE',
      '17:18 spec.egress[0].ports[9].endPort AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'selectors are validated label selectors; unknown fields are errors',
    text: yaml`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        podSelector:
          matchExpressions: [{key: app, operator: In}]
        ingress:
        - from:
          - namespaceSelector: {matchLabel: {a: b}}
          port: [{port: 80}]
    `,
    problems: [
      '6:24 spec.podSelector.matchExpressions[0].values AMBIT_API_INVALID_VALUE',
      '9:27 spec.ingress[0].from[0].namespaceSelector.matchLabel AMBIT_API_UNKNOWN_FIELD',
      '10:5 spec.ingress[0].port AMBIT_API_UNKNOWN_FIELD',
    ],
  },
];

for (const c of cases) {
  test(`NetworkPolicy: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

const specOf = (body: string): NetworkPolicy['spec'] | undefined => {
  const { resources, problems } = parseOne(head + body);
  assert.deepEqual(problems, []);
  const r = resources[0];
  return r?.kind === 'NetworkPolicy' && r.apiVersion === 'networking.k8s.io/v1' ? r.spec : undefined;
};

test('NetworkPolicy: absent from/to/ports, empty lists and [{}] stay distinguishable; protocol defaults to TCP', () => {
  const spec = specOf(yaml`
    spec:
      podSelector: {}
      ingress:
      - {}
      - from: []
        ports: []
      - ports: [{}]
      - from: [{podSelector: {}}]
      egress: []
  `);
  assert.deepEqual(spec, {
    podSelector: {},
    ingress: [{}, { from: [], ports: [] }, { ports: [{ protocol: 'TCP' }] }, { from: [{ podSelector: {} }] }],
    egress: [],
  });
});

test('NetworkPolicy: a peer with both selectors keeps both (AND); two peers stay two (OR)', () => {
  const and = specOf('spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {user: alice}}\n      podSelector: {matchLabels: {role: client}}\n');
  const or = specOf('spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {user: alice}}\n    - podSelector: {matchLabels: {role: client}}\n');
  assert.deepEqual(and?.ingress?.[0]?.from, [{ namespaceSelector: { matchLabels: { user: 'alice' } }, podSelector: { matchLabels: { role: 'client' } } }]);
  assert.deepEqual(or?.ingress?.[0]?.from, [{ namespaceSelector: { matchLabels: { user: 'alice' } } }, { podSelector: { matchLabels: { role: 'client' } } }]);
});

test('NetworkPolicy: policyTypes are not defaulted by the parser', () => {
  assert.equal(specOf('spec:\n  podSelector: {}\n  egress: [{}]\n')?.policyTypes, undefined);
});

// SetDefaults_NetworkPolicy, as the reference (cni-netpol.md 2.3) states it.
const defaulting: Array<{ name: string; spec: Pick<NetworkPolicy['spec'], 'policyTypes' | 'egress'>; want: string[] }> = [
  { name: 'no types, no egress: Ingress only', spec: {}, want: ['Ingress'] },
  { name: 'no types, egress rules: Ingress and Egress', spec: { egress: [{}] }, want: ['Ingress', 'Egress'] },
  { name: 'no types, egress: [] does not count', spec: { egress: [] }, want: ['Ingress'] },
  { name: 'empty types list is defaulted like an absent one', spec: { policyTypes: [], egress: [{ to: [] }] }, want: ['Ingress', 'Egress'] },
  { name: 'explicit Egress only stays Egress only (an egress-only policy)', spec: { policyTypes: ['Egress'] }, want: ['Egress'] },
  { name: 'explicit Ingress with egress rules stays Ingress', spec: { policyTypes: ['Ingress'], egress: [{}] }, want: ['Ingress'] },
];
for (const c of defaulting) {
  test(`effectivePolicyTypes: ${c.name}`, () => {
    assert.deepEqual(effectivePolicyTypes({ spec: c.spec }), c.want);
  });
}
