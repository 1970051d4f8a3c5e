// Istio's TCP metrics and one access log line per connection for tcp_proxy chains, written when
// the HBONE stream closes (the HBONE server counts the bytes both ways).
import { LabeledCounters, type Logger } from '@ambit/core';
import type { Registry } from 'prom-client';
import { serviceLabels, spiffeNamespace } from './labels.ts';

const LABELS = [
  'reporter',
  'source_principal',
  'source_workload',
  'source_workload_namespace',
  'destination_principal',
  'destination_workload',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'request_protocol',
  'response_flags',
  'connection_security_policy',
] as const;
type Label = (typeof LABELS)[number];

export interface TcpConnection {
  startTime: Date;
  /** The filter chain (`<host>:<port>`). */
  chain: string;
  principal: string;
  sourceAddress: string;
  upstreamCluster: string;
  upstreamHost: string;
  upstreamPrincipal: string | undefined;
}

export class TcpTelemetry {
  readonly #counters: LabeledCounters<'opened' | 'closed' | 'sent' | 'received', Label>;
  readonly #log: Logger;

  constructor(registry: Registry, accessLog: Logger) {
    this.#counters = new LabeledCounters(
      registry,
      {
        opened: { name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened through this waypoint' },
        closed: { name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed through this waypoint' },
        sent: { name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the client on TCP connections' },
        received: { name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the client on TCP connections' },
      },
      LABELS,
    );
    this.#log = accessLog;
  }

  #labels(c: TcpConnection, flags: string): Record<Label, string> {
    const service = serviceLabels(c.chain);
    return {
      reporter: 'waypoint',
      source_principal: c.principal,
      source_workload: 'unknown',
      source_workload_namespace: spiffeNamespace(c.principal),
      destination_principal: c.upstreamPrincipal ?? 'unknown',
      destination_workload: 'unknown',
      destination_service: service.service,
      destination_service_name: service.name,
      destination_service_namespace: service.namespace,
      request_protocol: 'tcp',
      response_flags: flags,
      connection_security_policy: 'mutual_tls',
    };
  }

  opened(c: TcpConnection): void {
    this.#counters.series(this.#labels(c, '-')).inc('opened');
  }

  closed(c: TcpConnection, result: { bytesFromClient: number; bytesToClient: number; durationMs: number; error: Error | undefined }): void {
    const series = this.#counters.series(this.#labels(c, '-'));
    series.inc('closed');
    series.inc('received', result.bytesFromClient);
    series.inc('sent', result.bytesToClient);
    this.#log.info(
      {
        start_time: c.startTime.toISOString(),
        protocol: 'tcp',
        bytes_received: result.bytesFromClient,
        bytes_sent: result.bytesToClient,
        duration: Math.round(result.durationMs),
        upstream_host: c.upstreamHost,
        upstream_cluster: c.upstreamCluster,
        downstream_peer_address: c.sourceAddress,
        source_principal: c.principal,
        upstream_peer_principal: c.upstreamPrincipal ?? '-',
        connection_termination_details: result.error?.message,
      },
      'connection',
    );
  }
}
