// What CNI agents need to enforce NetworkPolicy and Calico policy (proto/ambit/policy/v1): every
// pod with its addresses, labels, namespace labels and named ports, and every policy with the API
// server's defaulting applied (policyTypes, Calico types, TCP when no protocol is written).
import { effectiveCalicoTypes, effectivePolicyTypes, parseCalicoPort, type CalicoEntityRule, type CalicoNetworkPolicy, type Tier, type CalicoRule, type GlobalNetworkPolicy, type LabelSelector, type Pod, type Resource } from '@ambit/api';
import type { ConfigIndex } from './index-state.ts';
import { ipToBytes } from './ip.ts';
import { isEnrolled, podIps } from './workloads.ts';
import { LABEL } from './mesh.ts';

type K8sNetworkPolicy = Extract<Resource, { kind: 'NetworkPolicy'; apiVersion: 'networking.k8s.io/v1' }>;
type CalicoPolicyResource = CalicoNetworkPolicy | GlobalNetworkPolicy;

export function isKubernetesNetworkPolicy(r: Resource): r is K8sNetworkPolicy {
  return r.kind === 'NetworkPolicy' && r.apiVersion === 'networking.k8s.io/v1';
}

export function isCalicoPolicy(r: Resource): r is CalicoPolicyResource {
  return r.kind === 'GlobalNetworkPolicy' || (r.kind === 'NetworkPolicy' && r.apiVersion === 'projectcalico.org/v3');
}

export function isCalicoTier(r: Resource): r is Tier {
  return r.kind === 'Tier';
}

/** Resource name of a pod in the policy view: its uid, as the proto says (ns/name when the source has none). */
export function policyWorkloadName(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

export function buildPolicyWorkload(index: ConfigIndex, pod: Pod): object | undefined {
  const addresses = podIps(pod).map(ipToBytes).filter((b): b is Uint8Array => b !== undefined);
  // A scheduled pod is served before it has an address: its node's CNI agent must know at CNI ADD
  // time whether the pod is enrolled, so that an enrolled pod never starts uncaptured.
  if (addresses.length === 0 && !pod.spec.nodeName) return undefined;
  const namespace = pod.metadata.namespace ?? 'default';
  const nsLabels = { [LABEL.namespaceName]: namespace, ...(index.namespace(namespace)?.metadata.labels ?? {}) };
  return {
    uid: policyWorkloadName(pod),
    name: pod.metadata.name,
    namespace,
    node: pod.spec.nodeName ?? '',
    addresses,
    labels: pod.metadata.labels,
    namespace_labels: nsLabels,
    service_account: pod.spec.serviceAccountName || 'default',
    named_ports: pod.spec.containers.flatMap((c) => c.ports.filter((p) => p.name).map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol }))),
    enrolled: isEnrolled(index, pod),
  };
}

function selector(s: LabelSelector | undefined): object | null {
  if (!s) return null;
  return {
    match_labels: s.matchLabels ?? {},
    match_expressions: (s.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })),
  };
}

function peer(p: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: { cidr: string; except?: string[] } }): object {
  return {
    pod_selector: selector(p.podSelector),
    namespace_selector: selector(p.namespaceSelector),
    ip_block: p.ipBlock ? { cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] } : null,
  };
}

function port(p: { protocol: string; port?: number | string; endPort?: number }): object {
  return {
    protocol: p.protocol || 'TCP',
    ...(typeof p.port === 'number' ? { number: p.port } : typeof p.port === 'string' ? { name: p.port } : {}),
    ...(p.endPort !== undefined ? { end_port: p.endPort } : {}),
  };
}

export function buildNetworkPolicy(np: K8sNetworkPolicy): object {
  return {
    name: np.metadata.name,
    namespace: np.metadata.namespace ?? 'default',
    pod_selector: selector(np.spec.podSelector) ?? { match_labels: {}, match_expressions: [] },
    policy_types: effectivePolicyTypes(np),
    ingress: (np.spec.ingress ?? []).map((r) => ({ ports: (r.ports ?? []).map(port), from: (r.from ?? []).map(peer) })),
    egress: (np.spec.egress ?? []).map((r) => ({ ports: (r.ports ?? []).map(port), to: (r.to ?? []).map(peer) })),
  };
}

function calicoPorts(ports: ReadonlyArray<number | string> | undefined): object[] {
  return (ports ?? []).flatMap((p): object[] => {
    const parsed = parseCalicoPort(p);
    if (!parsed) return [];
    if ('name' in parsed) return [{ name: parsed.name }];
    return [parsed.min === parsed.max ? { number: parsed.min } : { range: { min: parsed.min, max: parsed.max } }];
  });
}

function entity(e: CalicoEntityRule | undefined): object | null {
  if (!e) return null;
  return {
    nets: e.nets ?? [],
    not_nets: e.notNets ?? [],
    selector: e.selector ?? '',
    not_selector: e.notSelector ?? '',
    namespace_selector: e.namespaceSelector ?? '',
    service_account_names: e.serviceAccounts?.names ?? [],
    service_account_selector: e.serviceAccounts?.selector ?? '',
    ports: calicoPorts(e.ports),
    not_ports: calicoPorts(e.notPorts),
  };
}

const ACTION = { Allow: 'ALLOW', Deny: 'DENY', Log: 'LOG', Pass: 'PASS' } as const;

function calicoRule(r: CalicoRule): object {
  return {
    action: ACTION[r.action],
    protocol: r.protocol === undefined ? '' : String(r.protocol),
    not_protocol: r.notProtocol === undefined ? '' : String(r.notProtocol),
    ip_version: r.ipVersion ?? 0,
    source: entity(r.source),
    destination: entity(r.destination),
  };
}

export function calicoPolicyName(p: CalicoPolicyResource): string {
  return p.kind === 'GlobalNetworkPolicy' ? p.metadata.name : `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

export function buildCalicoPolicy(p: CalicoPolicyResource): object {
  const spec = p.spec;
  return {
    name: p.metadata.name,
    namespace: p.kind === 'GlobalNetworkPolicy' ? '' : (p.metadata.namespace ?? 'default'),
    tier: spec.tier ?? 'default',
    ...(spec.order !== undefined ? { order: spec.order } : {}),
    selector: spec.selector ?? '',
    namespace_selector: p.kind === 'GlobalNetworkPolicy' ? (p.spec.namespaceSelector ?? '') : '',
    service_account_selector: spec.serviceAccountSelector ?? '',
    types: effectiveCalicoTypes(spec),
    ingress: (spec.ingress ?? []).map(calicoRule),
    egress: (spec.egress ?? []).map(calicoRule),
  };
}

/** proto ambit.policy.v1.CalicoTier; resource name = the tier's name. */
export function buildCalicoTier(t: Tier): object {
  return {
    name: t.metadata.name,
    ...(t.spec.order !== undefined ? { order: t.spec.order } : {}),
    default_action: t.spec.defaultAction ?? 'Deny',
  };
}
