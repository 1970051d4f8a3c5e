// Metrics of the Delta ADS server, with istiod's names (pilot/pkg/xds/monitoring.go) where they
// exist. Labels are bounded: `type` is a short name for known type URLs and `other` otherwise;
// `version` is the client's reported version, sanitised, with at most MAX_VERSIONS distinct values.
import * as prom from 'prom-client';

/** istiod's buckets for pilot_proxy_convergence_time (tightened in istio/istio#17456). */
const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];
/** istiod's buckets for pilot_xds_push_time and pilot_xds_send_time. */
const PUSH_BUCKETS = [0.01, 0.1, 1, 3, 5, 10, 20, 30];
const MAX_VERSIONS = 16;

/** istiod's short names (pilot/pkg/xds/v3 GetMetricType), plus Ambit's own types. */
const SHORT_TYPE_NAMES: Record<string, string> = {
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'cds',
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'lds',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration': 'rds',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment': 'eds',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret': 'sds',
  'type.googleapis.com/istio.workload.Address': 'wds',
  'type.googleapis.com/istio.security.Authorization': 'wads',
  'type.googleapis.com/ambit.policy.v1.PolicyWorkload': 'pwds',
  'type.googleapis.com/ambit.policy.v1.NetworkPolicy': 'npds',
  'type.googleapis.com/ambit.policy.v1.CalicoPolicy': 'cpds',
  'type.googleapis.com/ambit.policy.v1.CalicoTier': 'ctds',
};

export function metricType(typeUrl: string): string {
  return SHORT_TYPE_NAMES[typeUrl] ?? 'other';
}

function getOrCreate<T extends prom.Metric<string>>(registry: prom.Registry, name: string, create: () => T): T {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as T;
  const metric = create();
  registry.registerMetric(metric);
  return metric;
}

export class XdsMetrics {
  readonly connected: prom.Gauge<'version'>;
  readonly pushes: prom.Counter<'type'>;
  readonly pushTime: prom.Histogram<'type'>;
  readonly convergence: prom.Histogram;
  readonly sendTime: prom.Histogram<'type'>;
  readonly rejects: prom.Counter<'type'>;
  readonly writeTimeouts: prom.Counter;
  readonly bytesSent: prom.Counter<'type'>;
  private readonly versions = new Set<string>();

  constructor(registry: prom.Registry) {
    const registers: prom.Registry[] = [];
    this.connected = getOrCreate(registry, 'pilot_xds', () => new prom.Gauge({ name: 'pilot_xds', help: 'Number of endpoints connected to this pilot using XDS.', labelNames: ['version'], registers }));
    this.pushes = getOrCreate(registry, 'pilot_xds_pushes', () => new prom.Counter({ name: 'pilot_xds_pushes', help: 'Pilot build and send errors for lds, rds, cds and eds.', labelNames: ['type'], registers }));
    this.pushTime = getOrCreate(registry, 'pilot_xds_push_time', () => new prom.Histogram({ name: 'pilot_xds_push_time', help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.', labelNames: ['type'], buckets: PUSH_BUCKETS, registers }));
    this.convergence = getOrCreate(registry, 'pilot_proxy_convergence_time', () => new prom.Histogram({ name: 'pilot_proxy_convergence_time', help: 'Delay in seconds between config change and a proxy receiving all required configuration.', buckets: CONVERGENCE_BUCKETS, registers }));
    this.sendTime = getOrCreate(registry, 'pilot_xds_send_time', () => new prom.Histogram({ name: 'pilot_xds_send_time', help: 'Total time in seconds Pilot takes to send generated configuration.', labelNames: ['type'], buckets: PUSH_BUCKETS, registers }));
    this.rejects = getOrCreate(registry, 'pilot_total_xds_rejects', () => new prom.Counter({ name: 'pilot_total_xds_rejects', help: 'Total number of XDS responses from pilot rejected by proxy.', labelNames: ['type'], registers }));
    this.writeTimeouts = getOrCreate(registry, 'pilot_xds_write_timeout', () => new prom.Counter({ name: 'pilot_xds_write_timeout', help: 'Pilot XDS response write timeouts.', registers }));
    this.bytesSent = getOrCreate(registry, 'ambit_control_plane_xds_bytes_sent_total', () => new prom.Counter({ name: 'ambit_control_plane_xds_bytes_sent_total', help: 'Bytes of DeltaDiscoveryResponse messages written, by type.', labelNames: ['type'], registers }));
  }

  /** A bounded `version` label value for a client's reported version. */
  versionLabel(metadata: Record<string, unknown>): string {
    const raw = metadata['ISTIO_VERSION'] ?? metadata['AMBIT_VERSION'];
    if (typeof raw !== 'string' || !/^[A-Za-z0-9._+-]{1,32}$/.test(raw)) return 'unknown';
    if (this.versions.has(raw)) return raw;
    if (this.versions.size >= MAX_VERSIONS) return 'other';
    this.versions.add(raw);
    return raw;
  }
}
