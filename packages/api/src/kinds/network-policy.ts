// networking.k8s.io/v1 NetworkPolicy, validated as the API server does
// (pkg/apis/networking/validation ValidateNetworkPolicy). Defaulting of policyTypes is NOT
// applied while reading (the typed result is what the user wrote); effectivePolicyTypes()
// implements the API server's SetDefaults_NetworkPolicy rule for callers.
import { INVALID_TYPE, INVALID_VALUE, REQUIRED } from '../codes.ts';
import { dns1123Subdomain, ianaSvcName } from '../names.ts';
import { cidrRule, cidrStrictlyContains, parseCidr } from '../net.ts';
import { readInt, readList, readObject } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import { readLabelSelector } from '../selector.ts';
import type { LabelSelector } from '../selector.ts';
import type { Protocol, ResourceBase } from '../types.ts';
import { compact, readChecked, readEnum, readProtocol } from './common.ts';
import type { KindDef } from './kind.ts';

export type PolicyType = 'Ingress' | 'Egress';
export const POLICY_TYPES: readonly PolicyType[] = ['Ingress', 'Egress'];

export interface IPBlock {
  /** IPv4 or IPv6 CIDR. */
  cidr: string;
  /** CIDRs strictly inside `cidr`, excluded from it. */
  except?: string[];
}

/**
 * One peer. `podSelector` and `namespaceSelector` together mean AND (pods matching the first in
 * namespaces matching the second); `podSelector` alone means the policy's namespace;
 * `namespaceSelector` alone means every pod of the matching namespaces. `ipBlock` stands alone.
 * Absent selectors stay absent (undefined), which is not the same as `{}` (everything).
 */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaulted to TCP (as the API server does), so `ports: [{}]` means every TCP port. */
  protocol: Protocol;
  /** A number, or a container port name resolved on the destination pod; absent = every port. */
  port?: number | string;
  /** With a numeric `port`: the inclusive range port..endPort. */
  endPort?: number;
}

/**
 * `from` (`to`) and `ports` are kept as written: absent (undefined) and `[]` both mean "all
 * peers" ("all ports") upstream, but the typed result says which the user wrote.
 */
export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicySpec {
  /** Pods of the policy's namespace it applies to; `{}` selects them all. */
  podSelector: LabelSelector;
  /** As written (possibly absent or empty); see effectivePolicyTypes. */
  policyTypes?: PolicyType[];
  /** Absent and `[]` both allow nothing (once the pod is isolated); `[{}]` allows everything. */
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
}

export interface NetworkPolicy extends ResourceBase<'NetworkPolicy', NetworkPolicySpec> {
  apiVersion: 'networking.k8s.io/v1';
}

/**
 * policyTypes as the API server defaults them (SetDefaults_NetworkPolicy): when the list is
 * absent or empty, Ingress always, plus Egress when the `egress` list is non-empty (an explicit
 * `egress: []` does not count). A non-empty list is returned as written.
 */
export function effectivePolicyTypes(np: { spec: Pick<NetworkPolicySpec, 'policyTypes' | 'egress'> }): PolicyType[] {
  const written = np.spec.policyTypes ?? [];
  if (written.length > 0) return [...written];
  return (np.spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function readIpBlock(ctx: Ctx, f: Field): IPBlock | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { cidr: 'read', except: 'read' });
  if (!obj) return undefined;
  const cidrField = obj.require('cidr');
  const cidr = cidrField ? readChecked(ctx, cidrField, cidrRule) : undefined;
  const outer = cidr !== undefined ? parseCidr(cidr) : undefined;
  const exceptField = obj.get('except');
  const except = exceptField
    ? readList(ctx, exceptField, (item) => {
        const v = readChecked(ctx, item, cidrRule);
        const inner = v !== undefined ? parseCidr(v) : undefined;
        if (v !== undefined && inner && outer && !cidrStrictlyContains(outer, inner)) {
          ctx.error(INVALID_VALUE, item.at, item.path, `must be a strict subset of cidr ${cidr ?? ''}, got ${JSON.stringify(v)}`);
        }
        return v;
      })
    : undefined;
  if (ctx.errorCount() > before || cidr === undefined) return undefined;
  return except ? { cidr, except } : { cidr };
}

function readPeer(ctx: Ctx, f: Field): NetworkPolicyPeer | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { podSelector: 'read', namespaceSelector: 'read', ipBlock: 'read' });
  if (!obj) return undefined;
  const peer: NetworkPolicyPeer = {};
  const pod = obj.get('podSelector');
  const ns = obj.get('namespaceSelector');
  const ip = obj.get('ipBlock');
  if (pod) {
    const s = readLabelSelector(ctx, pod);
    if (s) peer.podSelector = s;
  }
  if (ns) {
    const s = readLabelSelector(ctx, ns);
    if (s) peer.namespaceSelector = s;
  }
  if (ip) {
    const b = readIpBlock(ctx, ip);
    if (b) peer.ipBlock = b;
    if (pod || ns) {
      ctx.error(INVALID_VALUE, ip.at, ip.path, 'may not be combined with podSelector or namespaceSelector in the same peer (write it as a separate peer, a separate "-" item)');
    }
  }
  if (!pod && !ns && !ip && ctx.errorCount() === before) {
    ctx.error(REQUIRED, f.at, f.path, 'must specify a peer: podSelector, namespaceSelector (or both), or ipBlock');
  }
  return ctx.errorCount() === before ? peer : undefined;
}

function readPort(ctx: Ctx, f: Field): NetworkPolicyPort | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { protocol: 'read', port: 'read', endPort: 'read' });
  if (!obj) return undefined;
  const protocol = readProtocol(ctx, obj.get('protocol'));
  const portField = obj.get('port');
  let port: number | string | undefined;
  if (portField) {
    const n = portField.node;
    if (n.type === 'scalar' && typeof n.value === 'number') port = readInt(ctx, portField, 1, 65535);
    else if (n.type === 'scalar' && typeof n.value === 'string') {
      port = readChecked(ctx, portField, (v) => {
        const err = ianaSvcName(v);
        if (!err) return undefined;
        const unquote = /^[0-9]+$/.test(v) ? ' (write the number without quotes)' : '';
        return `must be a port number between 1 and 65535 or ${err.replace(/^must be /, '')}${unquote}`;
      });
    } else ctx.error(INVALID_TYPE, portField.at, portField.path, 'must be a port number or a port name');
  }
  const endField = obj.get('endPort');
  let endPort: number | undefined;
  if (endField) {
    endPort = readInt(ctx, endField, 1, 65535);
    if (endPort !== undefined) {
      if (!portField) ctx.error(INVALID_VALUE, endField.at, endField.path, 'may not be set when port is not set');
      else if (typeof port === 'string') ctx.error(INVALID_VALUE, endField.at, endField.path, 'may not be set when port is a name (non-numeric)');
      else if (typeof port === 'number' && endPort < port) ctx.error(INVALID_VALUE, endField.at, endField.path, `must be greater than or equal to port ${port}, got ${endPort}`);
    }
  }
  if (ctx.errorCount() > before || protocol === undefined) return undefined;
  const out: NetworkPolicyPort = { protocol };
  if (port !== undefined) out.port = port;
  if (endPort !== undefined) out.endPort = endPort;
  return out;
}

function readRule(ctx: Ctx, f: Field, peersKey: 'from' | 'to'): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { [peersKey]: 'read', ports: 'read' });
  if (!obj) return undefined;
  const out: { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } = {};
  const peersField = obj.get(peersKey);
  const peers = peersField ? readList(ctx, peersField, (item) => readPeer(ctx, item)) : undefined;
  if (peers) out.peers = peers;
  const portsField = obj.get('ports');
  const ports = portsField ? readList(ctx, portsField, (item) => readPort(ctx, item)) : undefined;
  if (ports) out.ports = ports;
  return ctx.errorCount() === before ? out : undefined;
}

function readSpec(ctx: Ctx, f: Field): NetworkPolicySpec | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { podSelector: 'read', policyTypes: 'read', ingress: 'read', egress: 'read' });
  if (!obj) return undefined;
  const podField = obj.require('podSelector');
  const podSelector = podField ? readLabelSelector(ctx, podField) : undefined;
  const spec: NetworkPolicySpec = { podSelector: podSelector ?? {} };
  const typesField = obj.get('policyTypes');
  if (typesField) {
    const types = readList(ctx, typesField, (item) => readEnum(ctx, item, POLICY_TYPES));
    if (types) {
      if (types.length > 2) ctx.error(INVALID_VALUE, typesField.at, typesField.path, `may not list more than two policy types, got ${types.length}`);
      else if (types.length === 2 && types[0] === types[1]) ctx.error(INVALID_VALUE, typesField.at, typesField.path, `lists ${types[0] ?? ''} twice`);
      spec.policyTypes = types;
    }
  }
  const ingressField = obj.get('ingress');
  if (ingressField) {
    const rules = readList(ctx, ingressField, (item) => readRule(ctx, item, 'from'));
    if (rules) spec.ingress = rules.map((r) => compact({ from: r.peers, ports: r.ports }) as NetworkPolicyIngressRule);
  }
  const egressField = obj.get('egress');
  if (egressField) {
    const rules = readList(ctx, egressField, (item) => readRule(ctx, item, 'to'));
    if (rules) spec.egress = rules.map((r) => compact({ to: r.peers, ports: r.ports }) as NetworkPolicyEgressRule);
  }
  return ctx.errorCount() === before && podSelector ? spec : undefined;
}

function encodePeer(p: NetworkPolicyPeer): Record<string, unknown> {
  return compact({
    podSelector: p.podSelector ? compact({ ...p.podSelector }) : undefined,
    namespaceSelector: p.namespaceSelector ? compact({ ...p.namespaceSelector }) : undefined,
    ipBlock: p.ipBlock ? compact({ ...p.ipBlock }) : undefined,
  });
}

function encodePorts(ports: NetworkPolicyPort[] | undefined): unknown {
  return ports?.map((p) => compact({ ...p }));
}

export const networkPolicyKind: KindDef<NetworkPolicy> = {
  kind: 'NetworkPolicy',
  apiVersions: ['networking.k8s.io/v1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({
    spec: compact({
      podSelector: compact({ ...spec.podSelector }),
      policyTypes: spec.policyTypes,
      ingress: spec.ingress?.map((r) => compact({ from: r.from?.map(encodePeer), ports: encodePorts(r.ports) })),
      egress: spec.egress?.map((r) => compact({ to: r.to?.map(encodePeer), ports: encodePorts(r.ports) })),
    }),
  }),
};
