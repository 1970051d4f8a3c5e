// Istio's TCP metrics with the full label set (reference 8.1). Missing values are "unknown", as
// in Istio; label values come from xDS and identities, never from request data, so they stay bounded.
import { Gauge, type Registry } from 'prom-client';
import { LabeledCounters, type LabelSetCounters } from '@ambit/core';

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

/** The counters a connection moves. */
export type TcpCounter = 'opened' | 'closed' | 'received' | 'sent' | 'failed';

/** Istio's TCP counters per label set (LabeledCounters), and the open-socket gauge. */
export class TcpMetrics {
  readonly #counters: LabeledCounters<TcpCounter, (typeof TRAFFIC_LABELS)[number]>;
  readonly open: Gauge<'reporter'>;

  constructor(registry: Registry) {
    this.#counters = new LabeledCounters(
      registry,
      {
        opened: { name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened' },
        closed: { name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed' },
        received: { name: 'istio_tcp_received_bytes_total', help: 'Bytes received by the destination of a TCP connection' },
        sent: { name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent back to the source of a TCP connection' },
        failed: { name: 'istio_tcp_connections_failed_total', help: 'TCP connections that failed' },
      },
      TRAFFIC_LABELS,
    );
    this.open = new Gauge({ name: 'istio_tcp_sockets_open', help: 'Open proxied TCP connections', labelNames: ['reporter'], registers: [registry] });
  }

  /** The counters of a label set. Label values come from xDS and identities, so the set stays bounded. */
  series(labels: TrafficLabels): LabelSetCounters<TcpCounter> {
    return this.#counters.series(labels);
  }
}
