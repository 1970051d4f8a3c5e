// Envoy's ext_authz HTTP filter (http_service only): the check request carries the original
// method and path (behind path_prefix), the allowed request headers plus the ones Envoy always
// sends (Host, Authorization, Content-Length 0; the body is not sent). HTTP 200 allows and copies
// allowed_upstream_headers onto the request; any other status denies with that status, the body
// and the allowed client headers; no answer (error or timeout) denies with status_on_error
// unless failure_mode_allow.
import { protoRoot, type envoy } from '@ambit/xds-types';
import type { ExtAuthzTransport, HeaderList, RequestInfo } from '../contracts.ts';
import { configError, stringMatcher } from '../matchers.ts';
import { compileMetadataMatcher, type DynamicMetadata } from './rbac.ts';

export type ExtAuthzOutcome =
  | { kind: 'skipped' }
  | { kind: 'allowed'; upstreamHeaders: HeaderList; downstreamHeaders: HeaderList }
  | { kind: 'denied'; status: number; body: string; headers: HeaderList; reason: 'ext_authz_denied' | 'ext_authz_error'; cluster: string };

export interface CompiledExtAuthz {
  cluster: string;
  check(request: RequestInfo, metadata: DynamicMetadata, transport: ExtAuthzTransport): Promise<ExtAuthzOutcome>;
}

/** Headers a denial always passes to the client when allowed_client_headers is set (Envoy's list). */
const ALWAYS_TO_CLIENT = new Set(['www-authenticate', 'location']);
/** Never copied from the authorization response: connection-level or recomputed by the proxy. */
const NOT_COPIED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

type NameMatcher = (name: string) => boolean;

function compileList(list: envoy.ListStringMatcher | null | undefined, where: string): NameMatcher | undefined {
  if (!list) return undefined;
  const patterns = list.patterns.map((p, i) => stringMatcher(p, `${where}.patterns[${i}]`));
  return (name) => patterns.some((p) => p(name));
}

function durationMs(d: { seconds: string; nanos: number } | null | undefined): number | undefined {
  return d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : undefined;
}

/** envoy.type.v3.StatusCode decodes as a name (Forbidden); the status is its number. */
function statusNumber(code: string | number, where: string): number {
  const n = typeof code === 'number' ? code : protoRoot().lookupEnum('envoy.type.v3.StatusCode').values[code];
  if (n === undefined || n < 100 || n > 599) throw configError(where, `${JSON.stringify(code)} is not an HTTP status`);
  return n;
}

export function compileExtAuthz(config: envoy.ExtAuthz, where: string): CompiledExtAuthz {
  const raw = config as envoy.ExtAuthz & Record<string, unknown>;
  if (config.services !== 'http_service' || !config.http_service) {
    throw configError(`${where}.services`, `${JSON.stringify(config.services ?? 'unset')} is not supported: the waypoint calls ext_authz over http_service only`);
  }
  for (const field of ['with_request_body', 'filter_enabled', 'deny_at_disable', 'grpc_service']) {
    if (raw[field]) throw configError(`${where}.${field}`, 'is not supported by the waypoint');
  }
  const http = config.http_service;
  const uri = http.server_uri;
  if (!uri || uri.cluster === '') throw configError(`${where}.http_service.server_uri.cluster`, 'is required');
  const timeoutMs = durationMs(uri.timeout);
  if (timeoutMs === undefined) throw configError(`${where}.http_service.server_uri.timeout`, 'is required');
  const cluster = uri.cluster;
  const topLevelAllowed = raw['allowed_headers'] as envoy.ListStringMatcher | null | undefined;
  const allowedHeaders =
    compileList(http.authorization_request?.allowed_headers, `${where}.http_service.authorization_request.allowed_headers`) ??
    compileList(topLevelAllowed, `${where}.allowed_headers`);
  const headersToAdd = (http.authorization_request?.headers_to_add ?? []).map((h): [string, string] => [h.key.toLowerCase(), h.value]);
  const toUpstream = compileList(http.authorization_response?.allowed_upstream_headers, `${where}.http_service.authorization_response.allowed_upstream_headers`);
  const toClient = compileList(http.authorization_response?.allowed_client_headers, `${where}.http_service.authorization_response.allowed_client_headers`);
  const toClientOnSuccess = compileList(http.authorization_response?.allowed_client_headers_on_success, `${where}.http_service.authorization_response.allowed_client_headers_on_success`);
  const statusOnError = config.status_on_error ? statusNumber(config.status_on_error.code, `${where}.status_on_error.code`) : 403;
  const enabled = config.filter_enabled_metadata ? compileMetadataMatcher(config.filter_enabled_metadata, `${where}.filter_enabled_metadata`) : () => true;

  const checkHeaders = (request: RequestInfo): HeaderList => {
    const out: HeaderList = [['host', request.host]];
    for (const [name, value] of request.headers) {
      if (name === 'host' || name === 'content-length') continue;
      if (name === 'authorization' || allowedHeaders?.(name)) out.push([name, value]);
    }
    out.push(['content-length', '0']);
    // headers_to_add replaces a client header of the same name.
    const added = new Set(headersToAdd.map(([n]) => n));
    return [...out.filter(([n]) => !added.has(n)), ...headersToAdd];
  };

  return {
    cluster,
    async check(request, metadata, transport) {
      if (!enabled(metadata)) return { kind: 'skipped' };
      const path = `${http.path_prefix}${request.path}${request.query === '' ? '' : `?${request.query}`}`;
      let response: Awaited<ReturnType<ExtAuthzTransport>>;
      try {
        response = await withTimeout(transport({ cluster, method: request.method, path, headers: checkHeaders(request), timeoutMs }), timeoutMs);
      } catch {
        if (config.failure_mode_allow) return { kind: 'allowed', upstreamHeaders: [], downstreamHeaders: [] };
        return { kind: 'denied', status: statusOnError, body: '', headers: [], reason: 'ext_authz_error', cluster };
      }
      const headers = response.headers.map(([n, v]): [string, string] => [n.toLowerCase(), v]).filter(([n]) => !n.startsWith(':') && !NOT_COPIED.has(n));
      if (response.status === 200) {
        return {
          kind: 'allowed',
          upstreamHeaders: toUpstream ? headers.filter(([n]) => toUpstream(n)) : [],
          // Envoy adds response headers on success only when allowed_client_headers_on_success names them.
          downstreamHeaders: toClientOnSuccess ? headers.filter(([n]) => toClientOnSuccess(n)) : [],
        };
      }
      // allowed_client_headers unset: every response header goes to the client.
      const clientHeaders = toClient ? headers.filter(([n]) => toClient(n) || ALWAYS_TO_CLIENT.has(n)) : headers;
      return { kind: 'denied', status: response.status, body: response.body, headers: clientHeaders, reason: 'ext_authz_denied', cluster };
    },
  };
}

/** Rejects when `promise` has not settled within `ms`: a stuck transport must not hold the request. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  // A zero timeout is Envoy's "no timeout".
  if (ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ext_authz check timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
