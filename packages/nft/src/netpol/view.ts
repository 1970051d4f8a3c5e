// The policy view as the control plane serves it (proto/ambit/policy/v1/policy.proto) decoded into
// the compiler's input: PolicyWorkload -> a pod, NetworkPolicy -> networking.k8s.io/v1,
// CalicoPolicy -> projectcalico.org/v3. The CNI agent (to program the kernel) and the ztunnel (to
// check inner ports of HBONE connections) decode with these same functions, so both see the same
// policy. A decode throws with the field path when a value is unusable: the xDS client NACKs that
// resource alone and keeps the last good one.
import { decodeMessage, type policy } from '@ambit/xds-types';
import type { CalicoEntityRule, CalicoNetworkPolicy, CalicoPort, CalicoRule, GlobalNetworkPolicy, LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Tier } from '@ambit/api';
import { formatIp } from './ip.ts';
import type { PolicyPod, Protocol } from './model.ts';

/** One pod of the cluster as policy sees it, with what the agent needs for enrollment. */
export interface ViewPod extends PolicyPod {
  uid: string;
  name: string;
  node: string;
  serviceAccount: string;
  /** The control plane's enrollment decision (namespace or pod label). */
  enrolled: boolean;
  /** Same as ips. */
  addresses: string[];
}

const PROTOCOLS = new Set<string>(['TCP', 'UDP', 'SCTP']);

export function ipFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return formatIp(bytes.length === 4 ? 4 : 6, value);
}

export function decodePolicyWorkload(name: string, body: Uint8Array): ViewPod {
  const pw = decodeMessage<policy.PolicyWorkload>('ambit.policy.v1.PolicyWorkload', body);
  if (pw.uid === '') throw new Error('uid: empty');
  if (pw.uid !== name) throw new Error(`uid: ${JSON.stringify(pw.uid)} differs from the resource name ${JSON.stringify(name)}`);
  if (pw.name === '' || pw.namespace === '') throw new Error('name, namespace: both required');
  const addresses = pw.addresses.map((bytes, i) => {
    const ip = ipFromBytes(bytes);
    if (ip === undefined) throw new Error(`addresses[${i}]: expected 4 or 16 bytes, got ${bytes.length}`);
    return ip;
  });
  const namedPorts = pw.named_ports.map((np, i) => {
    if (!PROTOCOLS.has(np.protocol)) throw new Error(`named_ports[${i}].protocol: expected TCP, UDP or SCTP, got ${JSON.stringify(np.protocol)}`);
    if (np.port < 1 || np.port > 65535) throw new Error(`named_ports[${i}].port: ${np.port} is out of range`);
    return { name: np.name, port: np.port, protocol: np.protocol as Protocol };
  });
  const serviceAccount = pw.service_account || 'default';
  return {
    uid: pw.uid,
    key: `${pw.namespace}/${pw.name}`,
    name: pw.name,
    namespace: pw.namespace,
    node: pw.node,
    labels: { ...pw.labels },
    namespaceLabels: { ...pw.namespace_labels },
    ips: addresses,
    addresses,
    namedPorts,
    serviceAccount,
    enrolled: pw.enrolled,
    meshed: pw.enrolled,
  };
}

function selector(s: policy.LabelSelector | null | undefined): LabelSelector | undefined {
  if (s === null || s === undefined) return undefined;
  const out: LabelSelector = {};
  if (Object.keys(s.match_labels).length > 0) out.matchLabels = { ...s.match_labels };
  if (s.match_expressions.length > 0) {
    out.matchExpressions = s.match_expressions.map((e, i) => {
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) throw new Error(`match_expressions[${i}].operator: ${JSON.stringify(e.operator)} is not In, NotIn, Exists or DoesNotExist`);
      return { key: e.key, operator: e.operator as 'In', ...(e.values.length > 0 ? { values: [...e.values] } : {}) };
    });
  }
  return out;
}

function peer(p: policy.NetworkPolicyPeer): NetworkPolicyPeer {
  const out: NetworkPolicyPeer = {};
  const pods = selector(p.pod_selector);
  const namespaces = selector(p.namespace_selector);
  if (pods !== undefined) out.podSelector = pods;
  if (namespaces !== undefined) out.namespaceSelector = namespaces;
  if (p.ip_block !== null && p.ip_block !== undefined) out.ipBlock = { cidr: p.ip_block.cidr, ...(p.ip_block.except.length > 0 ? { except: [...p.ip_block.except] } : {}) };
  return out;
}

function port(p: policy.NetworkPolicyPort): NetworkPolicyPort {
  const protocol = p.protocol === '' ? 'TCP' : p.protocol;
  const out = { protocol } as NetworkPolicyPort;
  if (p.port === 'number' && p.number !== undefined) out.port = p.number;
  if (p.port === 'name' && p.name !== undefined) out.port = p.name;
  if (p.end_port !== undefined && p._end_port === 'end_port') out.endPort = p.end_port;
  return out;
}

/** ambit.policy.v1.NetworkPolicy -> networking.k8s.io/v1 NetworkPolicy (defaulting already applied). */
export function decodeNetworkPolicy(name: string, body: Uint8Array): NetworkPolicy {
  const np = decodeMessage<policy.NetworkPolicy>('ambit.policy.v1.NetworkPolicy', body);
  if (`${np.namespace}/${np.name}` !== name) throw new Error(`namespace/name: ${JSON.stringify(`${np.namespace}/${np.name}`)} differs from the resource name ${JSON.stringify(name)}`);
  for (const t of np.policy_types) if (t !== 'Ingress' && t !== 'Egress') throw new Error(`policy_types: ${JSON.stringify(t)} is not Ingress or Egress`);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: np.name, namespace: np.namespace },
    spec: {
      podSelector: selector(np.pod_selector) ?? {},
      policyTypes: np.policy_types as Array<'Ingress' | 'Egress'>,
      ingress: np.ingress.map((r) => ({ ...(r.from.length > 0 ? { from: r.from.map(peer) } : {}), ...(r.ports.length > 0 ? { ports: r.ports.map(port) } : {}) })),
      egress: np.egress.map((r) => ({ ...(r.to.length > 0 ? { to: r.to.map(peer) } : {}), ...(r.ports.length > 0 ? { ports: r.ports.map(port) } : {}) })),
    },
  } as NetworkPolicy;
}

const ACTIONS = { ALLOW: 'Allow', DENY: 'Deny', LOG: 'Log', PASS: 'Pass' } as const;

function calicoPorts(list: policy.PortSpec[]): CalicoPort[] {
  return list.map((p) => (p.port === 'range' && p.range ? `${p.range.min}:${p.range.max}` : p.port === 'name' && p.name !== undefined ? p.name : (p.number ?? 0)));
}

function calicoProtocol(text: string): string | number | undefined {
  if (text === '') return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

function entity(e: policy.EntityRule | null | undefined): CalicoEntityRule | undefined {
  if (e === null || e === undefined) return undefined;
  const out: CalicoEntityRule = {};
  if (e.nets.length > 0) out.nets = [...e.nets];
  if (e.not_nets.length > 0) out.notNets = [...e.not_nets];
  if (e.selector !== '') out.selector = e.selector;
  if (e.not_selector !== '') out.notSelector = e.not_selector;
  if (e.namespace_selector !== '') out.namespaceSelector = e.namespace_selector;
  if (e.ports.length > 0) out.ports = calicoPorts(e.ports);
  if (e.not_ports.length > 0) out.notPorts = calicoPorts(e.not_ports);
  if (e.service_account_names.length > 0 || e.service_account_selector !== '') {
    out.serviceAccounts = {
      ...(e.service_account_names.length > 0 ? { names: [...e.service_account_names] } : {}),
      ...(e.service_account_selector !== '' ? { selector: e.service_account_selector } : {}),
    };
  }
  return out;
}

function calicoRule(r: policy.CalicoRule, where: string): CalicoRule {
  const action = ACTIONS[r.action as keyof typeof ACTIONS] as CalicoRule['action'] | undefined;
  if (action === undefined) throw new Error(`${where}.action: ${JSON.stringify(r.action)} is not ALLOW, DENY, LOG or PASS`);
  const protocol = calicoProtocol(r.protocol);
  const notProtocol = calicoProtocol(r.not_protocol);
  const source = entity(r.source);
  const destination = entity(r.destination);
  return {
    action,
    ...(r.ip_version === 4 || r.ip_version === 6 ? { ipVersion: r.ip_version } : {}),
    ...(protocol === undefined ? {} : { protocol }),
    ...(notProtocol === undefined ? {} : { notProtocol }),
    ...(source === undefined ? {} : { source }),
    ...(destination === undefined ? {} : { destination }),
  } as CalicoRule;
}

/** ambit.policy.v1.CalicoPolicy -> projectcalico.org/v3 GlobalNetworkPolicy (no namespace) or NetworkPolicy. */
export function decodeCalicoPolicy(name: string, body: Uint8Array): GlobalNetworkPolicy | CalicoNetworkPolicy {
  const p = decodeMessage<policy.CalicoPolicy>('ambit.policy.v1.CalicoPolicy', body);
  const expected = p.namespace === '' ? p.name : `${p.namespace}/${p.name}`;
  if (expected !== name) throw new Error(`name: ${JSON.stringify(expected)} differs from the resource name ${JSON.stringify(name)}`);
  for (const t of p.types) if (t !== 'Ingress' && t !== 'Egress') throw new Error(`types: ${JSON.stringify(t)} is not Ingress or Egress`);
  const spec: Record<string, unknown> = {
    tier: p.tier === '' ? 'default' : p.tier,
    ...(p._order === 'order' && p.order !== undefined ? { order: p.order } : {}),
    selector: p.selector === '' ? 'all()' : p.selector,
    ...(p.service_account_selector !== '' ? { serviceAccountSelector: p.service_account_selector } : {}),
    types: [...p.types],
    ingress: p.ingress.map((r, i) => calicoRule(r, `ingress[${i}]`)),
    egress: p.egress.map((r, i) => calicoRule(r, `egress[${i}]`)),
  };
  if (p.namespace === '') {
    if (p.namespace_selector !== '') spec['namespaceSelector'] = p.namespace_selector;
    return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: p.name }, spec } as unknown as GlobalNetworkPolicy;
  }
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: p.name, namespace: p.namespace }, spec } as unknown as CalicoNetworkPolicy;
}

/** ambit.policy.v1.CalicoTier -> projectcalico.org/v3 Tier. */
export function decodeCalicoTier(name: string, body: Uint8Array): Tier {
  const t = decodeMessage<policy.CalicoTier>('ambit.policy.v1.CalicoTier', body);
  if (t.name !== name) throw new Error(`name: ${JSON.stringify(t.name)} differs from the resource name ${JSON.stringify(name)}`);
  if (t.default_action !== '' && t.default_action !== 'Deny' && t.default_action !== 'Pass') throw new Error(`default_action: ${JSON.stringify(t.default_action)} is not Deny or Pass`);
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'Tier',
    metadata: { name: t.name },
    spec: {
      ...(t._order === 'order' && t.order !== undefined ? { order: t.order } : {}),
      ...(t.default_action === '' ? {} : { defaultAction: t.default_action }),
    },
  } as Tier;
}
