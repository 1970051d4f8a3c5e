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

/** Pods and the pod templates of Deployments: what a selector could select. */
function podsOf(resources: readonly Resource[]): PodLike[] {
  const pods: PodLike[] = [];
  for (const r of resources) {
    if (r.kind === 'Pod') pods.push({ namespace: r.metadata.namespace ?? 'default', labels: (r as Pod).metadata.labels });
    if (r.kind === 'Deployment') pods.push({ namespace: r.metadata.namespace ?? 'default', labels: r.spec.template.metadata?.labels ?? {} });
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
