// networking.istio.io/v1 (and v1beta1) DestinationRule: Ambit honours outlier detection and
// reads connection-pool settings; other traffic policy fields are accepted with a warning.
// Validation follows istiod (ValidateDestinationRule, validateOutlierDetection).
import { DUPLICATE, INVALID_VALUE } from '../codes.ts';
import { istioDuration } from '../durations.ts';
import { dns1123Label, dns1123Subdomain } from '../names.ts';
import { readBool, readInt, readList, readObject } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import { readLabels } from '../selector.ts';
import type { ResourceBase } from '../types.ts';
import { compact, readChecked, readEnum } from './common.ts';
import type { KindDef } from './kind.ts';

export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  /** Istio durations (`10s`, `1m30s`), at least 1ms. */
  interval?: string;
  baseEjectionTime?: string;
  /** 0-100. */
  maxEjectionPercent?: number;
  /** 0-100. */
  minHealthPercent?: number;
}

export interface ConnectionPoolSettings {
  tcp?: { maxConnections?: number; connectTimeout?: string; maxConnectionDuration?: string; idleTimeout?: string };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    useClientProtocol?: boolean;
    maxConcurrentStreams?: number;
  };
}

/** Istio's LoadBalancerSettings.SimpleLB values the waypoint honours. */
export const SIMPLE_LB = ['UNSPECIFIED', 'ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM'] as const;
export type SimpleLb = (typeof SIMPLE_LB)[number];

export interface TrafficPolicy {
  /** Only `simple`; consistentHash and localityLbSetting are accepted with a warning. */
  loadBalancer?: { simple?: SimpleLb };
  /** Istio 1.27+: retries allowed as a percentage of active requests, with a floor. */
  retryBudget?: { percent?: number; minRetryConcurrency?: number };
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  /** A Service short name, FQDN, or `*.`-prefixed wildcard. */
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
}

export type DestinationRule = ResourceBase<'DestinationRule', DestinationRuleSpec>;

const INT32_MAX = 2147483647;
const TRAFFIC_POLICY_FIELDS: FieldTable = {
  connectionPool: 'read', outlierDetection: 'read',
  loadBalancer: 'read', tls: 'warn', portLevelSettings: 'warn', tunnel: 'warn', proxyProtocol: 'warn', retryBudget: 'read',
};

/** Host: `*`, `*.domain`, or a DNS name (short or fully qualified), as istiod's validateHost. */
export const destinationHost = (v: string): string | undefined => {
  if (v === '*') return undefined;
  const name = v.startsWith('*.') ? v.slice(2) : v;
  const labels = name.split('.');
  if (v.length > 255 || !labels.every((l) => /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/.test(l))) {
    return 'must be a host name (a Service short name, an FQDN such as reviews.default.svc.cluster.local, or "*.domain")';
  }
  return undefined;
};

function readOutlier(ctx: Ctx, f: Field): OutlierDetection | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, {
    consecutive5xxErrors: 'read', consecutiveGatewayErrors: 'read', interval: 'read', baseEjectionTime: 'read',
    maxEjectionPercent: 'read', minHealthPercent: 'read',
    consecutiveErrors: 'warn', splitExternalLocalOriginErrors: 'warn', consecutiveLocalOriginFailures: 'warn',
  });
  if (!obj) return undefined;
  const out: OutlierDetection = {};
  for (const key of ['consecutive5xxErrors', 'consecutiveGatewayErrors'] as const) {
    const field = obj.get(key);
    const v = field ? readInt(ctx, field, 0, 4294967295) : undefined;
    if (v !== undefined) out[key] = v;
  }
  for (const key of ['interval', 'baseEjectionTime'] as const) {
    const field = obj.get(key);
    const v = field ? readChecked(ctx, field, istioDuration) : undefined;
    if (v !== undefined) out[key] = v;
  }
  for (const key of ['maxEjectionPercent', 'minHealthPercent'] as const) {
    const field = obj.get(key);
    const v = field ? readInt(ctx, field, 0, 100) : undefined;
    if (v !== undefined) out[key] = v;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readConnectionPool(ctx: Ctx, f: Field): ConnectionPoolSettings | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { tcp: 'read', http: 'read' });
  if (!obj) return undefined;
  const out: ConnectionPoolSettings = {};
  const tcpField = obj.get('tcp');
  if (tcpField) {
    const t = readObject(ctx, tcpField, { maxConnections: 'read', connectTimeout: 'read', maxConnectionDuration: 'read', idleTimeout: 'read', tcpKeepalive: 'warn' });
    const tcp: NonNullable<ConnectionPoolSettings['tcp']> = {};
    const mc = t?.get('maxConnections');
    const v = mc ? readInt(ctx, mc, 0, INT32_MAX) : undefined;
    if (v !== undefined) tcp.maxConnections = v;
    for (const key of ['connectTimeout', 'maxConnectionDuration', 'idleTimeout'] as const) {
      const field = t?.get(key);
      const d = field ? readChecked(ctx, field, istioDuration) : undefined;
      if (d !== undefined) tcp[key] = d;
    }
    out.tcp = tcp;
  }
  const httpField = obj.get('http');
  if (httpField) {
    const h = readObject(ctx, httpField, {
      http1MaxPendingRequests: 'read', http2MaxRequests: 'read', maxRequestsPerConnection: 'read', maxRetries: 'read',
      idleTimeout: 'read', h2UpgradePolicy: 'read', useClientProtocol: 'read', maxConcurrentStreams: 'read',
    });
    const http: NonNullable<ConnectionPoolSettings['http']> = {};
    for (const key of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams'] as const) {
      const field = h?.get(key);
      const v = field ? readInt(ctx, field, 0, INT32_MAX) : undefined;
      if (v !== undefined) http[key] = v;
    }
    const idle = h?.get('idleTimeout');
    const d = idle ? readChecked(ctx, idle, istioDuration) : undefined;
    if (d !== undefined) http.idleTimeout = d;
    const up = h?.get('h2UpgradePolicy');
    const u = up ? readEnum(ctx, up, ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] as const) : undefined;
    if (u) http.h2UpgradePolicy = u;
    const ucp = h?.get('useClientProtocol');
    const b = ucp ? readBool(ctx, ucp) : undefined;
    if (b !== undefined) http.useClientProtocol = b;
    out.http = http;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readPercent(ctx: Ctx, f: Field): number | undefined {
  const v = f.node.type === 'map' ? readObject(ctx, f, { value: 'read' })?.get('value') : f;
  if (!v) return undefined;
  const n = v.node.type === 'scalar' && typeof v.node.value === 'number' ? v.node.value : undefined;
  if (n === undefined || !Number.isFinite(n) || n < 0 || n > 100) {
    ctx.error(INVALID_VALUE, v.at, v.path, 'must be a percentage from 0 to 100');
    return undefined;
  }
  return n;
}

function readTrafficPolicy(ctx: Ctx, f: Field): TrafficPolicy | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, TRAFFIC_POLICY_FIELDS);
  if (!obj) return undefined;
  const out: TrafficPolicy = {};
  const cp = obj.get('connectionPool');
  const pool = cp ? readConnectionPool(ctx, cp) : undefined;
  if (pool) out.connectionPool = pool;
  const od = obj.get('outlierDetection');
  const outlier = od ? readOutlier(ctx, od) : undefined;
  if (outlier) out.outlierDetection = outlier;
  const lbField = obj.get('loadBalancer');
  if (lbField) {
    const lb = readObject(ctx, lbField, { simple: 'read', consistentHash: 'warn', localityLbSetting: 'warn', warmupDurationSecs: 'warn', warmup: 'warn' });
    const simpleField = lb?.get('simple');
    const simple = simpleField ? readEnum(ctx, simpleField, SIMPLE_LB) : undefined;
    out.loadBalancer = simple === undefined ? {} : { simple };
  }
  const budgetField = obj.get('retryBudget');
  if (budgetField) {
    const b = readObject(ctx, budgetField, { percent: 'read', minRetryConcurrency: 'read' });
    const budget: NonNullable<TrafficPolicy['retryBudget']> = {};
    const percentField = b?.get('percent');
    // Istio's Percent is a double 0-100 (wrapped as {value} in the proto, a plain number in YAML).
    const percent = percentField ? readPercent(ctx, percentField) : undefined;
    if (percent !== undefined) budget.percent = percent;
    const minField = b?.get('minRetryConcurrency');
    const min = minField ? readInt(ctx, minField, 0, INT32_MAX) : undefined;
    if (min !== undefined) budget.minRetryConcurrency = min;
    out.retryBudget = budget;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readSpec(ctx: Ctx, f: Field): DestinationRuleSpec | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { host: 'read', trafficPolicy: 'read', subsets: 'read', exportTo: 'warn', workloadSelector: 'warn' });
  if (!obj) return undefined;
  const hostField = obj.require('host');
  const host = hostField ? readChecked(ctx, hostField, destinationHost) : undefined;
  const spec: DestinationRuleSpec = { host: host ?? '' };
  const tpField = obj.get('trafficPolicy');
  const tp = tpField ? readTrafficPolicy(ctx, tpField) : undefined;
  if (tp) spec.trafficPolicy = tp;
  const subsetsField = obj.get('subsets');
  if (subsetsField) {
    const seen = new Map<string, string>();
    const subsets = readList(ctx, subsetsField, (item): Subset | undefined => {
      const s = readObject(ctx, item, { name: 'read', labels: 'read', trafficPolicy: 'read' });
      if (!s) return undefined;
      const nameField = s.require('name');
      const name = nameField ? readChecked(ctx, nameField, dns1123Label) : undefined;
      if (name !== undefined && nameField) {
        const first = seen.get(name);
        if (first) ctx.error(DUPLICATE, nameField.at, nameField.path, `duplicate subset name ${JSON.stringify(name)} (already used by ${first})`);
        else seen.set(name, item.path);
      }
      const labelsField = s.get('labels');
      const labels = labelsField ? readLabels(ctx, labelsField) : undefined;
      const stp = s.get('trafficPolicy');
      const trafficPolicy = stp ? readTrafficPolicy(ctx, stp) : undefined;
      if (name === undefined) return undefined;
      return compact({ name, labels, trafficPolicy }) as unknown as Subset;
    });
    if (subsets) spec.subsets = subsets;
  }
  return ctx.errorCount() === before && host !== undefined ? spec : undefined;
}

export const destinationRuleKind: KindDef<DestinationRule> = {
  kind: 'DestinationRule',
  apiVersions: ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({ spec: compact({ ...spec }) }),
};

