// The seams inside the waypoint, fixed before the parts were built so that each part can be
// written and tested on its own: the proxy core (HBONE termination, HTTP serving, upstreams,
// xDS, metrics) calls the authorization chain (authz/) and the router (routing/) only through
// these types. Config objects come from @ambit/xds-types' Envoy subset (ADR 0007).
import type { Readable } from 'node:stream';
import type { Logger } from '@ambit/core';
import type { envoy } from '@ambit/xds-types';

/** Header list as it travels through the filters: lower-case names, values in order. */
export type HeaderList = Array<[name: string, value: string]>;

/** What the filters and the router know about one downstream request. */
export interface RequestInfo {
  /** `GET`, `POST`, ... (gRPC is always POST). */
  method: string;
  /** The normalised path without the query (HCM normalize_path: RFC 3986 dot segments). */
  path: string;
  /** The raw query string without `?` ('' when none). */
  query: string;
  /** `:authority` / Host, as sent. */
  host: string;
  /** Every request header, lower-case names, pseudo-headers excluded. */
  headers: HeaderList;
  /** 'HTTP/1.1' | 'HTTP/2'. */
  protocol: 'HTTP/1.1' | 'HTTP/2';
  grpc: boolean;
  /** The downstream peer (the client pod: the ztunnel dials from its netns). */
  sourceIp: string;
  sourcePort: number;
  /** The HBONE target: the Service VIP and port the application dialled. */
  destinationIp: string;
  destinationPort: number;
  /** The client's verified SPIFFE ID (`spiffe://td/ns/x/sa/y`) from the HBONE mTLS handshake. */
  principal: string | undefined;
  /** x-request-id (generated when absent). */
  requestId: string;
}

// ---- authorization (authz/) ----

/** Sends one check request to an ext_authz HTTP server through the named cluster. */
export type ExtAuthzTransport = (request: {
  cluster: string;
  method: string;
  path: string;
  headers: HeaderList;
  timeoutMs: number;
}) => Promise<{ status: number; headers: HeaderList; body: string }>;

export type AuthzDecision =
  | {
      allowed: true;
      /** Headers to add to (or replace on) the upstream request (ext_authz allowed_upstream_headers). */
      upstreamHeaders: HeaderList;
      /** Headers to set on the response to the client (ext_authz allowed_client_headers_on_success). */
      downstreamHeaders: HeaderList;
      /** Policies whose AUDIT (RBAC LOG) rules matched, for the access log. */
      audited: string[];
      /** Name of the RBAC policy that allowed, when an ALLOW filter decided. */
      policy: string | undefined;
    }
  | {
      allowed: false;
      /** 403 for RBAC; ext_authz's status or status_on_error otherwise. */
      status: number;
      /** `RBAC: access denied` for RBAC. */
      body: string;
      headers: HeaderList;
      /** The deciding policy (`ns[x]-policy[y]-rule[0]`), or the ext_authz cluster. */
      policy: string | undefined;
      reason: 'rbac' | 'ext_authz_denied' | 'ext_authz_error';
    };

/** A filter chain's authorization filters, compiled once per Listener version. */
export interface CompiledAuthz {
  decide(request: RequestInfo, context: { extAuthz: ExtAuthzTransport; logger: Logger }): Promise<AuthzDecision>;
}

// ---- routing (routing/) ----

export interface RetrySpec {
  retryOn: ReadonlySet<string>;
  numRetries: number;
  /** 0 = none. */
  perTryTimeoutMs: number;
  retriableStatusCodes: ReadonlySet<number>;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** The route a request matched. */
export interface MatchedRoute {
  name: string;
  /** Picks the cluster (weighted_clusters by weight, with the given random in [0,1)). */
  pickCluster(random: number): string;
  /** Whole-request timeout in ms; 0 = none. */
  timeoutMs: number;
  retry: RetrySpec | undefined;
  /** Applies the route's (and chosen cluster's) request header modifiers in place. */
  editRequestHeaders(headers: HeaderList, cluster: string): void;
  /** Applies response header modifiers in place. */
  editResponseHeaders(headers: HeaderList, cluster: string): void;
  /** A direct_response route answers without an upstream. */
  directResponse: { status: number; body: string } | undefined;
  /**
   * The route action's URL rewrite (prefix_rewrite / regex_rewrite, host_rewrite_literal): `path`
   * maps the request path (no query; the query is kept) to the upstream path, `host` replaces
   * :authority / Host upstream. Unset = forwarded as received. Optional so that routes built
   * without one (tests, other callers) need not say so.
   */
  rewrite?: { path: ((path: string) => string) | undefined; host: string | undefined } | undefined;
  /** A redirect route answers `status` with a `location` header and no body, without an upstream. */
  redirect?: ((request: RequestInfo) => { status: number; location: string }) | undefined;
}

export interface CompiledRoutes {
  /** The first route whose match holds (virtual host by :authority first), or undefined (404 NR). */
  select(request: RequestInfo): MatchedRoute | undefined;
}

/** One endpoint of a ClusterLoadAssignment as the upstream layer dials it. */
export interface Endpoint {
  /** `ip:port` (the pod IP and target port); stable key for outlier detection. */
  key: string;
  ip: string;
  port: number;
  /** Present for meshed pods: reach them over HBONE with the waypoint's certificate. */
  hbone: { identity: string; port: number } | undefined;
  healthy: boolean;
  weight: number;
}

/** How one attempt ended, for retries and outlier detection. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: HeaderList; body: Readable }
  | { kind: 'connect-failure' | 'reset' | 'refused-stream' | 'timeout'; error: Error };

/** A cluster at run time: its endpoints (from EDS), load balancing and outlier ejection. */
export interface ClusterRuntime {
  readonly name: string;
  readonly connectTimeoutMs: number;
  /** Replaces the endpoints (EDS update); ejection state is kept for endpoints still present. */
  setEndpoints(endpoints: Endpoint[]): void;
  /** Next endpoint by the cluster's lb_policy among healthy, non-ejected ones; `exclude` = tried already. */
  pick(exclude: ReadonlySet<string>): Endpoint | undefined;
  /** Feeds outlier detection (5xx / gateway errors / connect failures per endpoint). */
  record(endpoint: Endpoint, outcome: AttemptOutcome): void;
  /** For /config_dump and metrics. */
  snapshot(): { endpoints: Array<Endpoint & { ejectedUntil: number | undefined }> };
  close(): void;
}

/**
 * Runs one request against a route: picks the cluster, endpoints, retries and timeouts. `attempt`
 * sends the (buffered or streamed) request to one endpoint and resolves at response headers.
 * The retry budget and counters are the cluster's.
 */
export type ExecuteRequest = (options: {
  route: MatchedRoute;
  cluster: ClusterRuntime;
  /** Whether the request body can be replayed (buffered); false = no retry after the first attempt sent a body. */
  replayable: boolean;
  attempt: (endpoint: Endpoint, signal: AbortSignal) => Promise<AttemptOutcome>;
  signal: AbortSignal;
}) => Promise<
  | { kind: 'response'; status: number; headers: HeaderList; body: Readable; endpoint: Endpoint; attempts: number }
  /** 503 UH (no healthy upstream), 503 UF (connect failure), 504 UT (timeout), 503 URX (retries exhausted). */
  | { kind: 'local'; status: number; body: string; flags: string; endpoint: Endpoint | undefined; attempts: number }
>;

/** Config compilers: throw an AmbitError (code AMBIT_WAYPOINT_CONFIG) naming the field they cannot honour; the xDS layer NACKs the resource. */
export interface Compilers {
  authz(filters: envoy.HttpFilter[]): CompiledAuthz;
  routes(config: envoy.RouteConfiguration): CompiledRoutes;
  cluster(cluster: envoy.Cluster): ClusterRuntime;
}
