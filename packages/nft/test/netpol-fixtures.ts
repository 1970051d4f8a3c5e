// The upstream-style test cluster (cni-netpol.md 3.1): namespaces x, y, z with pods a, b, c each,
// plus helpers to write NetworkPolicies tersely. Used by the unit tests and the kernel test.
import type { CalicoNetworkPolicy, CalicoNetworkPolicySpec, GlobalNetworkPolicy, GlobalNetworkPolicySpec, NetworkPolicy, NetworkPolicySpec, Tier } from '@ambit/api';
import type { PolicyPod } from '../src/netpol/model.ts';

const NS_INDEX: Record<string, number> = { x: 1, y: 2, z: 3 };
const POD_INDEX: Record<string, number> = { a: 1, b: 2, c: 3 };

/** x/a = 10.1.0.1, y/b = 10.2.0.2, ...; every pod serves serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp; "web" differs per pod. */
export function clusterPod(key: string, extra: Partial<PolicyPod> = {}): PolicyPod {
  const [ns = '', name = ''] = key.split('/');
  const webPort = key === 'y/b' ? 8080 : 80;
  return {
    key,
    namespace: ns,
    labels: { pod: name },
    namespaceLabels: { ns, 'kubernetes.io/metadata.name': ns },
    ips: [`10.${NS_INDEX[ns] ?? 9}.0.${POD_INDEX[name] ?? 9}`],
    namedPorts: [
      { name: 'serve-80-tcp', port: 80, protocol: 'TCP' },
      { name: 'serve-80-udp', port: 80, protocol: 'UDP' },
      { name: 'serve-81-tcp', port: 81, protocol: 'TCP' },
      { name: 'serve-81-udp', port: 81, protocol: 'UDP' },
      { name: 'web', port: webPort, protocol: 'TCP' },
    ],
    ...extra,
  };
}

export const CLUSTER: PolicyPod[] = ['x', 'y', 'z'].flatMap((ns) => ['a', 'b', 'c'].map((p) => clusterPod(`${ns}/${p}`)));
export const LOCAL: PolicyPod[] = CLUSTER.filter((p) => p.namespace === 'x').map((p) => ({ ...p, hostVeth: `veth-x${p.key.slice(2)}` }));

export function pod(key: string): PolicyPod {
  const found = CLUSTER.find((p) => p.key === key);
  if (found === undefined) throw new Error(`no pod ${key}`);
  return found;
}

export function policy(key: string, spec: NetworkPolicySpec): NetworkPolicy {
  const [namespace = '', name = ''] = key.split('/');
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, labels: {}, annotations: {} }, spec, source: { file: 'test', line: 1, col: 1 } };
}

/** A projectcalico.org/v3 GlobalNetworkPolicy. */
export function gnp(name: string, spec: GlobalNetworkPolicySpec): GlobalNetworkPolicy {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name, labels: {}, annotations: {} }, spec, source: { file: 'test', line: 1, col: 1 } };
}

/** A namespaced projectcalico.org/v3 NetworkPolicy, `namespace/name`. */
export function cnp(key: string, spec: CalicoNetworkPolicySpec): CalicoNetworkPolicy {
  const [namespace = '', name = ''] = key.split('/');
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, namespace, labels: {}, annotations: {} }, spec, source: { file: 'test', line: 1, col: 1 } };
}

/** A projectcalico.org/v3 Tier. */
export function tier(name: string, order: number | undefined, defaultAction?: 'Deny' | 'Pass'): Tier {
  const spec: Tier['spec'] = {};
  if (order !== undefined) spec.order = order;
  if (defaultAction !== undefined) spec.defaultAction = defaultAction;
  return { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name, labels: {}, annotations: {} }, spec, source: { file: 'test', line: 1, col: 1 } };
}
