// Calico's policy model (projectcalico.org/v3, reference cni-netpol.md 4.1-4.3) with Kubernetes
// NetworkPolicies placed in it as Calico does: tier `default`, order 1000, Allow rules only.
// Everything here answers "does this match" on pods and addresses; the evaluator (evaluate.ts)
// and the renderer (render.ts) both build on it, so they cannot disagree on who a peer is.
import { effectiveCalicoTypes, matchCalicoSelector, parseCalicoPort, parseCalicoSelector } from '@ambit/api';
import type { CalicoAction, CalicoEntityRule, Tier, CalicoNetworkPolicy, CalicoProtocol, CalicoRule, CalicoSelector, GlobalNetworkPolicy, NetworkPolicy } from '@ambit/api';
import { cidrContains, parseCidr, parseIp } from './ip.ts';
import type { ParsedCidr } from './ip.ts';
import { appliesTo, policyKey, policyNamespace, rulesOf } from './model.ts';
import type { Direction, PolicyPod, PolicyRule } from './model.ts';

/** projectcalico.org/v3 Tier (@ambit/api): `spec.order`, `spec.defaultAction` (Deny | Pass). */
export type CalicoTier = Tier;

export type CalicoPolicy = GlobalNetworkPolicy | CalicoNetworkPolicy;

export const DEFAULT_TIER = 'default';
/** The order Calico pins for the built-in default tier. */
export const DEFAULT_TIER_ORDER = 1_000_000;
/** Kubernetes NetworkPolicies sit in tier default with this order (Calico's converter). */
export const K8S_POLICY_ORDER = 1000;
/** The HBONE port: meshed pods receive pod-to-pod traffic here, the inner port hidden. */
export const HBONE_PORT = 15008;

/** Label Calico puts on workload endpoints with the name of their namespace. */
const NAMESPACE_LABEL = 'projectcalico.org/namespace';
/** In namespaceSelector and service-account selectors: the name of the namespace or account. */
const NAME_LABEL = 'projectcalico.org/name';

/** One rule of a tiered policy: a Kubernetes rule (always Allow) or a Calico rule. */
export type TieredRule = { index: number; action: CalicoAction } & ({ k8s: PolicyRule } | { calico: CalicoRule });

/** A policy in Calico's model; `key` names it in reasons and counters. */
export interface TieredPolicy {
  key: string;
  tier: string;
  /** Infinity when absent. */
  order: number;
  /** Ties within an order are broken by this name. */
  sortName: string;
  /** The namespace of a namespaced policy (Kubernetes or Calico), undefined for a GlobalNetworkPolicy. */
  namespace: string | undefined;
  source: { k8s: NetworkPolicy } | { calico: CalicoPolicy };
  appliesTo: (pod: PolicyPod, direction: Direction) => boolean;
  rules: (direction: Direction) => TieredRule[];
}

export interface ResolvedTier {
  name: string;
  order: number;
  defaultAction: 'Deny' | 'Pass';
}

export function calicoPolicyKey(p: CalicoPolicy): string {
  const tier = p.spec.tier ?? DEFAULT_TIER;
  const name = p.metadata.name.startsWith(`${tier}.`) ? p.metadata.name : `${tier}.${p.metadata.name}`;
  return p.kind === 'GlobalNetworkPolicy' ? name : `${p.metadata.namespace ?? 'default'}/${name}`;
}

/** The tiers by name, with the built-in default tier when the input does not define it. */
export function resolveTiers(tiers: CalicoTier[] | undefined): Map<string, ResolvedTier> {
  const out = new Map<string, ResolvedTier>([[DEFAULT_TIER, { name: DEFAULT_TIER, order: DEFAULT_TIER_ORDER, defaultAction: 'Deny' }]]);
  for (const t of tiers ?? []) out.set(t.metadata.name, { name: t.metadata.name, order: t.spec.order ?? (t.metadata.name === DEFAULT_TIER ? DEFAULT_TIER_ORDER : Infinity), defaultAction: t.spec.defaultAction ?? 'Deny' });
  return out;
}

export const byOrderThenName = (a: { order: number; sortName: string }, b: { order: number; sortName: string }): number =>
  a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0;

export function tieredKubernetesPolicy(np: NetworkPolicy): TieredPolicy {
  const ns = policyNamespace(np);
  return {
    key: policyKey(np),
    tier: DEFAULT_TIER,
    order: K8S_POLICY_ORDER,
    sortName: `${ns}/knp.default.${np.metadata.name}`,
    namespace: ns,
    source: { k8s: np },
    appliesTo: (pod, direction) => appliesTo(np, pod, direction),
    rules: memoRules((direction) => rulesOf(np, direction).map((k8s, index) => ({ index, action: 'Allow' as const, k8s }))),
  };
}

/** Rules per direction, built on first use (the evaluator asks for them on every query). */
function memoRules(build: (direction: Direction) => TieredRule[]): (direction: Direction) => TieredRule[] {
  const cache: Partial<Record<Direction, TieredRule[]>> = {};
  return (direction) => (cache[direction] ??= build(direction));
}

// ---------------------------------------------------------------------------------------------
// Selectors: parsed once per text (validation has rejected bad ones before anything here runs).

const parsed = new Map<string, CalicoSelector>();
const ALL: CalicoSelector = { op: 'all' };

export function selectorAst(text: string | undefined): CalicoSelector {
  if (text === undefined || text.trim() === '') return ALL;
  let ast = parsed.get(text);
  if (ast === undefined) {
    const r = parseCalicoSelector(text);
    ast = r.ok ? r.ast : { op: '!', expr: ALL };
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(text, ast);
  }
  return ast;
}

/** The labels a Calico selector sees on a pod's workload endpoint (computed per call: callers may update pods in place). */
export function calicoPodLabels(pod: PolicyPod): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.namespaceLabels)) labels[`pcns.${k}`] = v;
  Object.assign(labels, pod.labels);
  labels[NAMESPACE_LABEL] = pod.namespace;
  labels['projectcalico.org/orchestrator'] = 'k8s';
  if (pod.serviceAccount !== undefined) labels['projectcalico.org/serviceaccount'] = pod.serviceAccount;
  return labels;
}

/** namespaceSelector: over the namespace's labels plus projectcalico.org/name; global() selects no pod. */
export function namespaceSelectorMatches(text: string, pod: PolicyPod): boolean {
  return matchCalicoSelector(withoutGlobal(selectorAst(text)), { ...pod.namespaceLabels, [NAME_LABEL]: pod.namespace });
}

function withoutGlobal(ast: CalicoSelector): CalicoSelector {
  switch (ast.op) {
    case 'global':
      return { op: '!', expr: ALL };
    case '!':
      return { op: '!', expr: withoutGlobal(ast.expr) };
    case '&&':
    case '||':
      return { op: ast.op, left: withoutGlobal(ast.left), right: withoutGlobal(ast.right) };
    default:
      return ast;
  }
}

/**
 * Service accounts have no labels in Ambit: a selector over them sees only
 * `projectcalico.org/name` = the account's name. A pod without a service account matches none.
 */
export function serviceAccountSelectorMatches(text: string, pod: PolicyPod): boolean {
  return pod.serviceAccount !== undefined && matchCalicoSelector(selectorAst(text), { [NAME_LABEL]: pod.serviceAccount });
}

export function tieredCalicoPolicy(p: CalicoPolicy): TieredPolicy {
  const global = p.kind === 'GlobalNetworkPolicy';
  const namespace = global ? undefined : (p.metadata.namespace ?? 'default');
  const types = effectiveCalicoTypes(p.spec);
  const nsSelector = global ? (p as GlobalNetworkPolicy).spec.namespaceSelector : undefined;
  return {
    key: calicoPolicyKey(p),
    tier: p.spec.tier ?? DEFAULT_TIER,
    order: p.spec.order ?? Infinity,
    sortName: calicoPolicyKey(p),
    namespace,
    source: { calico: p },
    appliesTo: (pod, direction) => {
      if (!types.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) return false;
      if (namespace !== undefined && pod.namespace !== namespace) return false;
      if (!matchCalicoSelector(selectorAst(p.spec.selector), calicoPodLabels(pod))) return false;
      if (nsSelector !== undefined && nsSelector.trim() !== '' && !namespaceSelectorMatches(nsSelector, pod)) return false;
      if (p.spec.serviceAccountSelector !== undefined && !serviceAccountSelectorMatches(p.spec.serviceAccountSelector, pod)) return false;
      return true;
    },
    rules: memoRules((direction) => (direction === 'ingress' ? (p.spec.ingress ?? []) : (p.spec.egress ?? [])).map((calico, index) => ({ index, action: calico.action, calico }))),
  };
}

// ---------------------------------------------------------------------------------------------
// Rule matching on one connection.

export const PROTOCOL_NUMBERS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPV6: 58, UDPLITE: 136 };

export function protocolNumber(p: CalicoProtocol | string): number | undefined {
  return typeof p === 'number' ? p : PROTOCOL_NUMBERS[p.toUpperCase()];
}

/** Whether the selector part of an entity rule (selector, namespaceSelector, serviceAccounts) needs the address to be a pod. */
export function entityNeedsPod(e: CalicoEntityRule, policyNs: string | undefined): boolean {
  return e.selector !== undefined || nonEmpty(e.namespaceSelector) || e.serviceAccounts !== undefined || (policyNs !== undefined && e.notSelector !== undefined);
}

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';

/**
 * Whether `pod` is an endpoint the positive part of an entity rule selects. Calico's rule
 * conversion: an explicit namespaceSelector picks the namespaces; without one, a rule of a
 * namespaced policy that has a selector, notSelector or serviceAccounts is scoped to the policy's
 * namespace (an empty namespaceSelector = same namespace), a GlobalNetworkPolicy's to every namespace.
 */
export function entitySelectsPod(e: CalicoEntityRule, policyNs: string | undefined, pod: PolicyPod): boolean {
  if (nonEmpty(e.namespaceSelector)) {
    if (!namespaceSelectorMatches(e.namespaceSelector, pod)) return false;
  } else if (policyNs !== undefined && pod.namespace !== policyNs) return false;
  if (e.selector !== undefined && !matchCalicoSelector(selectorAst(e.selector), calicoPodLabels(pod))) return false;
  const sa = e.serviceAccounts;
  if (sa !== undefined) {
    if (pod.serviceAccount === undefined) return false;
    if (sa.names !== undefined && sa.names.length > 0 && !sa.names.includes(pod.serviceAccount)) return false;
    if (sa.selector !== undefined && !serviceAccountSelectorMatches(sa.selector, pod)) return false;
  }
  return true;
}

export function notSelectorExcludes(e: CalicoEntityRule, pod: PolicyPod): boolean {
  return e.notSelector !== undefined && matchCalicoSelector(selectorAst(e.notSelector), calicoPodLabels(pod));
}

export function parseNet(text: string): ParsedCidr | undefined {
  if (text.includes('/')) return parseCidr(text);
  const ip = parseIp(text);
  return ip === undefined ? undefined : { family: ip.family, network: ip.value, prefix: ip.family === 4 ? 32 : 128 };
}

/** Whether a Calico port entry matches `port` on `destination` for the rule's protocol (named ports on the pod). */
export function calicoPortMatches(entry: number | string, protocol: string, port: number, destination: PolicyPod | undefined): boolean {
  const p = parseCalicoPort(entry);
  if (p === undefined) return false;
  if ('name' in p) return destination?.namedPorts.some((n) => n.name === p.name && n.protocol === protocol && n.port === port) ?? false;
  return port >= p.min && port <= p.max;
}

/** The address side of an entity rule: nets, notNets, selectors. */
export function entityAddressMatches(e: CalicoEntityRule, policyNs: string | undefined, ip: string, pod: PolicyPod | undefined): boolean {
  const parsedIp = parseIp(ip);
  if (e.nets !== undefined && e.nets.length > 0) {
    if (parsedIp === undefined || !e.nets.some((n) => { const c = parseNet(n); return c !== undefined && cidrContains(c, parsedIp); })) return false;
  }
  if (e.notNets !== undefined && parsedIp !== undefined && e.notNets.some((n) => { const c = parseNet(n); return c !== undefined && cidrContains(c, parsedIp); })) return false;
  if (entityNeedsPod(e, policyNs) && (pod === undefined || !entitySelectsPod(e, policyNs, pod))) return false;
  if (pod !== undefined && notSelectorExcludes(e, pod)) return false;
  return true;
}

export interface Connection {
  srcIp: string;
  srcPod: PolicyPod | undefined;
  dstIp: string;
  dstPod: PolicyPod | undefined;
  port: number;
  /** Upper case: TCP, UDP, SCTP, ICMP, ... */
  protocol: string;
}

/**
 * Whether a Calico rule matches a new connection. ICMP type/code are not part of a connection
 * query: a rule with `icmp` does not match, `notICMP` does not exclude.
 */
export function calicoRuleMatches(rule: CalicoRule, policyNs: string | undefined, c: Connection): boolean {
  const family = parseIp(c.dstIp)?.family;
  if (rule.ipVersion !== undefined && rule.ipVersion !== family) return false;
  const proto = protocolNumber(c.protocol);
  if (rule.protocol !== undefined && protocolNumber(rule.protocol) !== proto) return false;
  if (rule.notProtocol !== undefined && protocolNumber(rule.notProtocol) === proto) return false;
  if (rule.icmp !== undefined) return false;
  if (rule.source !== undefined && !entityAddressMatches(rule.source, policyNs, c.srcIp, c.srcPod)) return false;
  const d = rule.destination;
  if (d !== undefined) {
    if (!entityAddressMatches(d, policyNs, c.dstIp, c.dstPod)) return false;
    const ruleProto = rule.protocol === undefined ? c.protocol : protocolName(rule.protocol);
    if (d.ports !== undefined && d.ports.length > 0 && !d.ports.some((p) => calicoPortMatches(p, ruleProto, c.port, c.dstPod))) return false;
    if (d.notPorts !== undefined && d.notPorts.some((p) => calicoPortMatches(p, ruleProto, c.port, c.dstPod))) return false;
  }
  return true;
}

export function protocolName(p: CalicoProtocol): string {
  if (typeof p === 'string') return p.toUpperCase();
  return Object.entries(PROTOCOL_NUMBERS).find(([, n]) => n === p)?.[0] ?? String(p);
}
