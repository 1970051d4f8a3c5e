// Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), evaluated directly on pods and
// addresses. The compiler builds its sets from these functions and `explain` answers with them, so
// the two cannot disagree on who a peer is or what a port means. Reference: cni-netpol.md section 2.
import { effectivePolicyTypes, selectorMatches } from '@ambit/api';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '@ambit/api';
import { cidrContains, parseCidr, parseIp } from './ip.ts';
import type { ParsedIp } from './ip.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Direction = 'ingress' | 'egress';

/** One pod as policy sees it (proto ambit.policy.v1.PolicyWorkload). */
export interface PolicyPod {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  labels: Record<string, string>;
  /** The labels of the pod's namespace (kubernetes.io/metadata.name included). */
  namespaceLabels: Record<string, string>;
  ips: string[];
  namedPorts: Array<{ name: string; port: number; protocol: Protocol }>;
  /** The host side of the pod's veth on this node; required for the pods of this node. */
  hostVeth?: string;
  /** Enrolled in the ambient mesh: pod-to-pod traffic to it arrives as HBONE on TCP 15008. */
  meshed?: boolean;
  /** The pod's service account (Calico serviceAccountSelector / serviceAccounts match on it). */
  serviceAccount?: string;
}

/** One rule of one policy in one direction, with what upstream means by absent or empty lists. */
export interface PolicyRule {
  /** `undefined`: every source (ingress) or destination (egress); `from: []` means the same. */
  peers: NetworkPolicyPeer[] | undefined;
  /** Empty: every port of every protocol. */
  ports: NetworkPolicyPort[];
}

export function policyNamespace(np: NetworkPolicy): string {
  return np.metadata.namespace ?? 'default';
}

export function policyKey(np: NetworkPolicy): string {
  return `${policyNamespace(np)}/${np.metadata.name}`;
}

/** Whether `np` selects `pod` for `direction`: same namespace, podSelector, policyTypes (defaulted). */
export function appliesTo(np: NetworkPolicy, pod: PolicyPod, direction: Direction): boolean {
  if (policyNamespace(np) !== pod.namespace) return false;
  if (!selectorMatches(np.spec.podSelector, pod.labels)) return false;
  return effectivePolicyTypes(np).includes(direction === 'ingress' ? 'Ingress' : 'Egress');
}

export function rulesOf(np: NetworkPolicy, direction: Direction): PolicyRule[] {
  if (direction === 'ingress') {
    return (np.spec.ingress ?? []).map((r) => ({ peers: r.from === undefined || r.from.length === 0 ? undefined : r.from, ports: r.ports ?? [] }));
  }
  return (np.spec.egress ?? []).map((r) => ({ peers: r.to === undefined || r.to.length === 0 ? undefined : r.to, ports: r.ports ?? [] }));
}

/** The protocol of a port entry; an absent or empty one is TCP, as the API server defaults it. */
export function portProtocol(port: NetworkPolicyPort): Protocol {
  const written = port.protocol as string | undefined;
  return written === undefined || written === '' ? 'TCP' : (written as Protocol);
}

/**
 * Whether a podSelector/namespaceSelector peer selects `pod` (ipBlock peers are address matches,
 * see peerMatchesAddress). podSelector alone: pods of the policy's namespace; namespaceSelector
 * alone: every pod of the matching namespaces; both: AND. A peer with neither (invalid upstream)
 * selects nothing, so a malformed object fails closed.
 */
export function selectorPeerSelects(peer: NetworkPolicyPeer, policyNs: string, pod: PolicyPod): boolean {
  if (peer.ipBlock !== undefined) return false;
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) return false;
  const namespaceOk = peer.namespaceSelector === undefined ? pod.namespace === policyNs : selectorMatches(peer.namespaceSelector, pod.namespaceLabels);
  const podOk = peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels);
  return namespaceOk && podOk;
}

/** ipBlock: inside `cidr` and inside no `except` entry. Pod addresses are matched too (upstream conformance needs it). */
export function ipBlockContains(block: { cidr: string; except?: string[] }, ip: ParsedIp): boolean {
  const cidr = parseCidr(block.cidr);
  if (cidr === undefined || !cidrContains(cidr, ip)) return false;
  return !(block.except ?? []).some((e) => {
    const inner = parseCidr(e);
    return inner !== undefined && cidrContains(inner, ip);
  });
}

/** Whether the remote address `ip` (the pod owning it, if any) is matched by `peer`. */
export function peerMatchesAddress(peer: NetworkPolicyPeer, policyNs: string, ip: string, owner: PolicyPod | undefined): boolean {
  if (peer.ipBlock !== undefined) {
    const parsed = parseIp(ip);
    return parsed !== undefined && ipBlockContains(peer.ipBlock, parsed);
  }
  return owner !== undefined && selectorPeerSelects(peer, policyNs, owner);
}

/**
 * Whether a port entry matches traffic to `port`/`protocol` on `destination` (undefined when the
 * destination is not a known pod). Named ports are looked up on the destination pod, name AND
 * protocol; a named port never matches a destination that is not a pod.
 */
export function portMatches(entry: NetworkPolicyPort, protocol: string, port: number, destination: PolicyPod | undefined): boolean {
  const proto = portProtocol(entry);
  if (proto !== protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === 'number') return entry.endPort === undefined ? port === entry.port : port >= entry.port && port <= entry.endPort;
  const name = entry.port;
  return destination?.namedPorts.some((n) => n.name === name && n.protocol === proto && n.port === port) ?? false;
}
