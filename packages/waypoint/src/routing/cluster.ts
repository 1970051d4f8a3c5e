// A Cluster (CDS) at run time: load balancing over its EDS endpoints and outlier ejection, with
// Envoy's semantics for the fields ADR 0007 lets the control plane set.
//
// Load balancing among healthy, non-ejected endpoints (Envoy's panic mode: when none is left,
// all endpoints are used rather than failing every request):
// - ROUND_ROBIN: smooth weighted round robin (plain rotation when weights are equal);
// - LEAST_REQUEST: power of two choices on requests in flight (weights are not considered);
// - RANDOM: weighted random.
//
// Outlier detection (non-split mode, so locally originated failures count as upstream ones):
// - consecutive_5xx counts 5xx responses, connect failures, resets and timeouts; any other
//   response resets it;
// - consecutive_gateway_failure counts 502/503/504, connect failures, resets and timeouts; any
//   other response resets it;
// - reaching a threshold ejects with probability enforcing_*% for
//   base_ejection_time x (times ejected), capped at max(max_ejection_time (default 300s), base);
// - max_ejection_percent: Envoy ejects a host only if the ejected share, this host included, stays
//   at or below the percentage: 100 x (ejected + 1) / hosts <= max_ejection_percent. With the
//   default 10% and fewer than 10 hosts nothing is ejected (Envoy's always_eject_one_host, not in
//   the subset, would allow one);
// - an ejection ends once its time has passed (checked lazily on pick and on an unref'd timer
//   every `interval`), and a host that stays in service for an interval has its ejection
//   multiplier lowered by one.
import type { envoy } from '@ambit/xds-types';
import type { AttemptOutcome, ClusterRuntime, Endpoint } from '../contracts.ts';
import { configError } from '../matchers.ts';
import { durationMs } from './config-values.ts';
import { createRetryBudget, type RetryBudget } from './retry-budget.ts';

/** Envoy's defaults. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const OUTLIER_DEFAULTS = { consecutive5xx: 5, enforcing5xx: 100, consecutiveGateway: 5, enforcingGateway: 0, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 10 };

type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';

export interface ClusterRuntimeOptions {
  now?: () => number;
  random?: () => number;
}

interface OutlierConfig {
  consecutive5xx: number;
  enforcing5xx: number;
  consecutiveGateway: number;
  enforcingGateway: number;
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
}

interface Host {
  endpoint: Endpoint;
  /** Attempts picked and not yet recorded (LEAST_REQUEST). */
  active: number;
  consecutive5xx: number;
  consecutiveGateway: number;
  ejectedUntil: number | undefined;
  timesEjected: number;
  /** Start of the stretch in service not yet counted towards lowering timesEjected. */
  decayFrom: number;
  /** Smooth weighted round robin's running weight. */
  current: number;
}

/** What the executor needs beyond ClusterRuntime: the cluster's retry budget, and releasing an attempt that ended without an outcome (the client went away). */
export interface ClusterAccounting {
  budget: RetryBudget;
  release(endpoint: Endpoint): void;
}

const accounting = new WeakMap<ClusterRuntime, ClusterAccounting>();

/** The accounting of a runtime made by createClusterRuntime, or undefined for other implementations. */
export function clusterAccounting(cluster: ClusterRuntime): ClusterAccounting | undefined {
  return accounting.get(cluster);
}

export function createClusterRuntime(cluster: envoy.Cluster, options: ClusterRuntimeOptions = {}): ClusterRuntime {
  const where = `Cluster ${JSON.stringify(cluster.name)}`;
  if (cluster.name === '') configError('Cluster', 'name is required');
  const type = typeof cluster.type === 'number' ? String(cluster.type) : cluster.type;
  if (type !== 'EDS') configError(`${where}.type`, `only EDS is supported, got ${JSON.stringify(type ?? null)}`);
  const lb = typeof cluster.lb_policy === 'number' ? String(cluster.lb_policy) : cluster.lb_policy;
  if (lb !== 'ROUND_ROBIN' && lb !== 'LEAST_REQUEST' && lb !== 'RANDOM') configError(`${where}.lb_policy`, `${lb} is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)`);
  const policy: LbPolicy = lb;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const outlier = cluster.outlier_detection ? outlierConfig(cluster.outlier_detection, `${where}.outlier_detection`) : undefined;
  const thresholds = cluster.circuit_breakers?.thresholds.find((t) => t.priority === 'DEFAULT' || t.priority === 0);
  const budget = createRetryBudget(thresholds);
  const connectTimeoutMs = durationMs(cluster.connect_timeout, DEFAULT_CONNECT_TIMEOUT_MS, `${where}.connect_timeout`);

  let hosts: Host[] = [];

  /** Ends ejections that ran out; lowers the multiplier once per whole interval a host stayed in service. */
  const sweep = (): void => {
    if (!outlier) return;
    const t = now();
    for (const h of hosts) {
      if (h.ejectedUntil !== undefined) {
        if (h.ejectedUntil > t) continue;
        h.decayFrom = h.ejectedUntil;
        h.ejectedUntil = undefined;
      }
      if (h.timesEjected === 0) continue;
      const intervals = Math.floor((t - h.decayFrom) / outlier.intervalMs);
      if (intervals <= 0) continue;
      h.timesEjected = Math.max(0, h.timesEjected - intervals);
      h.decayFrom += intervals * outlier.intervalMs;
    }
  };
  const timer = outlier ? setInterval(sweep, outlier.intervalMs) : undefined;
  timer?.unref();

  const eject = (h: Host, enforcing: number): void => {
    if (!outlier || h.ejectedUntil !== undefined) return;
    if (random() * 100 >= enforcing) return;
    const ejected = hosts.filter((x) => x.ejectedUntil !== undefined).length;
    if ((100 * (ejected + 1)) / hosts.length > outlier.maxEjectionPercent) return;
    h.timesEjected++;
    const cap = Math.max(outlier.maxEjectionMs, outlier.baseEjectionMs);
    h.ejectedUntil = now() + Math.min(outlier.baseEjectionMs * h.timesEjected, cap);
  };

  const choose = (candidates: Host[]): Host | undefined => {
    if (candidates.length <= 1) return candidates[0];
    switch (policy) {
      case 'ROUND_ROBIN': {
        const total = candidates.reduce((n, h) => n + h.endpoint.weight, 0);
        let best: Host | undefined;
        for (const h of candidates) {
          h.current += h.endpoint.weight;
          if (!best || h.current > best.current) best = h;
        }
        if (best) best.current -= total;
        return best;
      }
      case 'LEAST_REQUEST': {
        const n = candidates.length;
        const i = Math.min(n - 1, Math.floor(random() * n));
        let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
        if (j >= i) j++;
        const a = candidates[i];
        const b = candidates[j];
        if (!a || !b) return a ?? b;
        return b.active < a.active ? b : a;
      }
      case 'RANDOM': {
        const total = candidates.reduce((n, h) => n + h.endpoint.weight, 0);
        let point = random() * total;
        for (const h of candidates) {
          if (point < h.endpoint.weight) return h;
          point -= h.endpoint.weight;
        }
        return candidates[candidates.length - 1];
      }
    }
  };

  const find = (endpoint: Endpoint): Host | undefined => hosts.find((h) => h.endpoint.key === endpoint.key);

  const runtime: ClusterRuntime = {
    name: cluster.name,
    connectTimeoutMs,
    setEndpoints(endpoints) {
      const previous = new Map(hosts.map((h) => [h.endpoint.key, h]));
      hosts = endpoints.map((endpoint) => {
        const old = previous.get(endpoint.key);
        return old ? { ...old, endpoint } : { endpoint, active: 0, consecutive5xx: 0, consecutiveGateway: 0, ejectedUntil: undefined, timesEjected: 0, decayFrom: 0, current: 0 };
      });
    },
    pick(exclude) {
      sweep();
      const usable = hosts.filter((h) => h.endpoint.healthy && h.ejectedUntil === undefined);
      // Panic mode: nothing healthy and in service, so spread over everything.
      const pool = usable.length > 0 ? usable : hosts;
      const chosen = choose(pool.filter((h) => !exclude.has(h.endpoint.key)));
      if (chosen) chosen.active++;
      return chosen?.endpoint;
    },
    record(endpoint, outcome) {
      const h = find(endpoint);
      if (!h) return;
      h.active = Math.max(0, h.active - 1);
      if (!outlier) return;
      const { is5xx, isGateway } = classify(outcome);
      h.consecutive5xx = is5xx ? h.consecutive5xx + 1 : 0;
      h.consecutiveGateway = isGateway ? h.consecutiveGateway + 1 : 0;
      if (outlier.consecutive5xx > 0 && h.consecutive5xx >= outlier.consecutive5xx) {
        h.consecutive5xx = 0;
        eject(h, outlier.enforcing5xx);
      }
      if (outlier.consecutiveGateway > 0 && h.consecutiveGateway >= outlier.consecutiveGateway) {
        h.consecutiveGateway = 0;
        eject(h, outlier.enforcingGateway);
      }
    },
    snapshot() {
      sweep();
      return { endpoints: hosts.map((h) => ({ ...h.endpoint, ejectedUntil: h.ejectedUntil })) };
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
  accounting.set(runtime, {
    budget,
    release(endpoint) {
      const h = find(endpoint);
      if (h) h.active = Math.max(0, h.active - 1);
    },
  });
  return runtime;
}

function classify(outcome: AttemptOutcome): { is5xx: boolean; isGateway: boolean } {
  if (outcome.kind === 'response') {
    return { is5xx: outcome.status >= 500 && outcome.status <= 599, isGateway: outcome.status === 502 || outcome.status === 503 || outcome.status === 504 };
  }
  // Connect failures and resets count as 503, timeouts as 504 (non-split mode).
  return { is5xx: true, isGateway: true };
}

function outlierConfig(od: envoy.OutlierDetection, where: string): OutlierConfig {
  if (od.split_external_local_origin_errors) configError(`${where}.split_external_local_origin_errors`, 'is not supported');
  const percent = (v: { value: number } | null, fallback: number, field: string): number => {
    const n = v?.value ?? fallback;
    if (n > 100) configError(`${where}.${field}`, `must be 0-100, got ${n}`);
    return n;
  };
  const config: OutlierConfig = {
    consecutive5xx: od.consecutive_5xx?.value ?? OUTLIER_DEFAULTS.consecutive5xx,
    enforcing5xx: percent(od.enforcing_consecutive_5xx, OUTLIER_DEFAULTS.enforcing5xx, 'enforcing_consecutive_5xx'),
    consecutiveGateway: od.consecutive_gateway_failure?.value ?? OUTLIER_DEFAULTS.consecutiveGateway,
    enforcingGateway: percent(od.enforcing_consecutive_gateway_failure, OUTLIER_DEFAULTS.enforcingGateway, 'enforcing_consecutive_gateway_failure'),
    intervalMs: durationMs(od.interval, OUTLIER_DEFAULTS.intervalMs, `${where}.interval`),
    baseEjectionMs: durationMs(od.base_ejection_time, OUTLIER_DEFAULTS.baseEjectionMs, `${where}.base_ejection_time`),
    maxEjectionMs: durationMs(od.max_ejection_time, OUTLIER_DEFAULTS.maxEjectionMs, `${where}.max_ejection_time`),
    maxEjectionPercent: percent(od.max_ejection_percent, OUTLIER_DEFAULTS.maxEjectionPercent, 'max_ejection_percent'),
  };
  if (config.intervalMs <= 0) configError(`${where}.interval`, 'must be positive');
  return config;
}
