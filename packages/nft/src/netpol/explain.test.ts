// explain() against upstream NetworkPolicy semantics (cni-netpol.md section 2). Every expected
// verdict below was written by hand from the upstream rules quoted in the comment of its case,
// on the cluster of test/netpol-fixtures.ts (x/a = 10.1.0.1 ... z/c = 10.3.0.3; "web" is 80 on
// every pod except y/b where it is 8080).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkPolicy } from '@ambit/api';
import { compileNetworkPolicies } from './compile.ts';
import { CLUSTER, LOCAL, pod, policy } from '../../test/netpol-fixtures.ts';

interface Case {
  name: string;
  policies: NetworkPolicy[];
  /** [from (pod key or bare IP), to (pod key), port, protocol, allowed, reason must match] */
  probes: Array<[string, string, number, string, boolean, RegExp?]>;
}

const denyIngressX = policy('x/deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
const denyEgressX = policy('x/deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
const ingressFrom = (key: string, from: NonNullable<NonNullable<NetworkPolicy['spec']['ingress']>[number]['from']>, ports?: NonNullable<NetworkPolicy['spec']['ingress']>[number]['ports']): NetworkPolicy =>
  policy(key, { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [ports === undefined ? { from } : { from, ports }] });

const CASES: Case[] = [
  {
    name: 'no policy: nothing is isolated, everything is allowed',
    policies: [],
    probes: [['y/b', 'x/a', 80, 'TCP', true, /egress of y\/b: not isolated; ingress of x\/a: not isolated/]],
  },
  {
    name: 'default deny ingress isolates the namespace pods for ingress only',
    policies: [denyIngressX],
    probes: [
      ['y/a', 'x/a', 80, 'TCP', false, /ingress of x\/a: default deny \(isolated by x\/deny-ingress/],
      ['x/b', 'x/a', 80, 'TCP', false],
      ['x/a', 'y/a', 80, 'TCP', true, /egress of x\/a: not isolated/],
    ],
  },
  {
    name: 'policyTypes omitted, no egress list: defaults to Ingress only (egress stays open)',
    policies: [policy('x/p', { podSelector: {} })],
    probes: [
      ['x/a', 'y/b', 80, 'TCP', true],
      ['y/b', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'policyTypes omitted with egress rules: Ingress AND Egress (ingress denied, no ingress rules)',
    policies: [policy('x/p', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    probes: [
      ['y/a', 'x/a', 80, 'TCP', false, /ingress of x\/a: default deny/],
      ['x/a', 'x/b', 80, 'TCP', true, /egress of x\/a: allowed by x\/p egress\[0\]/],
      ['x/a', 'x/c', 80, 'TCP', false, /egress of x\/a: default deny/],
    ],
  },
  {
    name: 'policyTypes omitted with explicit egress: [] does not add Egress',
    policies: [policy('x/p', { podSelector: {}, egress: [] })],
    probes: [
      ['x/a', 'y/c', 80, 'TCP', true, /egress of x\/a: not isolated/],
      ['x/a', 'x/c', 80, 'TCP', false, /ingress of x\/c: default deny/],
    ],
  },
  {
    name: 'explicit [Egress] with no rules denies all egress and leaves ingress open',
    policies: [denyEgressX],
    probes: [
      ['x/a', 'y/a', 53, 'UDP', false, /egress of x\/a: default deny/],
      ['y/a', 'x/a', 80, 'TCP', true],
    ],
  },
  {
    name: 'policies are additive: allow-all ingress [{}] wins over a default deny',
    policies: [denyIngressX, policy('x/allow-all', { podSelector: {}, ingress: [{}] })],
    probes: [
      ['z/c', 'x/b', 9999, 'UDP', true, /allowed by x\/allow-all ingress\[0\]/],
      ['192.168.7.7', 'x/a', 80, 'TCP', true],
    ],
  },
  {
    name: 'podSelector alone selects pods of the POLICY namespace only',
    policies: [ingressFrom('x/p', [{ podSelector: { matchLabels: { pod: 'b' } } }])],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true, /allowed by x\/p ingress\[0\]/],
      ['y/b', 'x/a', 80, 'TCP', false],
      ['x/c', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'namespaceSelector alone selects every pod of the matching namespaces',
    policies: [ingressFrom('x/p', [{ namespaceSelector: { matchLabels: { ns: 'y' } } }])],
    probes: [
      ['y/a', 'x/a', 80, 'TCP', true],
      ['y/c', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'namespaceSelector {} selects every pod of every namespace (but no non-pod address)',
    policies: [ingressFrom('x/p', [{ namespaceSelector: {} }])],
    probes: [
      ['z/c', 'x/a', 80, 'TCP', true],
      ['x/a', 'x/a', 80, 'TCP', true],
      ['192.168.7.7', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'podSelector {} alone = all pods of the policy namespace',
    policies: [ingressFrom('x/p', [{ podSelector: {} }])],
    probes: [
      ['x/c', 'x/a', 80, 'TCP', true],
      ['y/c', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'podSelector AND namespaceSelector in ONE peer',
    policies: [ingressFrom('x/p', [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }])],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', true],
      ['y/a', 'x/a', 80, 'TCP', false],
      ['x/b', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'the same selectors as TWO peers are OR-ed',
    policies: [ingressFrom('x/p', [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }])],
    probes: [
      ['y/a', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 80, 'TCP', true],
      ['z/b', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'matchExpressions NotIn matches namespaces lacking the value (and the key)',
    policies: [ingressFrom('x/p', [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['y'] }] } }])],
    probes: [
      ['z/a', 'x/a', 80, 'TCP', true],
      ['x/c', 'x/a', 80, 'TCP', true],
      ['y/a', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'ports: [{}] means every TCP port, not every protocol',
    policies: [ingressFrom('x/p', [{ podSelector: {} }], [{ protocol: 'TCP' }])],
    probes: [
      ['x/b', 'x/a', 9999, 'TCP', true],
      ['x/b', 'x/a', 80, 'UDP', false],
    ],
  },
  {
    name: 'an SCTP-only policy still isolates TCP (up-sctp-not-tcp)',
    policies: [policy('x/p', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] })],
    probes: [
      ['y/a', 'x/a', 80, 'SCTP', true],
      ['y/a', 'x/a', 80, 'TCP', false],
      ['y/a', 'x/a', 81, 'SCTP', false],
    ],
  },
  {
    name: 'endPort is an inclusive range starting at port',
    policies: [ingressFrom('x/p', [{ podSelector: {} }], [{ protocol: 'TCP', port: 80, endPort: 82 }])],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 82, 'TCP', true],
      ['x/b', 'x/a', 83, 'TCP', false],
      ['x/b', 'x/a', 79, 'TCP', false],
    ],
  },
  {
    name: 'ingress named port resolves on the destination pod (web = 80 on x/a, 8080 on y/b)',
    policies: [policy('x/p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 'web' }] }] }), policy('y/p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 'web' }] }] })],
    probes: [
      ['z/a', 'x/a', 80, 'TCP', true],
      ['z/a', 'x/a', 8080, 'TCP', false],
      ['z/a', 'y/b', 8080, 'TCP', true],
      ['z/a', 'y/b', 80, 'TCP', false],
    ],
  },
  {
    name: 'named port with a protocol mismatch matches nothing (serve-81-udp with default TCP)',
    policies: [ingressFrom('x/p', [{ podSelector: {} }], [{ protocol: 'TCP', port: 'serve-81-udp' }])],
    probes: [
      ['x/b', 'x/a', 81, 'TCP', false],
      ['x/b', 'x/a', 81, 'UDP', false],
    ],
  },
  {
    name: 'ipBlock with except, matched against pod IPs and external addresses',
    policies: [ingressFrom('x/p', [{ ipBlock: { cidr: '10.2.0.0/16', except: ['10.2.0.2/32'] } }])],
    probes: [
      ['y/a', 'x/a', 80, 'TCP', true],
      ['y/b', 'x/a', 80, 'TCP', false],
      ['10.2.5.5', 'x/a', 80, 'TCP', true],
      ['10.3.0.1', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'egress named port resolves on the remote destination pod, also behind an ipBlock',
    policies: [policy('x/p', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.2.0.0/16' } }], ports: [{ protocol: 'TCP', port: 'web' }] }] })],
    probes: [
      ['x/a', 'y/b', 8080, 'TCP', true],
      ['x/a', 'y/b', 80, 'TCP', false],
      ['x/a', 'y/a', 80, 'TCP', true],
      ['x/a', 'z/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'both sides must allow: ingress allows x/a but x/a egress denies (up-client-side-egress-deny)',
    policies: [denyEgressX, policy('y/p', { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] })],
    probes: [
      ['x/a', 'y/b', 80, 'TCP', false, /egress of x\/a: default deny .*; ingress of y\/b: allowed by y\/p ingress\[0\]/],
      ['z/a', 'y/b', 80, 'TCP', false, /ingress of y\/b: default deny/],
    ],
  },
  {
    name: 'spec.podSelector selects only in the policy namespace: a y policy does not isolate x pods',
    policies: [policy('y/deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    probes: [
      ['z/a', 'x/a', 80, 'TCP', true],
      ['x/a', 'y/a', 80, 'TCP', false, /ingress of y\/a: default deny/],
    ],
  },
  {
    name: 'a source that is not a pod has no egress side',
    policies: [denyEgressX],
    probes: [['192.168.7.7', 'x/a', 80, 'TCP', true, /egress: 192\.168\.7\.7 is not a pod/]],
  },
  {
    name: 'rules are OR-ed, but peer and port of one rule never mix with another rule',
    policies: [
      policy('x/p', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ protocol: 'TCP', port: 80 }] },
          { from: [{ podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ protocol: 'TCP', port: 81 }] },
        ],
      }),
    ],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true, /x\/p ingress\[0\]/],
      ['x/c', 'x/a', 81, 'TCP', true, /x\/p ingress\[1\]/],
      ['x/c', 'x/a', 80, 'TCP', false],
      ['x/b', 'x/a', 81, 'TCP', false],
    ],
  },
  {
    name: 'from: [] means every source, ports absent means every port and protocol',
    policies: [policy('x/p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [] }] })],
    probes: [
      ['z/c', 'x/a', 53, 'UDP', true],
      ['192.168.7.7', 'x/a', 9000, 'SCTP', true],
    ],
  },
  {
    name: 'a policy selecting other pods does not isolate this one (x/b unaffected by pod=a policy)',
    policies: [ingressFrom('x/p', [{ podSelector: { matchLabels: { pod: 'c' } } }])],
    probes: [
      ['y/a', 'x/b', 80, 'TCP', true, /ingress of x\/b: not isolated/],
      ['y/a', 'x/a', 80, 'TCP', false],
    ],
  },
];

describe('explain (upstream NetworkPolicy semantics)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { explain } = compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: c.policies });
      for (const [from, to, port, protocol, allowed, reason] of c.probes) {
        const ip = from.includes('/') ? (pod(from).ips[0] ?? '') : from;
        const verdict = explain({ ip }, pod(to), port, protocol);
        assert.equal(verdict.allowed, allowed, `${from} -> ${to}:${port}/${protocol}: ${verdict.reason}`);
        if (reason !== undefined) assert.match(verdict.reason, reason);
      }
    });
  }

  it('has at least 20 cases', () => assert.ok(CASES.length >= 20));

  it('takes the protocol in any case', () => {
    const { explain } = compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: [policy('x/p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] })] });
    assert.equal(explain({ ip: '10.2.0.1' }, pod('x/a'), 53, 'udp').allowed, true);
    assert.equal(explain({ ip: '10.2.0.1' }, pod('x/a'), 53, 'tcp').allowed, false);
  });
});
