// The NetworkPolicy (and Calico policy) conformance cases, on the x/y/z cluster of
// examples/xyz/cluster.yaml (pods a/b/c labelled pod=<name>, namespaces labelled ns=<name> and
// kubernetes.io/metadata.name=<name>, every pod serving TCP and UDP on 80 and 81 with container
// ports named serve-<port>-<proto>). Each case names the upstream test it mirrors
// (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go unless said otherwise).
//
// Every expected table is written by hand from the upstream semantics (reference cni-netpol.md
// sections 2 and 4), never from Ambit's output. The policies are YAML as users write it.
import { type PortProtocol, type Reachability } from './truth-table.ts';

/** What a case may need to know about the running cluster: pod IPs, for ipBlock cases. */
export interface CaseEnv {
  ip: (pod: string) => string;
}

export interface Step {
  name: string;
  /** YAML documents applied in this step: policies, and Namespaces/Pods re-applied with new labels. */
  apply?: (env: CaseEnv) => string;
  /** YAML documents deleted in this step. */
  delete?: (env: CaseEnv) => string;
  /** Fills the table for one (port, protocol); it starts all-true. */
  expect: (r: Reachability, pp: PortProtocol) => void;
}

export interface NetpolCase {
  name: string;
  kind: 'kubernetes' | 'calico';
  /** The upstream test (or cyclonus / Calico source) this case mirrors. */
  upstream: string;
  steps: Step[];
}

// ---- YAML builders ---------------------------------------------------------------------------

const indent = (text: string, by: string): string =>
  text
    .replace(/^\n+|\s+$/g, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : by + l))
    .join('\n');

/** Strips the common leading indentation of a template literal. */
function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const depth = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(depth)).join('\n');
}

/** A networking.k8s.io/v1 NetworkPolicy; `spec` is the YAML of its spec. */
export function np(namespace: string, name: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: "${namespace}"
spec:
${indent(dedent(spec), '  ')}
`;
}

/** A projectcalico.org/v3 NetworkPolicy (namespaced). */
export function calicoNp(namespace: string, name: string, spec: string): string {
  return `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: "${namespace}"
spec:
${indent(dedent(spec), '  ')}
`;
}

/** A projectcalico.org/v3 GlobalNetworkPolicy. */
export function gnp(name: string, spec: string): string {
  return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${name}
spec:
${indent(dedent(spec), '  ')}
`;
}

export function tier(name: string, order: number, defaultAction: 'Deny' | 'Pass'): string {
  return `apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: ${name}
spec:
  order: ${order}
  defaultAction: ${defaultAction}
`;
}

const labelsYaml = (labels: Record<string, string>): string =>
  `{ ${Object.entries(labels)
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ')} }`;

/** A Namespace of the cluster with its labels of examples/xyz/cluster.yaml plus `extra`. */
export function namespaceDoc(name: string, extra: Record<string, string> = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: "${name}"
  labels: ${labelsYaml({ ns: name, ...extra })}
`;
}

/** A Pod of the cluster exactly as examples/xyz/cluster.yaml declares it, with labels pod=<name> plus `extra`. */
export function podDoc(ref: string, extra: Record<string, string> = {}): string {
  const [namespace, name] = ref.split('/') as [string, string];
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: "${namespace}"
  labels: ${labelsYaml({ pod: name, ...extra })}
spec:
  containers:
    - name: cont
      image: ambit/workload
      ports:
        - { name: serve-80-tcp, containerPort: 80, protocol: TCP }
        - { name: serve-80-udp, containerPort: 80, protocol: UDP }
        - { name: serve-81-tcp, containerPort: 81, protocol: TCP }
        - { name: serve-81-udp, containerPort: 81, protocol: UDP }
`;
}

export const docs = (...parts: string[]): string => parts.join('---\n');

/** upstream makeLargeCIDRForIP: the /4 containing an IPv4 address. */
export function largeCidrFor(ip: string): string {
  const first = Number(ip.split('.')[0]);
  return `${first & 0xf0}.0.0.0/4`;
}

// ---- expectation helpers ---------------------------------------------------------------------

const is = (pp: PortProtocol, protocol: 'TCP' | 'UDP', port?: 80 | 81): boolean => pp.protocol === protocol && (port === undefined || pp.port === port);
const same = (yaml: string) => (): string => yaml;

// ---- Kubernetes NetworkPolicy cases ----------------------------------------------------------

const denyIngressX = np('x', 'deny-ingress', `
  podSelector: {}
  policyTypes: [Ingress]
`);

const K8S: NetpolCase[] = [
  {
    name: 'no policy: every pair connects on every port and protocol',
    kind: 'kubernetes',
    upstream: 'baseline of every upstream test (initial reachability all-true)',
    steps: [{ name: 'baseline', expect: () => undefined }],
  },
  {
    name: 'default-deny-ingress',
    kind: 'kubernetes',
    upstream: "should support a 'default-deny-ingress' policy (+ the UDP variant)",
    steps: [{ name: 'deny', apply: same(denyIngressX), expect: (r) => r.expectAllIngress('x/*', false) }],
  },
  {
    name: 'default-deny-egress',
    kind: 'kubernetes',
    upstream: 'should deny egress from all pods in a namespace',
    steps: [
      {
        name: 'deny',
        apply: same(np('x', 'deny-egress', `
          podSelector: {}
          policyTypes: [Egress]
        `)),
        expect: (r) => r.expectAllEgress('x/*', false),
      },
    ],
  },
  {
    name: 'default-deny-all',
    kind: 'kubernetes',
    upstream: "should support a 'default-deny-all' policy",
    steps: [
      {
        name: 'deny',
        apply: same(np('x', 'deny-all', `
          podSelector: {}
          policyTypes: [Ingress, Egress]
        `)),
        expect: (r) => r.expectAllIngress('x/*', false).expectAllEgress('x/*', false),
      },
    ],
  },
  {
    name: 'allow-all ingress with a rule {}',
    kind: 'kubernetes',
    upstream: 'should support allow-all policy',
    steps: [
      {
        name: 'allow-all',
        apply: same(np('x', 'allow-all', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress: [{}]
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'omitted policyTypes without egress isolates ingress only',
    kind: 'kubernetes',
    upstream: 'SetDefaults_NetworkPolicy (reference 2.3); cyclonus policyTypes defaulting',
    steps: [
      {
        name: 'no policyTypes, no rules',
        apply: same(np('x', 'no-types', `
          podSelector: { matchLabels: { pod: a } }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
    ],
  },
  {
    name: 'omitted policyTypes with egress rules isolates BOTH directions',
    kind: 'kubernetes',
    upstream: 'SetDefaults_NetworkPolicy (reference 2.3): Egress added when egress is non-empty, Ingress always',
    steps: [
      {
        name: 'egress rule, no policyTypes',
        apply: same(np('x', 'egress-no-types', `
          podSelector: { matchLabels: { pod: a } }
          egress:
            - to: [{ podSelector: { matchLabels: { pod: b } } }]
        `)),
        expect: (r) => {
          r.expectAllIngress('x/a', false);
          r.expectAllEgress('x/a', false);
          r.expect('x/a', 'x/b', true);
        },
      },
    ],
  },
  {
    name: 'egress rules without Egress in policyTypes are ignored',
    kind: 'kubernetes',
    upstream: 'reference 2.2/2.3: isolation needs the type in policyTypes; cyclonus policyTypes cases',
    steps: [
      {
        name: 'Ingress-only policy carrying an egress list',
        apply: same(np('x', 'ingress-only-with-egress', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: { matchLabels: { pod: b } } }]
          egress:
            - to: [{ podSelector: { matchLabels: { pod: c } } }]
        `)),
        expect: (r) => {
          r.expectAllIngress('x/a', false);
          r.expect('x/b', 'x/a', true);
        },
      },
    ],
  },
  {
    name: 'allow from pods within the server namespace by podSelector',
    kind: 'kubernetes',
    upstream: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    steps: [
      {
        name: 'allow x/b -> x/a',
        apply: same(np('x', 'x-a-allows-x-b', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: { matchLabels: { pod: b } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true),
      },
    ],
  },
  {
    name: 'allow ingress for a target over a namespace default deny (stacked)',
    kind: 'kubernetes',
    upstream: 'should enforce policy to allow ingress traffic for a target',
    steps: [
      {
        name: 'deny x, allow all to x/a',
        apply: same(docs(denyIngressX, np('x', 'allow-to-a', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress: [{}]
        `))),
        expect: (r) => r.expectAllIngress('x/b', false).expectAllIngress('x/c', false),
      },
    ],
  },
  {
    name: 'allow from all namespaces (namespaceSelector {})',
    kind: 'kubernetes',
    upstream: 'should enforce policy to allow ingress traffic from pods in all namespaces',
    steps: [
      {
        name: 'from every namespace',
        apply: same(np('x', 'allow-all-ns', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: {} }]
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'allow only from a different namespace by namespaceSelector',
    kind: 'kubernetes',
    upstream: 'should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    steps: [
      {
        name: 'from ns=y',
        apply: same(np('x', 'allow-ns-y', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('y/*', 'x/a', true),
      },
    ],
  },
  {
    name: 'podSelector with matchExpressions In',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on PodSelector with MatchExpressions',
    steps: [
      {
        name: 'pod In [b]',
        apply: same(np('x', 'pod-in-b', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b] }] } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true),
      },
    ],
  },
  {
    name: 'namespaceSelector with matchExpressions In',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    steps: [
      {
        name: 'ns In [y]',
        apply: same(np('x', 'ns-in-y', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchExpressions: [{ key: ns, operator: In, values: ["y"] }] } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('y/*', 'x/a', true),
      },
    ],
  },
  {
    name: 'podSelector OR namespaceSelector (two peers)',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on PodSelector or NamespaceSelector',
    steps: [
      {
        name: 'ns NotIn [x] or pod=b',
        apply: same(np('x', 'pod-or-ns', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: ["x"] }] }
                - podSelector: { matchLabels: { pod: b } }
        `)),
        expect: (r) => r.expect('x/c', 'x/a', false),
      },
    ],
  },
  {
    name: 'podSelector AND namespaceSelector (one peer)',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on PodSelector and NamespaceSelector',
    steps: [
      {
        name: 'ns NotIn [x] and pod=b',
        apply: same(np('x', 'pod-and-ns', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: ["x"] }] }
                  podSelector: { matchLabels: { pod: b } }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true),
      },
    ],
  },
  {
    name: 'multiple podSelectors and namespaceSelectors',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    steps: [
      {
        name: 'ns NotIn [x] and pod In [b, c]',
        apply: same(np('x', 'multi', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: ["x"] }] }
                  podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b, c] }] }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('y/b', 'x/a', true).expectPeer('y/c', 'x/a', true).expectPeer('z/b', 'x/a', true).expectPeer('z/c', 'x/a', true),
      },
    ],
  },
  {
    name: 'any of several podSelectors (peers OR-ed)',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on any PodSelectors',
    steps: [
      {
        name: 'pod=b or pod=c',
        apply: same(np('x', 'any-pod', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - podSelector: { matchLabels: { pod: b } }
                - podSelector: { matchLabels: { pod: c } }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true),
      },
    ],
  },
  {
    name: 'only from one pod in a different namespace',
    kind: 'kubernetes',
    upstream: 'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    steps: [
      {
        name: 'y/a only',
        apply: same(np('x', 'only-y-a', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - namespaceSelector: { matchLabels: { ns: "y" } }
                  podSelector: { matchLabels: { pod: a } }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expect('y/a', 'x/a', true),
      },
    ],
  },
  {
    name: 'ports: peer AND port inside a rule (TCP 81 from y)',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on Ports',
    steps: [
      {
        name: 'from ns=y on TCP 81',
        apply: same(np('x', 'y-on-81', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{ port: 81, protocol: TCP }]
        `)),
        expect: (r, pp) => {
          r.expectAllIngress('x/a', false);
          if (is(pp, 'TCP', 81)) r.expectPeer('y/*', 'x/a', true);
        },
      },
    ],
  },
  {
    name: 'rules OR-ed: (x/b on 80) or (ns y on 81)',
    kind: 'kubernetes',
    upstream: 'reference 2.4 (rules OR-ed, from AND ports); cyclonus multi-rule cases',
    steps: [
      {
        name: 'two rules',
        apply: same(np('x', 'two-rules', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: { matchLabels: { pod: b } } }]
              ports: [{ port: 80 }]
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{ port: 81 }]
        `)),
        expect: (r, pp) => {
          r.expectAllIngress('x/a', false);
          if (is(pp, 'TCP', 80)) r.expect('x/b', 'x/a', true);
          if (is(pp, 'TCP', 81)) r.expectPeer('y/*', 'x/a', true);
        },
      },
    ],
  },
  {
    name: 'multiple stacked policies with overlapping podSelectors (additive)',
    kind: 'kubernetes',
    upstream: 'should enforce multiple, stacked policies with overlapping podSelectors',
    steps: [
      {
        name: 'allow y on TCP 81',
        apply: same(np('x', 'stack-81', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{ port: 81, protocol: TCP }]
        `)),
        expect: (r, pp) => {
          r.expectAllIngress('x/a', false);
          if (is(pp, 'TCP', 81)) r.expectPeer('y/*', 'x/a', true);
        },
      },
      {
        name: 'add a second policy allowing y on TCP 80',
        apply: same(np('x', 'stack-80', `
          podSelector: { matchExpressions: [{ key: pod, operator: Exists }] }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{ port: 80, protocol: TCP }]
        `)),
        // stack-80 selects every pod of x (pod Exists): x/b and x/c become isolated too.
        expect: (r, pp) => {
          r.expectAllIngress('x/*', false);
          if (is(pp, 'TCP', 80)) r.expectPeer('y/*', 'x/*', true);
          if (is(pp, 'TCP', 81)) r.expectPeer('y/*', 'x/a', true);
        },
      },
    ],
  },
  {
    name: 'ingress on one named port (all sources)',
    kind: 'kubernetes',
    upstream: 'should allow ingress access on one named port',
    steps: [
      {
        name: 'serve-81-tcp',
        apply: same(np('x', 'named-81', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
            - ports: [{ port: serve-81-tcp }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 81)) r.expectAllIngress('x/*', false);
        },
      },
    ],
  },
  {
    name: 'ingress from a namespace on one named port',
    kind: 'kubernetes',
    upstream: 'should allow ingress access from namespace on one named port',
    steps: [
      {
        name: 'ns=y on serve-80-tcp',
        apply: same(np('x', 'named-80-from-y', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{ port: serve-80-tcp, protocol: TCP }]
        `)),
        expect: (r, pp) => {
          r.expectAllIngress('x/*', false);
          if (is(pp, 'TCP', 80)) r.expectPeer('y/*', 'x/*', true);
        },
      },
    ],
  },
  {
    name: 'egress on one named port',
    kind: 'kubernetes',
    upstream: 'should allow egress access on one named port',
    steps: [
      {
        name: 'egress serve-80-tcp',
        apply: same(np('x', 'egress-named-80', `
          podSelector: {}
          policyTypes: [Egress]
          egress:
            - ports: [{ port: serve-80-tcp }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 80)) r.expectAllEgress('x/*', false);
        },
      },
    ],
  },
  {
    name: 'named port with the UDP protocol',
    kind: 'kubernetes',
    upstream: 'cyclonus named-port + udp; reference 2.4 named ports match (name, protocol)',
    steps: [
      {
        name: 'serve-81-udp/UDP',
        apply: same(np('x', 'named-81-udp', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ port: serve-81-udp, protocol: UDP }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'UDP', 81)) r.expectAllIngress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'named port with a protocol mismatch matches nothing',
    kind: 'kubernetes',
    upstream: 'cyclonus sem-named-port-protocol-mismatch (serve-80-udp with default protocol TCP)',
    steps: [
      {
        name: 'serve-80-udp, protocol defaulted to TCP',
        apply: same(np('x', 'named-mismatch', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ port: serve-80-udp }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
    ],
  },
  {
    name: 'updated policy: allow-all mutated to deny-all',
    kind: 'kubernetes',
    upstream: 'should enforce updated policy',
    steps: [
      {
        name: 'allow all ingress to x',
        apply: same(np('x', 'mutate', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress: [{}]
        `)),
        expect: () => undefined,
      },
      {
        name: 'same policy, no rules',
        apply: same(np('x', 'mutate', `
          podSelector: {}
          policyTypes: [Ingress]
        `)),
        expect: (r) => r.expectAllIngress('x/*', false),
      },
    ],
  },
  {
    name: 'updated policy: podSelector moved from x/a to x/b',
    kind: 'kubernetes',
    upstream: 'cyclonus update-policy action',
    steps: [
      {
        name: 'deny ingress x/a',
        apply: same(np('x', 'retarget', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
      {
        name: 'deny ingress x/b instead',
        apply: same(np('x', 'retarget', `
          podSelector: { matchLabels: { pod: b } }
          policyTypes: [Ingress]
        `)),
        expect: (r) => r.expectAllIngress('x/b', false),
      },
    ],
  },
  {
    name: 'ingress from an updated namespace (namespace label added)',
    kind: 'kubernetes',
    upstream: 'should allow ingress access from updated namespace',
    steps: [
      {
        name: 'nobody has ns2=updated',
        apply: same(np('x', 'from-updated-ns', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns2: updated } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
      {
        name: 'label namespace y ns2=updated',
        apply: same(namespaceDoc('y', { ns2: 'updated' })),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('y/*', 'x/a', true),
      },
    ],
  },
  {
    name: 'ingress from an updated pod (pod label added)',
    kind: 'kubernetes',
    upstream: 'should allow ingress access from updated pod',
    steps: [
      {
        name: 'nobody has pod2=updated',
        apply: same(np('x', 'from-updated-pod', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod2: updated } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
      {
        name: 'label z/b pod2=updated',
        apply: same(podDoc('z/b', { pod2: 'updated' })),
        expect: (r) => r.expectAllIngress('x/a', false).expect('z/b', 'x/a', true),
      },
    ],
  },
  {
    name: 'deny ingress to an updated pod (target selected by a new label)',
    kind: 'kubernetes',
    upstream: 'should deny ingress access to updated pod',
    steps: [
      {
        name: 'nobody is target=isolated',
        apply: same(np('x', 'isolate-target', `
          podSelector: { matchLabels: { target: isolated } }
          policyTypes: [Ingress]
        `)),
        expect: () => undefined,
      },
      {
        name: 'label x/a target=isolated',
        apply: same(podDoc('x/a', { target: 'isolated' })),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
    ],
  },
  {
    name: 'deny ingress from other namespaces (podSelector {} peer = own namespace)',
    kind: 'kubernetes',
    upstream: 'should deny ingress from pods on other namespaces',
    steps: [
      {
        name: 'from podSelector {}',
        apply: same(np('x', 'same-ns', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: {} }]
        `)),
        expect: (r) => r.expectPeer('y/*', 'x/*', false).expectPeer('z/*', 'x/*', false),
      },
    ],
  },
  {
    name: 'deny egress by podSelector',
    kind: 'kubernetes',
    upstream: 'should deny egress from pods based on PodSelector',
    steps: [
      {
        name: 'x/a egress none',
        apply: same(np('x', 'deny-egress-a', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
        `)),
        expect: (r) => r.expectAllEgress('x/a', false),
      },
    ],
  },
  {
    name: 'Ingress and Egress specified together',
    kind: 'kubernetes',
    upstream: 'should work with Ingress, Egress specified together',
    steps: [
      {
        name: 'x/a talks to x/b only',
        apply: same(np('x', 'both', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress, Egress]
          ingress:
            - from: [{ podSelector: { matchLabels: { pod: b } } }]
          egress:
            - to: [{ podSelector: { matchLabels: { pod: b } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectAllEgress('x/a', false).expect('x/b', 'x/a', true).expect('x/a', 'x/b', true),
      },
    ],
  },
  {
    name: 'client-side egress deny even if the server allows',
    kind: 'kubernetes',
    upstream: 'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    steps: [
      {
        name: 'y/b allows x/a, x/a may only reach z',
        apply: same(docs(
          np('y', 'y-b-allows-x-a', `
            podSelector: { matchLabels: { pod: b } }
            policyTypes: [Ingress]
            ingress:
              - from: [{ namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: { matchLabels: { pod: a } } }]
          `),
          np('x', 'x-a-egress-to-z', `
            podSelector: { matchLabels: { pod: a } }
            policyTypes: [Egress]
            egress:
              - to: [{ namespaceSelector: { matchLabels: { ns: "z" } } }]
          `),
        )),
        expect: (r) => {
          r.expectAllIngress('y/b', false);
          r.expectAllEgress('x/a', false);
          r.expectPeer('x/a', 'z/*', true);
        },
      },
    ],
  },
  {
    name: 'egress to a server in another namespace (podSelector AND namespaceSelector)',
    kind: 'kubernetes',
    upstream: 'should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    steps: [
      {
        name: 'x/a -> y/a only',
        apply: same(np('x', 'egress-y-a', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: a } } }]
        `)),
        expect: (r) => r.expectAllEgress('x/a', false).expect('x/a', 'y/a', true),
      },
    ],
  },
  {
    name: 'egress peers OR-ed: namespace y or pod c of x',
    kind: 'kubernetes',
    upstream: 'reference 2.4 (two peers = OR) on egress; cyclonus multi-peer',
    steps: [
      {
        name: 'two egress peers',
        apply: same(np('x', 'egress-two-peers', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to:
                - namespaceSelector: { matchLabels: { ns: "y" } }
                - podSelector: { matchLabels: { pod: c } }
        `)),
        expect: (r) => r.expectAllEgress('x/a', false).expectPeer('x/a', 'y/*', true).expect('x/a', 'x/c', true),
      },
    ],
  },
  {
    name: 'ingress on any TCP port (port omitted) isolates UDP',
    kind: 'kubernetes',
    upstream: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol (cyclonus up-any-port-tcp-probe-udp)',
    steps: [
      {
        name: 'protocol TCP, no port',
        apply: same(np('x', 'any-tcp', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ protocol: TCP }]
        `)),
        expect: (r, pp) => {
          if (pp.protocol === 'UDP') r.expectAllIngress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'ports: [{}] means any TCP port',
    kind: 'kubernetes',
    upstream: 'reference 2.4 (protocol defaults to TCP); cyclonus any-port tcp',
    steps: [
      {
        name: 'from y, ports [{}]',
        apply: same(np('x', 'empty-port', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }]
              ports: [{}]
        `)),
        expect: (r, pp) => {
          r.expectAllIngress('x/a', false);
          if (pp.protocol === 'TCP') r.expectPeer('y/*', 'x/a', true);
        },
      },
    ],
  },
  {
    name: 'egress on the whole UDP protocol (port omitted)',
    kind: 'kubernetes',
    upstream: 'cyclonus any-port udp on egress',
    steps: [
      {
        name: 'egress protocol UDP',
        apply: same(np('x', 'egress-any-udp', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - ports: [{ protocol: UDP }]
        `)),
        expect: (r, pp) => {
          if (pp.protocol === 'TCP') r.expectAllEgress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'UDP-only policy blocks TCP',
    kind: 'kubernetes',
    upstream: 'should not allow access by TCP when a policy specifies only UDP',
    steps: [
      {
        name: 'UDP 81 only',
        apply: same(np('x', 'udp-81', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ protocol: UDP, port: 81 }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'UDP', 81)) r.expectAllIngress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'SCTP-only policy isolates TCP and UDP',
    kind: 'kubernetes',
    upstream: 'should not allow access by TCP when a policy specifies only SCTP (cyclonus up-sctp-not-tcp, up-sctp-policy-isolates)',
    steps: [
      {
        name: 'SCTP 80 only',
        apply: same(np('x', 'sctp-80', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ protocol: SCTP, port: 80 }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
    ],
  },
  {
    name: 'endPort range on ingress (70-80 TCP)',
    kind: 'kubernetes',
    upstream: 'cyclonus end-port; KEP-2079 (network_policy_api.go endPort validation)',
    steps: [
      {
        name: 'TCP 70..80',
        apply: same(np('x', 'range-70-80', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ protocol: TCP, port: 70, endPort: 80 }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 80)) r.expectAllIngress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'endPort range on egress (81-90 TCP)',
    kind: 'kubernetes',
    upstream: 'cyclonus end-port on egress',
    steps: [
      {
        name: 'TCP 81..90',
        apply: same(np('x', 'range-81-90', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - ports: [{ port: 81, endPort: 90 }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 81)) r.expectAllEgress('x/a', false);
        },
      },
    ],
  },
  {
    name: 'allow-all ingress policy takes precedence (additive)',
    kind: 'kubernetes',
    upstream: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    steps: [
      {
        name: 'only TCP 81 to x/a',
        apply: same(np('x', 'only-81', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - ports: [{ port: 81, protocol: TCP }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 81)) r.expectAllIngress('x/a', false);
        },
      },
      {
        name: 'add allow-all ingress',
        apply: same(np('x', 'allow-all-ingress', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress: [{}]
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'allow-all egress policy takes precedence (additive)',
    kind: 'kubernetes',
    upstream: 'should enforce multiple egress policies with egress allow-all policy taking precedence',
    steps: [
      {
        name: 'only TCP 80 from x/a',
        apply: same(np('x', 'egress-only-80', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - ports: [{ port: 80, protocol: TCP }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 80)) r.expectAllEgress('x/a', false);
        },
      },
      {
        name: 'add allow-all egress',
        apply: same(np('x', 'allow-all-egress', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress: [{}]
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'stop enforcing policies after they are deleted',
    kind: 'kubernetes',
    upstream: 'should stop enforcing policies after they are deleted',
    steps: [
      {
        name: 'deny all in x',
        apply: same(np('x', 'deny-all-then-delete', `
          podSelector: {}
          policyTypes: [Ingress, Egress]
        `)),
        expect: (r) => r.expectAllIngress('x/*', false).expectAllEgress('x/*', false),
      },
      {
        name: 'delete it',
        delete: same(np('x', 'deny-all-then-delete', `
          podSelector: {}
          policyTypes: [Ingress, Egress]
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'deleting one of two stacked policies removes only its allowances',
    kind: 'kubernetes',
    upstream: 'cyclonus delete-policy action',
    steps: [
      {
        name: 'deny x + allow from y',
        apply: same(docs(denyIngressX, np('x', 'allow-from-y', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: "y" } } }]
        `))),
        expect: (r) => r.expectAllIngress('x/*', false).expectPeer('y/*', 'x/*', true),
      },
      {
        name: 'delete allow-from-y',
        delete: same(np('x', 'allow-from-y', `
          podSelector: {}
          policyTypes: [Ingress]
        `)),
        expect: (r) => r.expectAllIngress('x/*', false),
      },
    ],
  },
  {
    name: 'egress to a pod IP in a CIDR block (/32)',
    kind: 'kubernetes',
    upstream: 'should allow egress access to server in CIDR block',
    steps: [
      {
        name: 'x/a egress to y/b/32',
        apply: (env) => np('x', 'egress-cidr', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ ipBlock: { cidr: ${env.ip('y/b')}/32 } }]
        `),
        expect: (r) => r.expectAllEgress('x/a', false).expect('x/a', 'y/b', true),
      },
    ],
  },
  {
    name: 'except clause: the /4 of a pod IP with its /32 excepted',
    kind: 'kubernetes',
    upstream: 'should enforce except clause while egress access to server in CIDR block',
    steps: [
      {
        name: 'x/a egress to /4 except x/b/32',
        apply: (env) => np('x', 'egress-except', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ ipBlock: { cidr: ${largeCidrFor(env.ip('x/b'))}, except: [${env.ip('x/b')}/32] } }]
        `),
        expect: (r) => r.expect('x/a', 'x/b', false),
      },
    ],
  },
  {
    name: 'an IP in both IPBlock.cidr and except is allowed by another rule',
    kind: 'kubernetes',
    upstream: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    steps: [
      {
        name: 'except x/b',
        apply: (env) => np('x', 'egress-overlap', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ ipBlock: { cidr: ${largeCidrFor(env.ip('x/b'))}, except: [${env.ip('x/b')}/32] } }]
        `),
        expect: (r) => r.expect('x/a', 'x/b', false),
      },
      {
        name: 'add a rule allowing x/b/32',
        apply: (env) => np('x', 'egress-overlap', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ ipBlock: { cidr: ${largeCidrFor(env.ip('x/b'))}, except: [${env.ip('x/b')}/32] } }]
            - to: [{ ipBlock: { cidr: ${env.ip('x/b')}/32 } }]
        `),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'ingress ipBlock with except on pod IPs',
    kind: 'kubernetes',
    upstream: 'cyclonus ip-block-with-except on ingress (pod IPs matched, as Calico)',
    steps: [
      {
        name: 'from /4 except y/c/32',
        apply: (env) => np('x', 'ingress-except', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ ipBlock: { cidr: ${largeCidrFor(env.ip('y/c'))}, except: [${env.ip('y/c')}/32] } }]
        `),
        expect: (r) => r.expect('y/c', 'x/a', false),
      },
    ],
  },
  {
    name: 'ingress and egress controlled independently',
    kind: 'kubernetes',
    upstream: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    steps: [
      {
        name: 'deny ingress to x/a; its egress stays open',
        apply: same(np('x', 'indep-ingress', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
      {
        name: 'add egress from x/a to x/b only',
        apply: same(np('x', 'indep-egress', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ podSelector: { matchLabels: { pod: b } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectAllEgress('x/a', false).expect('x/a', 'x/b', true),
      },
    ],
  },
  {
    name: 'namespace by name: matchLabels kubernetes.io/metadata.name',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on NamespaceSelector with MatchLabels using default ns label',
    steps: [
      {
        name: 'from namespace z by name',
        apply: same(np('x', 'by-name', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: "z" } } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('z/*', 'x/a', true),
      },
    ],
  },
  {
    name: 'namespace by name: matchExpressions NotIn on kubernetes.io/metadata.name (egress)',
    kind: 'kubernetes',
    upstream: 'should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    steps: [
      {
        name: 'egress to namespaces NotIn [y]',
        apply: same(np('x', 'by-name-notin', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to: [{ namespaceSelector: { matchExpressions: [{ key: kubernetes.io/metadata.name, operator: NotIn, values: ["y"] }] } }]
        `)),
        expect: (r) => r.expectPeer('x/a', 'y/*', false),
      },
    ],
  },
  {
    name: 'NotIn matches pods lacking the key (then a label change excludes one)',
    kind: 'kubernetes',
    upstream: 'reference 2.1 (NotIn matches objects lacking the key); cyclonus set-pod-labels',
    steps: [
      {
        name: 'role NotIn [client]: every x pod lacks role',
        apply: same(np('x', 'notin-role', `
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
            - from: [{ podSelector: { matchExpressions: [{ key: role, operator: NotIn, values: [client] }] } }]
        `)),
        expect: (r) => r.expectPeer('y/*', 'x/*', false).expectPeer('z/*', 'x/*', false),
      },
      {
        name: 'label x/b role=client',
        apply: same(podDoc('x/b', { role: 'client' })),
        expect: (r) => r.expectPeer('y/*', 'x/*', false).expectPeer('z/*', 'x/*', false).expectPeer('x/b', 'x/*', false),
      },
    ],
  },
  {
    name: 'namespaceSelector Exists (a namespace label is added)',
    kind: 'kubernetes',
    upstream: 'should allow ingress access from updated namespace (with Exists); cyclonus set-namespace-labels',
    steps: [
      {
        name: 'team Exists: no namespace has it',
        apply: same(np('x', 'team-exists', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from: [{ namespaceSelector: { matchExpressions: [{ key: team, operator: Exists }] } }]
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
      {
        name: 'label namespace z team=blue',
        apply: same(namespaceDoc('z', { team: 'blue' })),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('z/*', 'x/a', true),
      },
    ],
  },
  {
    name: 'DoesNotExist matches objects lacking the key (AND pod=c)',
    kind: 'kubernetes',
    upstream: 'reference 2.1 (DoesNotExist); cyclonus pods-by-label',
    steps: [
      {
        name: 'namespaces without team, pod=c',
        apply: same(np('x', 'team-missing', `
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Ingress]
          ingress:
            - from:
                - namespaceSelector: { matchExpressions: [{ key: team, operator: DoesNotExist }] }
                  podSelector: { matchLabels: { pod: c } }
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('*/c', 'x/a', true),
      },
    ],
  },
  {
    name: 'empty from [] with ports: every source on that port',
    kind: 'kubernetes',
    upstream: 'reference 2.4 (from missing or empty matches all sources)',
    steps: [
      {
        name: 'from [], TCP 80',
        apply: same(np('x', 'empty-from', `
          podSelector: { matchLabels: { pod: b } }
          policyTypes: [Ingress]
          ingress:
            - from: []
              ports: [{ port: 80 }]
        `)),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 80)) r.expectAllIngress('x/b', false);
        },
      },
    ],
  },
];

// ---- Calico cases -----------------------------------------------------------------------------

const k8sAllowAllIngressX = np('x', 'k8s-allow-all', `
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
`);

const CALICO: NetpolCase[] = [
  {
    name: 'a Deny ordered before the Kubernetes policies (order 100 < 1000) overrides their allow; ordered after, it does not',
    kind: 'calico',
    upstream: 'Calico conversion.go (K8s policies in tier default, order 1000); reference 4.3',
    steps: [
      {
        name: 'Calico NP order 100 denies ns y to x/a; K8s allows all into x',
        apply: same(docs(k8sAllowAllIngressX, calicoNp('x', 'deny-y', `
          order: 100
          selector: pod == 'a'
          types: [Ingress]
          ingress:
            - action: Deny
              source: { namespaceSelector: ns == 'y' }
        `))),
        expect: (r) => r.expectPeer('y/*', 'x/a', false),
      },
      {
        name: 'same Calico NP at order 2000: the K8s allow (1000) decides first',
        apply: same(calicoNp('x', 'deny-y', `
          order: 2000
          selector: pod == 'a'
          types: [Ingress]
          ingress:
            - action: Deny
              source: { namespaceSelector: ns == 'y' }
        `)),
        expect: () => undefined,
      },
    ],
  },
  {
    name: 'order decides between Allow and Deny',
    kind: 'calico',
    upstream: 'Calico GlobalNetworkPolicy order (reference 4.1, 4.3)',
    steps: [
      {
        name: 'Allow from y (order 10) before Deny all (order 20)',
        apply: same(docs(
          gnp('allow-y-to-xa', `
            order: 10
            namespaceSelector: ns == 'x'
            selector: pod == 'a'
            types: [Ingress]
            ingress:
              - action: Allow
                source: { namespaceSelector: ns == 'y' }
          `),
          gnp('deny-to-xa', `
            order: 20
            namespaceSelector: ns == 'x'
            selector: pod == 'a'
            types: [Ingress]
            ingress:
              - action: Deny
          `),
        )),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('y/*', 'x/a', true),
      },
      {
        name: 'Deny moved before Allow (order 5)',
        apply: same(gnp('deny-to-xa', `
          order: 5
          namespaceSelector: ns == 'x'
          selector: pod == 'a'
          types: [Ingress]
          ingress:
            - action: Deny
        `)),
        expect: (r) => r.expectAllIngress('x/a', false),
      },
    ],
  },
  {
    name: 'Deny before Allow inside one policy (rule order)',
    kind: 'calico',
    upstream: 'Calico rule evaluation (first Allow/Deny wins; reference 4.1)',
    steps: [
      {
        name: 'Deny */b then Allow all, egress of x/c',
        apply: same(calicoNp('x', 'deny-then-allow', `
          selector: pod == 'c'
          types: [Egress]
          egress:
            - action: Deny
              destination: { selector: pod == 'b', namespaceSelector: all() }
            - action: Allow
        `)),
        expect: (r) => r.expectPeer('x/c', '*/b', false),
      },
    ],
  },
  {
    name: 'a policy whose rules take no action drops at the end of the tier',
    kind: 'calico',
    upstream: 'Calico end-of-tier drop (reference 4.3)',
    steps: [
      {
        name: 'only Deny to x/c (same namespace selector); nothing else matches',
        apply: same(calicoNp('x', 'only-deny', `
          selector: pod == 'b'
          types: [Egress]
          egress:
            - action: Deny
              destination: { selector: pod == 'c' }
        `)),
        expect: (r) => r.expectAllEgress('x/b', false),
      },
    ],
  },
  {
    name: 'Pass from a tier ordered before default hands over to the Kubernetes policies',
    kind: 'calico',
    upstream: 'Calico tiers and Pass (reference 4.3)',
    steps: [
      {
        name: 'tier security: Pass ns y, Allow the rest; K8s: x admits only y/a',
        apply: same(docs(
          tier('security', 100, 'Deny'),
          gnp('security.pass-y', `
            tier: security
            order: 10
            namespaceSelector: ns == 'x'
            selector: all()
            types: [Ingress]
            ingress:
              - action: Pass
                source: { namespaceSelector: ns == 'y' }
              - action: Allow
          `),
          np('x', 'k8s-only-y-a', `
            podSelector: {}
            policyTypes: [Ingress]
            ingress:
              - from: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: a } } }]
          `),
        )),
        expect: (r) => r.expectPeer('y/b', 'x/*', false).expectPeer('y/c', 'x/*', false),
      },
    ],
  },
  {
    name: 'Pass to a tier where no policy applies falls to the profile (allow); the tier default action denies the rest',
    kind: 'calico',
    upstream: 'Calico tiers, Pass and profiles kns.<ns> (reference 4.3)',
    steps: [
      {
        name: 'tier security: Pass sources pod=a into z, nothing else',
        apply: same(docs(
          tier('security', 100, 'Deny'),
          gnp('security.pass-a', `
            tier: security
            order: 10
            namespaceSelector: ns == 'z'
            selector: all()
            types: [Ingress]
            ingress:
              - action: Pass
                source: { selector: pod == 'a' }
          `),
        )),
        expect: (r) => r.expectAllIngress('z/*', false).expectPeer('*/a', 'z/*', true),
      },
    ],
  },
  {
    name: "selectors in, not in, !=, has(), with namespaceSelector",
    kind: 'calico',
    upstream: 'Calico selector language (reference 4.2)',
    steps: [
      {
        name: "into y (pod != 'a'): sources pod in {a,c}; x/a untouched",
        apply: same(gnp('sel-in', `
          namespaceSelector: ns == 'y'
          selector: pod != 'a' && has(pod)
          types: [Ingress]
          ingress:
            - action: Allow
              source: { selector: "pod in {'a', 'c'}" }
        `)),
        expect: (r) => r.expectAllIngress('y/b', false).expectAllIngress('y/c', false).expectPeer('*/a', 'y/b', true).expectPeer('*/c', 'y/b', true).expectPeer('*/a', 'y/c', true).expectPeer('*/c', 'y/c', true),
      },
    ],
  },
  {
    name: 'selectors not in and !has() (a pod label is added)',
    kind: 'calico',
    upstream: 'Calico selector language (reference 4.2); cyclonus set-pod-labels',
    steps: [
      {
        name: "into z: sources pod not in {'a'} && !has(role)",
        apply: same(gnp('sel-notin', `
          namespaceSelector: ns == 'z'
          selector: all()
          types: [Ingress]
          ingress:
            - action: Allow
              source: { selector: "pod not in {'a'} && !has(role)" }
        `)),
        expect: (r) => r.expectPeer('*/a', 'z/*', false),
      },
      {
        name: 'label y/b role=client',
        apply: same(podDoc('y/b', { role: 'client' })),
        expect: (r) => r.expectPeer('*/a', 'z/*', false).expectPeer('y/b', 'z/*', false),
      },
    ],
  },
  {
    name: 'parentheses, || and && with a rule namespaceSelector',
    kind: 'calico',
    upstream: 'Calico selector language precedence (reference 4.2)',
    steps: [
      {
        name: "into x/a: (pod == 'b' || pod == 'c') && !has(role) from ns != 'z'",
        apply: same(gnp('sel-parens', `
          namespaceSelector: kubernetes.io/metadata.name == 'x'
          selector: pod == 'a'
          types: [Ingress]
          ingress:
            - action: Allow
              source:
                selector: (pod == 'b' || pod == 'c') && !has(role)
                namespaceSelector: ns != 'z'
        `)),
        expect: (r) => r.expectAllIngress('x/a', false).expectPeer('x/b', 'x/a', true).expectPeer('x/c', 'x/a', true).expectPeer('y/b', 'x/a', true).expectPeer('y/c', 'x/a', true),
      },
    ],
  },
  {
    name: 'namespaced NetworkPolicy, rule namespaceSelector (not the own namespace)',
    kind: 'calico',
    upstream: 'Calico NetworkPolicy EntityRule.namespaceSelector (reference 4.1)',
    steps: [
      {
        name: 'y admits only namespace z',
        apply: same(calicoNp('y', 'from-z', `
          selector: all()
          ingress:
            - action: Allow
              source: { namespaceSelector: ns == 'z' }
        `)),
        expect: (r) => r.expectAllIngress('y/*', false).expectPeer('z/*', 'y/*', true),
      },
    ],
  },
  {
    name: 'global default deny with an allow-list (TCP 80 only)',
    kind: 'calico',
    upstream: 'Calico global default deny recipe (tigera docs), reference 4.3',
    steps: [
      {
        name: 'deny all in x/y/z at order 2000, allow TCP 80 at order 100',
        apply: same(docs(
          gnp('default-deny', `
            order: 2000
            namespaceSelector: "kubernetes.io/metadata.name in {'x', 'y', 'z'}"
            selector: all()
            types: [Ingress, Egress]
          `),
          gnp('allow-tcp-80', `
            order: 100
            namespaceSelector: "kubernetes.io/metadata.name in {'x', 'y', 'z'}"
            selector: all()
            types: [Ingress, Egress]
            ingress:
              - action: Allow
                protocol: TCP
                destination: { ports: [80] }
            egress:
              - action: Allow
                protocol: TCP
                destination: { ports: [80] }
          `),
        )),
        expect: (r, pp) => {
          if (!is(pp, 'TCP', 80)) r.expectPeer('*', '*', false);
        },
      },
    ],
  },
];

export const CASES: readonly NetpolCase[] = [...K8S, ...CALICO];
