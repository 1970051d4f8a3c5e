// One downstream HTTP request through the waypoint, Envoy's HCM order: the filter chain current
// for the tunnel's target (looked up per request, so a policy or route change applies to the next
// request on an open connection), request id and trace context, path normalisation,
// authorization, route selection, then the router's executor with an attempt that sends the
// request to one endpoint. One RequestRecord per request feeds metrics and the access log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';
import { errorMessage } from '@ambit/core';
import type { AttemptOutcome, Endpoint, HeaderList, RequestInfo } from '../contracts.ts';
import type { RequestRecord } from '../telemetry/requests.ts';
import { responseTrailers, type UpstreamRequest } from '../upstream/http-upstreams.ts';
import type { DownstreamConnection, ProxyContext } from './context.ts';
import { sendLocalReply, type DownstreamResponse, type LocalReply } from './local-reply.ts';
import { ensureTracing, forwardable, getHeader, headersFromRaw, isGrpc, setHeader } from './request-headers.ts';

/** Request bodies up to this size are buffered so that a retry can send them again (Envoy's default per-request buffer limit). */
export const MAX_REPLAY_BYTES = 1024 * 1024;

type DownstreamRequest = IncomingMessage | Http2ServerRequest;

function toObject(headers: HeaderList): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers) (out[name] ??= []).push(value);
  return out;
}

/** The request body: none, buffered (replayable) or streamed through a byte counter. */
async function requestBody(req: DownstreamRequest, protocol: RequestInfo['protocol']): Promise<{ body: Buffer | Readable | undefined; replayable: boolean; bytes: () => number }> {
  const length = req.headers['content-length'];
  const declared = length === undefined ? undefined : Number(length);
  const ended = protocol === 'HTTP/2' ? (req as Http2ServerRequest).stream.endAfterHeaders : declared === undefined && req.headers['transfer-encoding'] === undefined;
  if (ended || declared === 0) {
    req.resume();
    return { body: undefined, replayable: true, bytes: () => 0 };
  }
  if (declared !== undefined && Number.isFinite(declared) && declared <= MAX_REPLAY_BYTES) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REPLAY_BYTES) throw new Error(`request body exceeds its content-length (${declared})`);
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks, size);
    return { body, replayable: true, bytes: () => size };
  }
  let size = 0;
  const counter = new PassThrough({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(null, chunk);
    },
  });
  (req as Readable).on('error', (error) => counter.destroy(error));
  (req as Readable).pipe(counter);
  return { body: counter, replayable: false, bytes: () => size };
}

export async function handleRequest(ctx: ProxyContext, connection: DownstreamConnection, req: DownstreamRequest, res: DownstreamResponse): Promise<void> {
  const startTime = new Date();
  const started = performance.now();
  const protocol: RequestInfo['protocol'] = req.httpVersionMajor === 2 ? 'HTTP/2' : 'HTTP/1.1';
  const rawTarget = req.url ?? '/';
  const headers = headersFromRaw(req.rawHeaders);
  const authority = (protocol === 'HTTP/2' ? (req.headers[':authority'] as string | undefined) : undefined) ?? getHeader(headers, 'host') ?? '';
  const grpc = isGrpc(headers);
  const record: RequestRecord = {
    startTime,
    method: req.method ?? 'GET',
    path: rawTarget,
    protocol,
    grpc,
    authority,
    requestId: '',
    principal: connection.principal,
    sourceAddress: `${connection.sourceIp}:${connection.sourcePort}`,
    // Set once the chain is known; a request without one is labelled destination_service="unknown".
    chain: '',
    responseCode: 0,
    grpcStatus: '',
    responseFlags: '-',
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 0,
    upstreamHost: undefined,
    upstreamCluster: undefined,
    upstreamPrincipal: undefined,
    attempts: 0,
    route: undefined,
    policy: undefined,
    audited: [],
    details: undefined,
  };
  // Errors surface through 'close' and the awaited steps; an 'error' event must never go unheard.
  (req as Readable).on('error', () => {});
  res.on('error', () => {});
  let bodyBytes = (): number => 0;
  let sentBytes = 0;
  const downstream = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) {
      downstream.abort(new Error('the downstream closed the request'));
      if (record.responseFlags === '-') record.responseFlags = 'DC';
    }
    record.bytesReceived = bodyBytes();
    record.bytesSent = sentBytes;
    record.durationMs = performance.now() - started;
    try {
      ctx.telemetry.finish(record);
    } catch (error) {
      ctx.logger.error({ err: errorMessage(error) }, 'request telemetry failed');
    }
  });
  const local = (reply: LocalReply, details: string): void => {
    record.responseFlags = reply.flags;
    record.details = details;
    const sent = sendLocalReply(res, grpc, reply);
    record.responseCode = sent.status;
    record.grpcStatus = sent.grpcStatus;
    sentBytes += sent.bytes;
  };

  const chain = ctx.config.chain(connection.destinationIp, connection.destinationPort);
  if (chain === undefined || chain.kind !== 'http') {
    req.resume();
    local({ status: 503, body: `no HTTP filter chain for ${connection.destinationIp}:${connection.destinationPort}`, flags: 'NR' }, 'filter_chain_not_found');
    return;
  }
  record.chain = chain.name;
  const { requestId } = ensureTracing(headers, chain.generateRequestId);
  record.requestId = requestId;
  const queryAt = rawTarget.indexOf('?');
  const rawPath = queryAt < 0 ? rawTarget : rawTarget.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rawTarget.slice(queryAt + 1);
  let path = rawPath;
  if (chain.normalizePath) {
    // merge_slashes (Istio leaves it off) collapses runs of '/' before RFC 3986 normalisation.
    const normalized = ctx.normalizePath(chain.mergeSlashes ? rawPath.replace(/\/{2,}/g, '/') : rawPath);
    if (normalized === undefined) {
      req.resume();
      local({ status: 400, body: 'Bad Request', flags: '-' }, 'path_normalization_failed');
      return;
    }
    path = normalized;
  }
  const info: RequestInfo = {
    method: req.method ?? 'GET',
    path,
    query,
    host: authority,
    headers,
    protocol,
    grpc,
    sourceIp: connection.sourceIp,
    sourcePort: connection.sourcePort,
    destinationIp: connection.destinationIp,
    destinationPort: connection.destinationPort,
    principal: connection.principal,
    requestId,
  };

  const decision = await chain.authz.decide(info, { extAuthz: ctx.extAuthz, logger: ctx.logger });
  if (!decision.allowed) {
    req.resume();
    record.policy = decision.policy;
    if (decision.reason === 'rbac') local({ status: 403, body: decision.body || 'RBAC: access denied', flags: '-', headers: decision.headers }, `rbac_access_denied_matched_policy[${decision.policy ?? 'none'}]`);
    else local({ status: decision.status, body: decision.body, flags: 'UAEX', headers: decision.headers }, decision.reason === 'ext_authz_denied' ? 'ext_authz_denied' : 'ext_authz_error');
    return;
  }
  record.policy = decision.policy;
  record.audited = decision.audited;

  const routes = chain.inlineRoutes ?? (chain.routeConfigName === undefined ? undefined : ctx.config.routes(chain.routeConfigName));
  const route = routes?.select(info);
  if (route === undefined) {
    req.resume();
    local({ status: 404, body: '', flags: 'NR' }, 'route_not_found');
    return;
  }
  record.route = route.name;
  if (route.directResponse !== undefined) {
    req.resume();
    local({ status: route.directResponse.status, body: route.directResponse.body, flags: '-' }, 'direct_response');
    return;
  }
  if (route.redirect !== undefined) {
    // Envoy answers a redirect route itself, as a local reply: no upstream, an empty body.
    req.resume();
    const { status, location } = route.redirect(info);
    local({ status, body: '', flags: '-', headers: [['location', location]] }, 'direct_response');
    return;
  }
  const clusterName = route.pickCluster(ctx.random());
  record.upstreamCluster = clusterName;
  const cluster = ctx.config.cluster(clusterName);
  if (cluster === undefined) {
    req.resume();
    local({ status: 503, body: 'no healthy upstream', flags: 'NC' }, 'cluster_not_found');
    return;
  }

  const upstreamHeaders = forwardable(headers);
  for (const [name, value] of decision.upstreamHeaders) setHeader(upstreamHeaders, name, value);
  setHeader(upstreamHeaders, 'x-forwarded-proto', 'http');
  route.editRequestHeaders(upstreamHeaders, clusterName);
  // URLRewrite: the rewritten path with the query as received, and the rewritten authority.
  const rewrittenPath = route.rewrite?.path?.(path) ?? path;
  const upstreamPath = query === '' ? rewrittenPath : `${rewrittenPath}?${query}`;
  const upstreamAuthority = route.rewrite?.host ?? authority;

  let body: Awaited<ReturnType<typeof requestBody>>;
  try {
    body = await requestBody(req, protocol);
  } catch (error) {
    local({ status: 400, body: 'Bad Request', flags: '-' }, `request_body: ${errorMessage(error)}`);
    return;
  }
  bodyBytes = body.bytes;

  const attempt = (endpoint: Endpoint, signal: AbortSignal): Promise<AttemptOutcome> => {
    record.upstreamHost = endpoint.key;
    const request: UpstreamRequest = {
      method: info.method,
      path: upstreamPath,
      authority: upstreamAuthority,
      headers: upstreamHeaders,
      body: body.body,
      connectTimeoutMs: cluster.connectTimeoutMs,
      signal,
    };
    return protocol === 'HTTP/2' ? ctx.upstreams.http2(endpoint, request) : ctx.upstreams.http1(endpoint, request);
  };
  const result = await ctx.executeRequest({ route, cluster, replayable: body.replayable, attempt, signal: downstream.signal });
  record.attempts = result.attempts;
  if (result.endpoint !== undefined) {
    record.upstreamHost = result.endpoint.key;
    record.upstreamPrincipal = ctx.upstreams.peerIdentity(result.endpoint);
  }
  if (result.kind === 'local') {
    local({ status: result.status, body: result.body, flags: result.flags }, result.flags === 'UT' ? 'upstream_response_timeout' : 'upstream_reset_before_response_started');
    return;
  }
  const responseHeaders = forwardable(result.headers);
  for (const [name, value] of decision.downstreamHeaders) setHeader(responseHeaders, name, value);
  route.editResponseHeaders(responseHeaders, clusterName);
  record.responseCode = result.status;
  record.grpcStatus = getHeader(result.headers, 'grpc-status') ?? '';
  if (res.destroyed) {
    result.body.destroy();
    return;
  }
  (res as ServerResponse).writeHead(result.status, toObject(responseHeaders));
  await relayBody(result.body, res, protocol, (n) => (sentBytes += n), (status) => (record.grpcStatus = status), () => {
    if (record.responseFlags === '-') record.responseFlags = 'UPE';
  });
}

/** Streams the upstream body to the client with backpressure; HTTP/2 trailers follow the body. */
function relayBody(body: Readable, res: DownstreamResponse, protocol: RequestInfo['protocol'], sent: (bytes: number) => void, grpcStatus: (status: string) => void, failed: () => void): Promise<void> {
  return new Promise((resolve) => {
    const writable = res as ServerResponse;
    const onDrain = (): void => {
      body.resume();
    };
    writable.on('drain', onDrain);
    body.on('data', (chunk: Buffer) => {
      if (res.destroyed) return;
      sent(chunk.length);
      if (!writable.write(chunk)) body.pause();
    });
    body.once('end', () => {
      writable.off('drain', onDrain);
      try {
        const trailers = forwardable(responseTrailers(body));
        const status = trailers.find(([n]) => n === 'grpc-status')?.[1];
        if (status !== undefined) grpcStatus(status);
        if (protocol === 'HTTP/2' && trailers.length > 0) (res as Http2ServerResponse).addTrailers(toObject(trailers) as unknown as Record<string, string>);
        res.end();
      } catch {
        // Trailers the client side cannot carry: the stream is reset rather than the process hurt.
        failed();
        res.destroy();
      }
      resolve();
    });
    body.once('error', () => {
      failed();
      res.destroy();
      resolve();
    });
    res.once('close', () => {
      if (!body.readableEnded) body.destroy();
      resolve();
    });
  });
}
