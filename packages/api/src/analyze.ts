// `ambit analyze`: Istio-style warnings about configuration that is valid but will not do what its
// author most likely means. Pure: resources in, problems out (severity warning), each at the
// resource's position with a stable code.
import type { Problem } from '@ambit/core';
import type { Resource } from './resource.ts';
import type { Pod } from './kinds/pod.ts';
import type { LabelSelector } from './selector.ts';
import { selectorMatches } from './selector.ts';
import { ztunnelUnsupportedFields } from './ztunnel-fields.ts';

export const ANALYZE_CODES = {
  l7OnZtunnel: 'AMBIT_ANALYZE_L7_ON_ZTUNNEL',
  selectorMatchesNothing: 'AMBIT_ANALYZE_SELECTOR_MATCHES_NOTHING',
  waypointMissing: 'AMBIT_ANALYZE_WAYPOINT_MISSING',
  denyBypassedByWaypoint: 'AMBIT_ANALYZE_DENY_BYPASSED_BY_WAYPOINT',
} as const;

const USE_WAYPOINT = 'istio.io/use-waypoint';

export interface AnalyzeOptions {
  rootNamespace?: string;
}

interface PodLike {
  namespace: string;
  labels: Record<string, string>;
}

function warning(r: Resource, path: string, message: string, code: string): Problem {
  return { ...r.source, path, message, code, severity: 'warning' };
}

/** Pods, the pod templates of Deployments and waypoint pods: what a selector could select. */
function podsOf(resources: readonly Resource[]): PodLike[] {
  const pods: PodLike[] = [];
  for (const r of resources) {
    if (r.kind === 'Pod') pods.push({ namespace: r.metadata.namespace ?? 'default', labels: (r as Pod).metadata.labels });
    if (r.kind === 'Deployment') pods.push({ namespace: r.metadata.namespace ?? 'default', labels: r.spec.template.metadata?.labels ?? {} });
    // A waypoint Gateway becomes a Deployment whose pods carry the Gateway's name (ADR 0007).
    if (r.kind === 'Gateway' && r.spec.gatewayClassName === 'istio-waypoint') {
      pods.push({ namespace: r.metadata.namespace ?? 'default', labels: { 'gateway.networking.k8s.io/gateway-name': r.metadata.name, 'istio.io/dataplane-mode': 'none' } });
    }
  }
  return pods;
}

export function analyzeResources(resources: readonly Resource[], options: AnalyzeOptions = {}): Problem[] {
  const root = options.rootNamespace ?? 'istio-system';
  const problems: Problem[] = [];
  const pods = podsOf(resources);
  const waypoints = new Set(resources.filter((r) => r.kind === 'Gateway' && r.spec.gatewayClassName === 'istio-waypoint').map((r) => `${r.metadata.namespace}/${r.metadata.name}`));

  for (const r of resources) {
    const ns = r.metadata.namespace ?? 'default';
    if (r.kind === 'AuthorizationPolicy') {
      const onZtunnel = (r.spec.targetRefs?.length ?? 0) === 0 && (r.spec.action === 'ALLOW' || r.spec.action === 'DENY');
      if (onZtunnel) {
        const fields = [...new Set((r.spec.rules ?? []).flatMap(ztunnelUnsupportedFields))];
        if (fields.length > 0) {
          const effect = r.spec.action === 'ALLOW' ? 'the rules using them are dropped, so the policy allows less than written' : 'they are ignored, so the policy denies more than written';
          problems.push(
            warning(r, 'spec.rules', `this policy is enforced by ztunnel, which cannot see ${fields.join(', ')}: ${effect}; bind a waypoint and attach the policy with targetRefs to enforce HTTP rules`, ANALYZE_CODES.l7OnZtunnel),
          );
        }
      }
      for (const [i, ref] of (r.spec.targetRefs ?? []).entries()) {
        if (ref.kind === 'Gateway' && !waypoints.has(`${ref.namespace ?? ns}/${ref.name}`) && resources.some((x) => x.kind === 'Gateway')) {
          problems.push(warning(r, `spec.targetRefs[${i}]`, `no waypoint Gateway ${ref.namespace ?? ns}/${ref.name} of class istio-waypoint in the analyzed configuration`, ANALYZE_CODES.waypointMissing));
        }
      }
    }
    if (r.kind === 'AuthorizationPolicy') {
      const bypass = waypointBypass(r, resources, root, waypoints);
      if (bypass) problems.push(warning(r, 'spec.rules', bypass, ANALYZE_CODES.denyBypassedByWaypoint));
    }
    const selector = selectorOf(r);
    if (selector && pods.length > 0) {
      const scopeAll = ns === root && r.kind !== 'NetworkPolicy';
      const matched = pods.some((p) => (scopeAll || p.namespace === ns) && selectorMatches(selector, p.labels));
      if (!matched) problems.push(warning(r, selector === (r.spec as { podSelector?: LabelSelector }).podSelector ? 'spec.podSelector' : 'spec.selector', `the selector ${describe(selector)} matches no pod${scopeAll ? '' : ` in namespace ${ns}`}`, ANALYZE_CODES.selectorMatchesNothing));
    }
    const waypoint = r.metadata.labels[USE_WAYPOINT];
    if (waypoint !== undefined && waypoint !== 'none' && (r.kind === 'Namespace' || r.kind === 'Service' || r.kind === 'Pod')) {
      const wns = r.metadata.labels['istio.io/use-waypoint-namespace'] ?? (r.kind === 'Namespace' ? r.metadata.name : ns);
      if (!waypoints.has(`${wns}/${waypoint}`)) {
        problems.push(
          warning(r, `metadata.labels["${USE_WAYPOINT}"]`, `waypoint ${wns}/${waypoint} does not exist (no Gateway of class istio-waypoint): traffic goes straight to the destination and L7 policy is not applied`, ANALYZE_CODES.waypointMissing),
        );
      }
    }
  }
  return problems;
}

/** The waypoint (`ns/name`) bound to a namespace, or to some Service in it, if any exists. */
function waypointsBoundIn(namespace: string, resources: readonly Resource[], waypoints: ReadonlySet<string>): string[] {
  const bound = new Set<string>();
  for (const r of resources) {
    const own = r.kind === 'Namespace' ? r.metadata.name === namespace : r.kind === 'Service' && (r.metadata.namespace ?? 'default') === namespace;
    const name = r.metadata.labels[USE_WAYPOINT];
    if (!own || name === undefined || name === 'none') continue;
    const key = `${r.metadata.labels['istio.io/use-waypoint-namespace'] ?? namespace}/${name}`;
    if (waypoints.has(key)) bound.add(key);
  }
  return [...bound].sort();
}

/**
 * A namespace-wide or mesh-wide DENY on sources is enforced by the destination's ztunnel, which
 * sees the waypoint's identity (not the client's) for traffic that went through a waypoint: the
 * deny silently stops applying to that traffic (reference 5, enforcement table). Selector
 * policies have the same blind spot, but users write those for one workload and usually know.
 */
function waypointBypass(r: Resource & { kind: 'AuthorizationPolicy' }, resources: readonly Resource[], root: string, waypoints: ReadonlySet<string>): string | undefined {
  if (r.spec.action !== 'DENY' || (r.spec.targetRefs?.length ?? 0) > 0 || selectorOf(r) !== undefined) return undefined;
  const judgesSource = (r.spec.rules ?? []).some((rule) => (rule.from ?? []).some((f) => {
    const s = f.source as Record<string, unknown>;
    return ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks'].some((k) => Array.isArray(s[k]) && (s[k] as unknown[]).length > 0);
  }) || (rule.when ?? []).some((c) => c.key.startsWith('source.')));
  if (!judgesSource) return undefined;
  const ns = r.metadata.namespace ?? 'default';
  const namespaces = ns === root ? [...new Set(resources.filter((x) => x.kind === 'Namespace').map((x) => x.metadata.name))] : [ns];
  const bound = namespaces.flatMap((n) => waypointsBoundIn(n, resources, waypoints));
  if (bound.length === 0) return undefined;
  return `this ${ns === root ? 'mesh-wide' : 'namespace-wide'} DENY judges the source, but it is enforced by the destination ztunnel, which sees the waypoint's identity for traffic through ${[...new Set(bound)].join(', ')}: sources it means to deny get through; attach a copy with targetRefs to the waypoint (or its Services)`;
}

export interface PolicyEnforcement {
  /** `AuthorizationPolicy ns/name`. */
  policy: string;
  action: string;
  /** Where Istio's data plane enforces it (reference 5, "Enforcement table"). */
  enforcedBy: string;
}

/** Which component enforces each AuthorizationPolicy, as `ambit analyze` lists it. */
export function policyEnforcement(resources: readonly Resource[], options: AnalyzeOptions = {}): PolicyEnforcement[] {
  const root = options.rootNamespace ?? 'istio-system';
  const rows: PolicyEnforcement[] = [];
  for (const r of resources) {
    if (r.kind !== 'AuthorizationPolicy') continue;
    const ns = r.metadata.namespace ?? 'default';
    const refs = r.spec.targetRefs ?? [];
    let enforcedBy: string;
    if (refs.length > 0) {
      enforcedBy = refs.map((ref) => (ref.kind === 'Gateway' ? `waypoint ${ref.namespace ?? ns}/${ref.name}` : ref.kind === 'GatewayClass' ? `every waypoint of class ${ref.name}` : `the waypoint of ${ref.kind} ${ns}/${ref.name}`)).join(', ');
    } else if (r.spec.action === 'CUSTOM' || r.spec.action === 'AUDIT') {
      enforcedBy = `nobody: ztunnel does not support ${r.spec.action}; attach it to a waypoint with targetRefs`;
    } else {
      const selector = selectorOf(r);
      const scope = ns === root ? 'every namespace' : `namespace ${ns}`;
      enforcedBy = `destination ztunnel (${selector ? `pods ${describe(selector)} in ${scope}` : `all pods in ${scope}`}; through a waypoint it sees the waypoint's identity)`;
    }
    rows.push({ policy: `AuthorizationPolicy ${ns}/${r.metadata.name}`, action: r.spec.action ?? 'ALLOW', enforcedBy });
  }
  return rows.sort((a, b) => a.policy.localeCompare(b.policy));
}

function selectorOf(r: Resource): LabelSelector | undefined {
  if (r.kind === 'AuthorizationPolicy' || r.kind === 'PeerAuthentication') {
    const labels = r.spec.selector?.matchLabels;
    return labels && Object.keys(labels).length > 0 ? { matchLabels: labels } : undefined;
  }
  if (r.kind === 'NetworkPolicy' && r.apiVersion === 'networking.k8s.io/v1') {
    const s = r.spec.podSelector;
    return Object.keys(s.matchLabels ?? {}).length > 0 || (s.matchExpressions ?? []).length > 0 ? s : undefined;
  }
  return undefined;
}

function describe(s: LabelSelector): string {
  const parts = [...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`), ...(s.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} (${(e.values ?? []).join(',')})`)];
  return parts.join(',');
}
