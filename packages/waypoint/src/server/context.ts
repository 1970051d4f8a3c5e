// What the downstream side of the waypoint needs, passed in (the app wires the real parts; tests
// wire their own): the current config, the upstream machinery, telemetry and the router's executor.
import type { Logger } from '@ambit/core';
import type { ClusterRuntime, CompiledRoutes, ExecuteRequest, ExtAuthzTransport } from '../contracts.ts';
import type { RequestTelemetry } from '../telemetry/requests.ts';
import type { TcpTelemetry } from '../telemetry/tcp.ts';
import type { Dialer } from '../upstream/dialer.ts';
import type { HttpUpstreams } from '../upstream/http-upstreams.ts';
import type { CompiledChain } from '../xds/listener.ts';

/** The held configuration, looked up per request so that a change applies to the next request. */
export interface ConfigView {
  chain(ip: string, port: number): CompiledChain | undefined;
  routes(name: string): CompiledRoutes | undefined;
  cluster(name: string): ClusterRuntime | undefined;
}

/** HCM path normalisation (authz/path.ts): the normalised path, or undefined for a path refused with 400. */
export type PathNormalizer = (path: string) => string | undefined;

export interface ProxyContext {
  config: ConfigView;
  upstreams: HttpUpstreams;
  dialer: Dialer;
  telemetry: RequestTelemetry;
  tcpTelemetry: TcpTelemetry;
  executeRequest: ExecuteRequest;
  normalizePath: PathNormalizer;
  extAuthz: ExtAuthzTransport;
  logger: Logger;
  /** In [0, 1): weighted cluster picks. */
  random(): number;
}

/** One HBONE tunnel the waypoint terminated. */
export interface DownstreamConnection {
  /** The client's verified SPIFFE ID and address. */
  principal: string;
  sourceIp: string;
  sourcePort: number;
  /** The CONNECT target: the Service VIP and port. */
  destinationIp: string;
  destinationPort: number;
}
