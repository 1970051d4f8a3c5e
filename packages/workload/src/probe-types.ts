// Types of `ambit lab probe` as the probe process sees them (DESIGN.md, "Command-line contract").

export type ProbeProtocol = 'TCP' | 'UDP';

export interface HttpProbeOptions {
  /** Request path with query, e.g. `/api/v1/x?status=403`. */
  path: string;
  method: string;
  headers: Record<string, string>;
}

export interface ProbeSpec {
  /** `HOST:PORT` (`[v6]:PORT` for IPv6 literals); reported back exactly as given. */
  to: string;
  protocol: ProbeProtocol;
  timeoutMs: number;
  /** TCP only: send this HTTP/1.1 request instead of a plain line. */
  http?: HttpProbeOptions;
  /** TCP only: call ambit.workload.v1.Echo/Echo over h2c (with `http`, its path and headers are used). */
  grpc?: boolean;
}

export interface ProbeRequest {
  /** `ns/pod` the probes run from; copied into every result. */
  from: string;
  probes: ProbeSpec[];
}

/** What one probe found. */
export interface ProbeOutcome {
  /** The destination's server answered within the timeout (never just a TCP handshake). */
  connected: boolean;
  /** HTTP status; for gRPC the grpc-status when the reply carried one, else the HTTP status. */
  status: number | null;
  /** `pod` of the answer when the server was Ambit's workload server. */
  server: string | null;
  /** Short and stable: "timeout", "connection refused", "connection reset", "no such host", ... */
  error: string | null;
}

export interface ProbeResult extends ProbeOutcome {
  from: string;
  to: string;
  protocol: ProbeProtocol;
}

export interface TimeoutOptions {
  /** The whole probe, DNS lookup included, is bounded by this. */
  timeoutMs: number;
}
