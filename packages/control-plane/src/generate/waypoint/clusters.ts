// CDS for waypoints (ADR 0007): one EDS Cluster per bound (service, port), named as istiod names
// it, with the DestinationRule's traffic policy translated the way istiod translates it:
// - lb_policy from loadBalancer.simple (ROUND_ROBIN when unset, as this project's contract says);
// - outlier_detection only when the rule has an outlierDetection block, with Istio's documented
//   defaults filled in (interval 10s, baseEjectionTime 30s, maxEjectionPercent 10); a consecutive
//   error count of 0 disables that detector (enforcing 0), any other count enforces it at 100%;
// - circuit_breakers.thresholds[0] from connectionPool; limits the rule leaves unset are
//   4294967295 (istiod's "unlimited" instead of Envoy's 1024), plus a retry budget.
import { parseDuration } from '@ambit/core';
import type { DestinationRule, Service, ServicePort, TrafficPolicy } from '@ambit/api';
import type { envoy, google, Init } from '@ambit/xds-types';

/** Istio's outbound cluster name: `outbound|<port>||<host>` (no subset). */
export function clusterName(port: number, host: string): string {
  return `outbound|${port}||${host}`;
}

/** Milliseconds as a google.protobuf.Duration. */
export function protoDuration(ms: number): Init<google.Duration> {
  const whole = Math.floor(ms / 1000);
  return { seconds: String(whole), nanos: Math.round((ms - whole * 1000) * 1e6) };
}

/** Istio's default connect timeout (MeshConfig.connectTimeout). */
const CONNECT_TIMEOUT_MS = 10_000;
const UNLIMITED = 4294967295;
/** Istio's documented outlierDetection defaults, applied when the block is present. */
const OUTLIER_DEFAULTS = { intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10 };
/** Envoy's defaults when a retry budget is set without values. */
const RETRY_BUDGET = { budgetPercent: 20, minRetryConcurrency: 3 };

/**
 * loadBalancer is not read by @ambit/api's DestinationRule parser yet (it warns and drops the
 * field); the cluster honours it as soon as the parser keeps it.
 */
type TrafficPolicyWithLb = TrafficPolicy & { loadBalancer?: { simple?: string } };

const LB_POLICIES: Record<string, 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM'> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  // Istio's LEAST_CONN is the deprecated spelling of LEAST_REQUEST.
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

export interface ClusterInput {
  service: Service;
  port: ServicePort;
  /** The service's FQDN (`name.ns.svc.<domainSuffix>`). */
  host: string;
  destinationRule: DestinationRule | undefined;
}

export function cluster(input: ClusterInput): Init<envoy.Cluster> {
  const name = clusterName(input.port.port, input.host);
  const policy: TrafficPolicyWithLb | undefined = input.destinationRule?.spec.trafficPolicy;
  const connectTimeout = policy?.connectionPool?.tcp?.connectTimeout;
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: name },
    connect_timeout: protoDuration(connectTimeout !== undefined ? parseDuration(connectTimeout) : CONNECT_TIMEOUT_MS),
    lb_policy: LB_POLICIES[policy?.loadBalancer?.simple ?? 'ROUND_ROBIN'] ?? 'ROUND_ROBIN',
    outlier_detection: policy?.outlierDetection ? outlierDetection(policy.outlierDetection) : null,
    circuit_breakers: { thresholds: [thresholds(policy?.connectionPool)] },
  };
}

function outlierDetection(od: NonNullable<TrafficPolicy['outlierDetection']>): Init<envoy.OutlierDetection> {
  const out: Init<envoy.OutlierDetection> = {
    interval: protoDuration(od.interval !== undefined ? parseDuration(od.interval) : OUTLIER_DEFAULTS.intervalMs),
    base_ejection_time: protoDuration(od.baseEjectionTime !== undefined ? parseDuration(od.baseEjectionTime) : OUTLIER_DEFAULTS.baseEjectionMs),
    max_ejection_percent: { value: od.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent },
  };
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = { value: od.consecutive5xxErrors };
    out.enforcing_consecutive_5xx = { value: od.consecutive5xxErrors > 0 ? 100 : 0 };
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = { value: od.consecutiveGatewayErrors };
    out.enforcing_consecutive_gateway_failure = { value: od.consecutiveGatewayErrors > 0 ? 100 : 0 };
  }
  return out;
}

function thresholds(pool: TrafficPolicy['connectionPool']): Init<envoy.CircuitBreakerThresholds> {
  return {
    priority: 'DEFAULT',
    max_connections: { value: pool?.tcp?.maxConnections ?? UNLIMITED },
    max_pending_requests: { value: pool?.http?.http1MaxPendingRequests ?? UNLIMITED },
    max_requests: { value: pool?.http?.http2MaxRequests ?? UNLIMITED },
    max_retries: { value: pool?.http?.maxRetries ?? UNLIMITED },
    retry_budget: {
      budget_percent: { value: RETRY_BUDGET.budgetPercent },
      min_retry_concurrency: { value: RETRY_BUDGET.minRetryConcurrency },
    },
  };
}

/**
 * The DestinationRule for a service: its `host` names the service as a short name (resolved in
 * the rule's namespace), `name.ns`, the FQDN, or a `*.suffix` wildcard. An exact host beats a
 * wildcard, a longer wildcard beats a shorter one; among equals the rule in the service's own
 * namespace wins, then the first by namespace/name (the API keeps no creation time).
 */
export function destinationRuleFor(host: string, serviceNamespace: string, rules: readonly DestinationRule[], domainSuffix: string): DestinationRule | undefined {
  let best: { rule: DestinationRule; rank: number } | undefined;
  for (const rule of rules) {
    const rank = hostRank(rule, host, domainSuffix);
    if (rank === undefined) continue;
    if (!best || compareCandidates({ rule, rank }, best, serviceNamespace) < 0) best = { rule, rank };
  }
  return best?.rule;
}

/** Higher is more specific; undefined = does not apply. */
function hostRank(rule: DestinationRule, host: string, domainSuffix: string): number | undefined {
  const ns = rule.metadata.namespace ?? 'default';
  const h = rule.spec.host.toLowerCase();
  if (h === '*') return 0;
  if (h.startsWith('*.')) return host.endsWith(h.slice(1)) ? h.length : undefined;
  const labels = h.split('.');
  const fqdn = labels.length === 1 ? `${h}.${ns}.svc.${domainSuffix}` : labels.length === 2 ? `${h}.svc.${domainSuffix}` : h;
  return fqdn === host ? Number.MAX_SAFE_INTEGER : undefined;
}

function compareCandidates(a: { rule: DestinationRule; rank: number }, b: { rule: DestinationRule; rank: number }, serviceNamespace: string): number {
  if (a.rank !== b.rank) return b.rank - a.rank;
  const aLocal = a.rule.metadata.namespace === serviceNamespace ? 0 : 1;
  const bLocal = b.rule.metadata.namespace === serviceNamespace ? 0 : 1;
  if (aLocal !== bLocal) return aLocal - bLocal;
  const key = (r: DestinationRule): string => `${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
  return key(a.rule) < key(b.rule) ? -1 : key(a.rule) > key(b.rule) ? 1 : 0;
}
