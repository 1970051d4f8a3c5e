// Istio's TCP metrics with the full label set (reference 8.1). Missing values are "unknown", as
// in Istio; label values come from xDS and identities, never from request data, so they stay bounded.
import { Gauge, type Registry } from 'prom-client';
import { CounterFamily, type CounterSeries } from '@ambit/core';

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

/** The series of one label set, each created when first moved (a counter never moved is not exposed). */
export class TcpSeries {
  readonly #families: Record<TcpCounter, CounterFamily>;
  readonly #labels: TrafficLabels;
  readonly #series: Partial<Record<TcpCounter, CounterSeries>> = {};

  constructor(families: Record<TcpCounter, CounterFamily>, labels: TrafficLabels) {
    this.#families = families;
    this.#labels = labels;
  }

  inc(counter: TcpCounter, value = 1): void {
    const series = (this.#series[counter] ??= this.#families[counter].create(this.#labels));
    series.value += value;
  }
}

/**
 * Istio's TCP counters kept per label set (CounterFamily): a connection looks its label set up
 * once per event by one string key instead of prom-client hashing 23 labels per counter.
 */
export class TcpMetrics {
  readonly #families: Record<TcpCounter, CounterFamily>;
  readonly #byLabels = new Map<string, TcpSeries>();
  readonly open: Gauge<'reporter'>;

  constructor(registry: Registry) {
    const family = (name: string, help: string): CounterFamily => new CounterFamily(registry, name, help);
    this.#families = {
      opened: family('istio_tcp_connections_opened_total', 'TCP connections opened'),
      closed: family('istio_tcp_connections_closed_total', 'TCP connections closed'),
      received: family('istio_tcp_received_bytes_total', 'Bytes received by the destination of a TCP connection'),
      sent: family('istio_tcp_sent_bytes_total', 'Bytes sent back to the source of a TCP connection'),
      failed: family('istio_tcp_connections_failed_total', 'TCP connections that failed'),
    };
    this.open = new Gauge({ name: 'istio_tcp_sockets_open', help: 'Open proxied TCP connections', labelNames: ['reporter'], registers: [registry] });
  }

  /** The series of a label set. Label values come from xDS and identities, so the set of keys stays bounded. */
  series(labels: TrafficLabels): TcpSeries {
    // Length-prefixed values: no value, whatever it holds, can run into the next one.
    let key = '';
    for (const name of TRAFFIC_LABELS) {
      const value = labels[name];
      key += `${value.length}:${value}`;
    }
    let found = this.#byLabels.get(key);
    if (!found) {
      found = new TcpSeries(this.#families, labels);
      this.#byLabels.set(key, found);
    }
    return found;
  }
}
