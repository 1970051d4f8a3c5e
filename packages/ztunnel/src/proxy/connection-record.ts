// One object per proxied connection writes its metrics and its access log line when it closes, so
// the two never disagree (ztunnel's src/proxy/metrics.rs habit). Bytes are counted from the
// sockets' own counters at close, never per chunk.
import type { Logger } from '@ambit/core';
import type { TcpMetrics, TrafficLabels } from './metrics.ts';
import type { Service, Workload } from '../state/types.ts';

export interface ConnectionEnds {
  direction: 'outbound' | 'inbound';
  reporter: 'source' | 'destination';
  srcAddr: string;
  srcWorkload: Workload | undefined;
  srcIdentity: string | undefined;
  dstAddr: string;
  hboneAddr: string | undefined;
  dstWorkload: Workload | undefined;
  dstService: Service | undefined;
  dstIdentity: string | undefined;
  mtls: boolean;
}

const U = 'unknown';

function principal(identity: string | undefined): string {
  return identity ?? U;
}

export function trafficLabels(ends: ConnectionEnds, responseFlags: string): TrafficLabels {
  const s = ends.srcWorkload;
  const d = ends.dstWorkload;
  const svc = ends.dstService;
  return {
    reporter: ends.reporter,
    source_workload: s?.workloadName || U,
    source_canonical_service: s?.canonicalName || U,
    source_canonical_revision: s?.canonicalRevision || U,
    source_workload_namespace: s?.namespace || U,
    source_principal: principal(ends.srcIdentity ?? s?.identity),
    source_app: s?.canonicalName || U,
    source_version: s?.canonicalRevision || U,
    source_cluster: s?.clusterId || U,
    destination_service: svc?.hostname ?? U,
    destination_service_namespace: svc?.namespace ?? U,
    destination_service_name: svc?.name ?? U,
    destination_workload: d?.workloadName || U,
    destination_canonical_service: d?.canonicalName || U,
    destination_canonical_revision: d?.canonicalRevision || U,
    destination_workload_namespace: d?.namespace || U,
    destination_principal: principal(ends.dstIdentity ?? d?.identity),
    destination_app: d?.canonicalName || U,
    destination_version: d?.canonicalRevision || U,
    destination_cluster: d?.clusterId || U,
    request_protocol: 'tcp',
    response_flags: responseFlags,
    connection_security_policy: ends.mtls ? 'mutual_tls' : U,
  };
}

export class ConnectionRecord {
  private readonly started = performance.now();
  private closed = false;
  private readonly ends: ConnectionEnds;
  private readonly metrics: TcpMetrics;
  private readonly logger: Logger;

  constructor(ends: ConnectionEnds, metrics: TcpMetrics, logger: Logger) {
    this.ends = ends;
    this.metrics = metrics;
    this.logger = logger;
    this.metrics.series(trafficLabels(ends, '-')).inc('opened');
    this.metrics.open.inc({ reporter: ends.reporter });
  }

  /** Records the end of the connection once: bytes from source to destination and back. */
  close(bytesFromSource: number, bytesToSource: number, error?: { message: string; flags: string }): void {
    if (this.closed) return;
    this.closed = true;
    const flags = error?.flags ?? '-';
    const series = this.metrics.series(trafficLabels(this.ends, flags));
    series.inc('closed');
    series.inc('received', bytesFromSource);
    series.inc('sent', bytesToSource);
    if (error) series.inc('failed');
    this.metrics.open.dec({ reporter: this.ends.reporter });
    const e = this.ends;
    const fields = {
      'src.addr': e.srcAddr,
      'src.workload': e.srcWorkload?.name,
      'src.namespace': e.srcWorkload?.namespace,
      'src.identity': e.mtls ? e.srcIdentity : undefined,
      'dst.addr': e.dstAddr,
      'dst.hbone_addr': e.hboneAddr,
      'dst.service': e.dstService?.hostname,
      'dst.workload': e.dstWorkload?.name,
      'dst.namespace': e.dstWorkload?.namespace,
      'dst.identity': e.mtls ? e.dstIdentity : undefined,
      direction: e.direction,
      bytes_sent: bytesFromSource,
      bytes_recv: bytesToSource,
      duration: `${Math.round(performance.now() - this.started)}ms`,
      ...(error ? { error: error.message } : {}),
    };
    if (error) this.logger.error(fields, 'connection complete');
    else this.logger.info(fields, 'connection complete');
  }
}
