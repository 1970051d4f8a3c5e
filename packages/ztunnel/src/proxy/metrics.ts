// Istio's TCP metrics with the full label set (reference 8.1). Missing values are "unknown", as
// in Istio; label values come from xDS and identities, never from request data, so they stay bounded.
import { Counter, Gauge, type Registry } from 'prom-client';

export const TRAFFIC_LABELS = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_service',
  'destination_service_namespace',
  'destination_service_name',
  'destination_workload',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_cluster',
  'request_protocol',
  'response_flags',
  'connection_security_policy',
] as const;

export type TrafficLabels = Record<(typeof TRAFFIC_LABELS)[number], string>;

export class TcpMetrics {
  readonly opened: Counter<(typeof TRAFFIC_LABELS)[number]>;
  readonly closed: Counter<(typeof TRAFFIC_LABELS)[number]>;
  readonly received: Counter<(typeof TRAFFIC_LABELS)[number]>;
  readonly sent: Counter<(typeof TRAFFIC_LABELS)[number]>;
  readonly failed: Counter<(typeof TRAFFIC_LABELS)[number]>;
  readonly open: Gauge<'reporter'>;

  constructor(registry: Registry) {
    const counter = (name: string, help: string): Counter<(typeof TRAFFIC_LABELS)[number]> => new Counter({ name, help, labelNames: [...TRAFFIC_LABELS], registers: [registry] });
    this.opened = counter('istio_tcp_connections_opened_total', 'TCP connections opened');
    this.closed = counter('istio_tcp_connections_closed_total', 'TCP connections closed');
    this.received = counter('istio_tcp_received_bytes_total', 'Bytes received by the destination of a TCP connection');
    this.sent = counter('istio_tcp_sent_bytes_total', 'Bytes sent back to the source of a TCP connection');
    this.failed = counter('istio_tcp_connections_failed_total', 'TCP connections that failed');
    this.open = new Gauge({ name: 'istio_tcp_sockets_open', help: 'Open proxied TCP connections', labelNames: ['reporter'], registers: [registry] });
  }
}
