// CDS for waypoints (ADR 0007): one EDS Cluster per bound (service, port), named as istiod names
// it, with the DestinationRule's traffic policy translated the way istiod translates it:
// - lb_policy from loadBalancer.simple (ROUND_ROBIN when unset, as this project's contract says);
// - outlier_detection only when the rule has an outlierDetection block, with Istio's documented
//   defaults filled in (interval 10s, baseEjectionTime 30s, maxEjectionPercent 10); a consecutive
//   error count of 0 disables that detector (enforcing 0), any other count enforces it at 100%;
// - circuit_breakers.thresholds[0] from connectionPool; limits the rule leaves unset are
//   4294967295 (istiod's "unlimited" instead of Envoy's 1024), plus a retry budget only when the
//   rule sets trafficPolicy.retryBudget.
import type { TrafficPolicy } from '@ambit/api';
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

const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds in a duration @ambit/api has validated: Istio's Go form (`1.5s`, `300ms`, `1h30m`,
 * `10us`) or Gateway API's, its subset. Returns `fallback` for anything else rather than throwing,
 * so one odd value cannot stop a push.
 */
export function durationMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (text === '0') return 0;
  const part = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return fallback;
    total += Number(m[1]) * (GO_UNIT_MS[m[2] ?? ''] ?? Number.NaN);
    pos = part.lastIndex;
  }
  return pos > 0 && Number.isFinite(total) ? total : fallback;
}

/** Istio's default connect timeout (MeshConfig.connectTimeout). */
const CONNECT_TIMEOUT_MS = 10_000;
const UNLIMITED = 4294967295;
/** Istio's documented outlierDetection defaults, applied when the block is present. */
const OUTLIER_DEFAULTS = { intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10 };
/** Envoy's defaults for the parts of a retry budget the DestinationRule leaves unset. */
const RETRY_BUDGET = { budgetPercent: 20, minRetryConcurrency: 3 };

const LB_POLICIES: Record<string, 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM'> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  // Istio's LEAST_CONN is the deprecated spelling of LEAST_REQUEST.
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

export interface ClusterInput {
  /** `outbound|<port>||<host>` for a Service port (clusterName), `inbound-pod|...` for a pod port. */
  name: string;
  /** The DestinationRule's, when one applies (never to pod-addressed traffic). */
  trafficPolicy: TrafficPolicy | undefined;
}

export function cluster(input: ClusterInput): Init<envoy.Cluster> {
  const { name } = input;
  const policy = input.trafficPolicy;
  const connectTimeout = policy?.connectionPool?.tcp?.connectTimeout;
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: name },
    connect_timeout: protoDuration(durationMs(connectTimeout, CONNECT_TIMEOUT_MS)),
    lb_policy: LB_POLICIES[policy?.loadBalancer?.simple ?? 'ROUND_ROBIN'] ?? 'ROUND_ROBIN',
    outlier_detection: policy?.outlierDetection ? outlierDetection(policy.outlierDetection) : null,
    circuit_breakers: { thresholds: [thresholds(policy?.connectionPool, policy?.retryBudget)] },
  };
}

function outlierDetection(od: NonNullable<TrafficPolicy['outlierDetection']>): Init<envoy.OutlierDetection> {
  const out: Init<envoy.OutlierDetection> = {
    interval: protoDuration(durationMs(od.interval, OUTLIER_DEFAULTS.intervalMs)),
    base_ejection_time: protoDuration(durationMs(od.baseEjectionTime, OUTLIER_DEFAULTS.baseEjectionMs)),
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

/**
 * Istio sets no retry budget unless the DestinationRule asks for one (trafficPolicy.retryBudget,
 * Istio 1.27+); without it retries are bounded per request (route retry policy) and by
 * max_retries only.
 */
function thresholds(pool: TrafficPolicy['connectionPool'], budget: TrafficPolicy['retryBudget']): Init<envoy.CircuitBreakerThresholds> {
  return {
    priority: 'DEFAULT',
    max_connections: { value: pool?.tcp?.maxConnections ?? UNLIMITED },
    max_pending_requests: { value: pool?.http?.http1MaxPendingRequests ?? UNLIMITED },
    max_requests: { value: pool?.http?.http2MaxRequests ?? UNLIMITED },
    max_retries: { value: pool?.http?.maxRetries ?? UNLIMITED },
    retry_budget: budget
      ? {
          budget_percent: { value: budget.percent ?? RETRY_BUDGET.budgetPercent },
          min_retry_concurrency: { value: budget.minRetryConcurrency ?? RETRY_BUDGET.minRetryConcurrency },
        }
      : null,
  };
}
