// Calico GlobalNetworkPolicy / NetworkPolicy validation and the `types` defaulting rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';
import { resourceKey } from '../order.ts';
import { effectiveCalicoTypes } from './calico-policy.ts';
import type { CalicoNetworkPolicySpec } from './calico-policy.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'a policy names its tier (the docs example with tier internal-access); a tier name is a DNS label',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata:
        name: internal-access.allow-tcp-6379
      spec:
        tier: internal-access
        selector: role == 'database'
      ---
      apiVersion: projectcalico.org/v3
      kind: NetworkPolicy
      metadata: {name: a, namespace: shop}
      spec:
        tier: Security_Tier
    `,
    problems: ['13:3 spec.tier AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'selectors are parsed: the error is at the field and names the offset; global() only in namespaceSelector',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        selector: role = 'db'
        serviceAccountSelector: has(role
        namespaceSelector: global()
        ingress:
        - action: Allow
          source:
            selector: global()
            notSelector: "role in {'a' 'b'}"
            namespaceSelector: global() || name == 'x'
            serviceAccounts: {selector: "a =="}
    `,
    problems: [
      '5:3 spec.selector AMBIT_API_INVALID_VALUE',
      '6:3 spec.serviceAccountSelector AMBIT_API_INVALID_VALUE',
      '11:7 spec.ingress[0].source.selector AMBIT_API_INVALID_VALUE',
      '12:7 spec.ingress[0].source.notSelector AMBIT_API_INVALID_VALUE',
      '14:25 spec.ingress[0].source.serviceAccounts.selector AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'a namespaced NetworkPolicy has no namespaceSelector, doNotTrack, preDNAT or applyOnForward',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: NetworkPolicy
      metadata: {name: a}
      spec:
        namespaceSelector: all()
        doNotTrack: true
    `,
    problems: ['5:3 spec.namespaceSelector AMBIT_API_UNKNOWN_FIELD', '6:3 spec.doNotTrack AMBIT_API_UNKNOWN_FIELD'],
  },
  {
    name: 'doNotTrack, preDNAT, applyOnForward warn as unsupported; their own combination rules still hold',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        doNotTrack: true
        applyOnForward: true
      ---
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: b}
      spec:
        preDNAT: true
        egress: [{action: Allow}]
      ---
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: c}
      spec:
        preDNAT: true
        doNotTrack: true
        applyOnForward: true
    `,
    problems: [
      '5:3 spec.doNotTrack AMBIT_API_IGNORED_FIELD warning',
      '6:3 spec.applyOnForward AMBIT_API_IGNORED_FIELD warning',
      '12:3 spec.preDNAT AMBIT_API_IGNORED_FIELD warning',
      '12:3 spec.preDNAT AMBIT_API_INVALID_VALUE',
      '13:3 spec.egress AMBIT_API_INVALID_VALUE',
      '19:3 spec.preDNAT AMBIT_API_IGNORED_FIELD warning',
      '19:3 spec.preDNAT AMBIT_API_INVALID_VALUE',
      '20:3 spec.doNotTrack AMBIT_API_IGNORED_FIELD warning',
      '21:3 spec.applyOnForward AMBIT_API_IGNORED_FIELD warning',
    ],
  },
  {
    name: 'rules: action required and one of Allow, Deny, Log, Pass; protocols by name or 1-255',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        ingress:
        - protocol: TCP
        - action: allow
        - action: Allow
          protocol: tcp
        - action: Allow
          protocol: 256
        - action: Allow
          protocol: 47
          notProtocol: UDPLite
        - action: Deny
          protocol: GRE
    `,
    problems: [
      '6:5 spec.ingress[0].action AMBIT_API_REQUIRED',
      '7:5 spec.ingress[1].action AMBIT_API_INVALID_VALUE',
      '9:5 spec.ingress[2].protocol AMBIT_API_INVALID_VALUE',
      '11:5 spec.ingress[3].protocol AMBIT_API_INVALID_VALUE',
      '16:5 spec.ingress[5].protocol AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'ports: numbers, "min:max" ranges, names; only with a port protocol',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        egress:
        - action: Allow
          protocol: TCP
          destination:
            ports: [80, "8080:8090", http, "90:80", 0, 65536, "1:", "-x"]
            notPorts: ["443"]
        - action: Allow
          destination: {ports: [53]}
        - action: Allow
          protocol: ICMP
          source: {notPorts: [53]}
    `,
    problems: [
      '9:38 spec.egress[0].destination.ports[3] AMBIT_API_INVALID_VALUE',
      '9:47 spec.egress[0].destination.ports[4] AMBIT_API_INVALID_VALUE',
      '9:50 spec.egress[0].destination.ports[5] AMBIT_API_INVALID_VALUE',
      '9:57 spec.egress[0].destination.ports[6] AMBIT_API_INVALID_VALUE',
      '9:63 spec.egress[0].destination.ports[7] AMBIT_API_INVALID_VALUE',
      '10:18 spec.egress[0].destination.notPorts[0] AMBIT_API_INVALID_VALUE',
      '12:19 spec.egress[1].destination.ports AMBIT_API_INVALID_VALUE',
      '15:14 spec.egress[2].source.notPorts AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'icmp: needs protocol ICMP or ICMPv6 matching ipVersion; type 0-254, code 0-255 with a type',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        ingress:
        - action: Allow
          icmp: {type: 8}
        - action: Allow
          protocol: TCP
          notICMP: {type: 8}
        - action: Allow
          protocol: ICMP
          ipVersion: 6
          icmp: {type: 8}
        - action: Allow
          protocol: ICMPv6
          icmp: {type: 255, code: 256}
        - action: Allow
          protocol: ICMP
          icmp: {code: 0}
        - action: Allow
          protocol: ICMP
          ipVersion: 5
    `,
    problems: [
      '7:5 spec.ingress[0].icmp AMBIT_API_INVALID_VALUE',
      '10:5 spec.ingress[1].notICMP AMBIT_API_INVALID_VALUE',
      '14:5 spec.ingress[2].icmp AMBIT_API_INVALID_VALUE',
      '17:12 spec.ingress[3].icmp.type AMBIT_API_INVALID_VALUE',
      '17:23 spec.ingress[3].icmp.code AMBIT_API_INVALID_VALUE',
      '20:12 spec.ingress[4].icmp.code AMBIT_API_INVALID_VALUE',
      '23:5 spec.ingress[5].ipVersion AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'nets: IPs or CIDRs of the rule ipVersion; http and services warn as ignored; unknown fields are errors',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: a}
      spec:
        order: "10"
        types: [Ingress, Ingress]
        ingress:
        - action: Allow
          ipVersion: 4
          source:
            nets: [10.0.0.0/8, "fd00::/8", 10.1.2.3, not-a-net]
            services: {name: web, namespace: shop}
            selectr: all()
          http:
            methods: [GET]
        - action: Deny
          ipVersion: 6
          destination: {notNets: ["fd00::/8", 10.0.0.0/8]}
    `,
    problems: [
      '5:3 spec.order AMBIT_API_INVALID_TYPE',
      '6:3 spec.types AMBIT_API_INVALID_VALUE',
      '11:48 spec.ingress[0].source.nets[3] AMBIT_API_INVALID_VALUE',
      '12:7 spec.ingress[0].source.services AMBIT_API_IGNORED_FIELD warning',
      '13:7 spec.ingress[0].source.selectr AMBIT_API_UNKNOWN_FIELD',
      '14:5 spec.ingress[0].http AMBIT_API_IGNORED_FIELD warning',
      '18:41 spec.ingress[1].destination.notNets[1] AMBIT_API_INVALID_VALUE',
    ],
  },
];

for (const c of cases) {
  test(`Calico policy: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('Calico policy: a selector error message quotes the selector and gives the character offset', () => {
  const { problems } = parseOne(yaml`
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: a}
    spec:
      selector: "role == 'db' && && tier == 'x'"
  `);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.line, 5);
  assert.equal(problems[0]?.col, 3);
  assert.match(problems[0]?.message ?? '', /^invalid selector "role == 'db' && && tier == 'x'": .* \(at character offset 16\)$/);
});

test('Calico policy: Kubernetes and Calico NetworkPolicy of the same name coexist, with distinct keys', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: same, namespace: shop}
    spec: {podSelector: {}}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: same, namespace: shop}
    spec: {selector: all()}
    ---
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: same, namespace: ignored}
    spec: {}
  `);
  assert.deepEqual(problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.code}`), ['13:24 metadata.namespace AMBIT_API_INVALID_VALUE']);
  assert.deepEqual(resources.map(resourceKey), ['NetworkPolicy/shop/same', 'NetworkPolicy.projectcalico.org/shop/same', 'GlobalNetworkPolicy/same']);
  const calico = resources[1];
  assert.ok(calico?.kind === 'NetworkPolicy' && calico.apiVersion === 'projectcalico.org/v3');
  assert.deepEqual(calico.spec, { selector: 'all()' });
});

test('Calico policy: the unchanged docs example of a Kubernetes apiVersion under a Calico-only kind is told apart', () => {
  const { problems } = parseOne('apiVersion: networking.k8s.io/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: a}\n');
  assert.deepEqual(problems.map((p) => p.message), ['GlobalNetworkPolicy is served as projectcalico.org/v3, got "networking.k8s.io/v1"']);
});

// Calico's documented default (globalnetworkpolicy reference, "types" field).
const defaulting: Array<{ name: string; spec: Pick<CalicoNetworkPolicySpec, 'types' | 'ingress' | 'egress'>; want: string[] }> = [
  { name: 'no rules: Ingress', spec: {}, want: ['Ingress'] },
  { name: 'ingress rules only: Ingress', spec: { ingress: [{ action: 'Allow' }] }, want: ['Ingress'] },
  { name: 'egress rules only: Egress', spec: { egress: [{ action: 'Allow' }] }, want: ['Egress'] },
  { name: 'both: Ingress and Egress', spec: { ingress: [{ action: 'Deny' }], egress: [{ action: 'Allow' }] }, want: ['Ingress', 'Egress'] },
  { name: 'explicit types win', spec: { types: ['Egress'], ingress: [{ action: 'Allow' }] }, want: ['Egress'] },
  { name: 'an empty types list is defaulted', spec: { types: [], egress: [{ action: 'Allow' }] }, want: ['Egress'] },
];
for (const c of defaulting) {
  test(`effectiveCalicoTypes: ${c.name}`, () => {
    assert.deepEqual(effectiveCalicoTypes(c.spec), c.want);
  });
}
