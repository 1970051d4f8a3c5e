// One record per downstream request writes both Istio's request metrics and the access log line
// when the request ends, so the two never disagree (ztunnel's habit, STYLE.md).
import type { Logger } from '@ambit/core';
import type { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from '@ambit/core';
import { serviceLabels, spiffeNamespace } from './labels.ts';

/** Istio's duration buckets (ms), 0.5 ms .. 1 h. */
const DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Istio's size buckets (bytes), 1 B .. 1 GB by powers of ten. */
const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Istio's standard request metric labels (#seriesFor builds them in this order). */
type Label =
  | 'reporter'
  | 'source_principal'
  | 'source_workload'
  | 'source_workload_namespace'
  | 'destination_principal'
  | 'destination_workload'
  | 'destination_service'
  | 'destination_service_name'
  | 'destination_service_namespace'
  | 'request_protocol'
  | 'response_code'
  | 'grpc_response_status'
  | 'response_flags'
  | 'connection_security_policy';

export interface RequestRecord {
  startTime: Date;
  method: string;
  /** The path as received (with the query), as Envoy's %REQ(:PATH)%. */
  path: string;
  protocol: 'HTTP/1.1' | 'HTTP/2';
  grpc: boolean;
  authority: string;
  requestId: string;
  principal: string | undefined;
  sourceAddress: string;
  /** The filter chain (`<host>:<port>`) that served the request. */
  chain: string;
  responseCode: number;
  /** gRPC status from the trailers (or trailers-only headers); '' when none. */
  grpcStatus: string;
  /** Envoy's response flags ('-' when none). */
  responseFlags: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  upstreamHost: string | undefined;
  upstreamCluster: string | undefined;
  upstreamPrincipal: string | undefined;
  /** Attempts the router made (retries + 1); 0 when no upstream was tried. */
  attempts: number;
  route: string | undefined;
  /** The RBAC/ext_authz policy that decided, for the log. */
  policy: string | undefined;
  audited: string[];
  /** Why a local reply was sent (Envoy's %RESPONSE_CODE_DETAILS%). */
  details: string | undefined;
}

/** The four metrics' series for one label set, resolved once (series.ts). */
interface Series {
  requests: CounterSeries;
  duration: HistogramSeries;
  requestBytes: HistogramSeries;
  responseBytes: HistogramSeries;
}

export class RequestTelemetry {
  /**
   * Series by the record fields the labels derive from. It grows with the distinct label sets, as
   * Envoy's and prom-client's series do (never removed while the process lives).
   */
  readonly #series = new Map<string, Series>();
  readonly #requests: CounterFamily;
  readonly #duration: HistogramFamily;
  readonly #requestBytes: HistogramFamily;
  readonly #responseBytes: HistogramFamily;
  readonly #log: Logger;

  constructor(registry: Registry, accessLog: Logger) {
    this.#requests = new CounterFamily(registry, 'istio_requests_total', 'Requests handled by this waypoint');
    this.#duration = new HistogramFamily(registry, 'istio_request_duration_milliseconds', 'Request duration in milliseconds', DURATION_BUCKETS);
    this.#requestBytes = new HistogramFamily(registry, 'istio_request_bytes', 'Request size in bytes (headers and body)', SIZE_BUCKETS);
    this.#responseBytes = new HistogramFamily(registry, 'istio_response_bytes', 'Response size in bytes (headers and body)', SIZE_BUCKETS);
    this.#log = accessLog;
  }

  finish(r: RequestRecord): void {
    const series = this.#seriesFor(r);
    series.requests.value++;
    series.duration.observe(r.durationMs);
    series.requestBytes.observe(r.bytesReceived);
    series.responseBytes.observe(r.bytesSent);
    this.#log.info(
      {
        start_time: r.startTime.toISOString(),
        method: r.method,
        path: r.path,
        protocol: r.protocol,
        response_code: r.responseCode,
        response_flags: r.responseFlags,
        response_code_details: r.details ?? 'via_upstream',
        grpc_status: r.grpcStatus || undefined,
        bytes_received: r.bytesReceived,
        bytes_sent: r.bytesSent,
        duration: Math.round(r.durationMs),
        upstream_host: r.upstreamHost ?? '-',
        upstream_cluster: r.upstreamCluster ?? '-',
        upstream_request_attempt_count: r.attempts,
        route_name: r.route ?? '-',
        x_request_id: r.requestId,
        authority: r.authority,
        downstream_peer_address: r.sourceAddress,
        source_principal: r.principal ?? '-',
        upstream_peer_principal: r.upstreamPrincipal ?? '-',
        rbac_policy: r.policy ?? '-',
        audited: r.audited.length > 0 ? r.audited : undefined,
      },
      'request',
    );
  }

  #seriesFor(r: RequestRecord): Series {
    // NUL stands for an absent principal (never part of a SPIFFE ID), so undefined and '' stay apart.
    const key = `${r.chain}\n${r.principal ?? '\0'}\n${r.upstreamPrincipal ?? '\0'}\n${r.grpc ? 'grpc' : 'http'}\n${r.responseCode}\n${r.grpcStatus}\n${r.responseFlags}`;
    const held = this.#series.get(key);
    if (held !== undefined) return held;
    const service = serviceLabels(r.chain);
    const labels: Record<Label, string> = {
      reporter: 'waypoint',
      source_principal: r.principal ?? 'unknown',
      source_workload: 'unknown',
      source_workload_namespace: spiffeNamespace(r.principal),
      destination_principal: r.upstreamPrincipal ?? 'unknown',
      destination_workload: 'unknown',
      destination_service: service.service,
      destination_service_name: service.name,
      destination_service_namespace: service.namespace,
      request_protocol: r.grpc ? 'grpc' : 'http',
      response_code: String(r.responseCode),
      grpc_response_status: r.grpcStatus,
      response_flags: r.responseFlags,
      connection_security_policy: 'mutual_tls',
    };
    const series: Series = { requests: this.#requests.create(labels), duration: this.#duration.create(labels), requestBytes: this.#requestBytes.create(labels), responseBytes: this.#responseBytes.create(labels) };
    this.#series.set(key, series);
    return series;
  }
}
