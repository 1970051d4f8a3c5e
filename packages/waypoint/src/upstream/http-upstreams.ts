// HTTP to endpoints: an undici Pool per endpoint for HTTP/1.1 and one cached HTTP/2 session per
// endpoint for HTTP/2 (gRPC), each connection opened by the Dialer (HBONE or TCP). One send()
// is one attempt: it resolves at response headers with an AttemptOutcome (contracts.ts), never
// rejects, and classifies failures the way retries and outlier detection need them.
import http2, { constants as h2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { errorMessage, isAmbitError, type Logger } from '@ambit/core';
import type { AttemptOutcome, Endpoint, HeaderList } from '../contracts.ts';
import type { Dialer } from './dialer.ts';

export interface UpstreamRequest {
  method: string;
  /** Path with the query. */
  path: string;
  authority: string;
  /** Lower-case names, hop-by-hop headers already removed, no pseudo-headers. */
  headers: HeaderList;
  /** A buffered body (replayable) or a stream (one attempt only); undefined = no body. */
  body: Buffer | Readable | undefined;
  connectTimeoutMs: number;
  signal: AbortSignal;
}

/** Trailers of an HTTP/2 response body, once it has ended (gRPC status lives there). */
const trailersOf = new WeakMap<Readable, () => HeaderList>();

export function responseTrailers(body: Readable): HeaderList {
  return trailersOf.get(body)?.() ?? [];
}

function headerList(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): HeaderList {
  const out: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name.toLowerCase(), String(v)]);
  }
  return out;
}

function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.key}|${endpoint.hbone?.identity ?? 'tcp'}`;
}

/** Failures while the connection was being opened are connect failures (Envoy's UF). */
class ConnectFailure extends Error {}

function failure(error: unknown, signal: AbortSignal): AttemptOutcome {
  const cause = error instanceof Error ? error : new Error(errorMessage(error));
  if (signal.aborted) return { kind: 'timeout', error: cause };
  if (error instanceof ConnectFailure || (isAmbitError(error) && /^AMBIT_(HBONE|WAYPOINT_UPSTREAM)/.test(error.code))) return { kind: 'connect-failure', error: cause };
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNREFUSED') return { kind: 'connect-failure', error: cause };
  return { kind: 'reset', error: cause };
}

export class HttpUpstreams {
  readonly #dialer: Dialer;
  readonly #logger: Logger;
  readonly #pools = new Map<string, { pool: Pool }>();
  readonly #sessions = new Map<string, Promise<{ session: ClientHttp2Session; peerIdentity: string | undefined }>>();
  /** The verified identity each endpoint presented (for destination_principal). */
  readonly #peers = new Map<string, string | undefined>();

  constructor(dialer: Dialer, logger: Logger) {
    this.#dialer = dialer;
    this.#logger = logger;
  }

  /** The identity the endpoint presented on its last connection (undefined for TCP or unknown). */
  peerIdentity(endpoint: Endpoint): string | undefined {
    return this.#peers.get(endpointKey(endpoint)) ?? endpoint.hbone?.identity;
  }

  async http1(endpoint: Endpoint, request: UpstreamRequest): Promise<AttemptOutcome> {
    const key = endpointKey(endpoint);
    let entry = this.#pools.get(key);
    if (entry === undefined) {
      const pool = new Pool(`http://${endpoint.ip.includes(':') ? `[${endpoint.ip}]` : endpoint.ip}:${endpoint.port}`, {
        connections: 256,
        keepAliveTimeout: 30_000,
        connect: (_options, callback) => {
          this.#dialer.dial(endpoint, request.connectTimeoutMs).then(
            (dialed) => {
              this.#peers.set(key, dialed.peerIdentity);
              // undici reads and writes the stream as it would a socket.
              callback(null, dialed.stream as unknown as Socket);
            },
            (error: unknown) => callback(new ConnectFailure(errorMessage(error), { cause: error }), null),
          );
        },
      });
      pool.on('connectionError', () => {});
      entry = { pool };
      this.#pools.set(key, entry);
    }
    const headers: string[] = [];
    for (const [name, value] of request.headers) headers.push(name, value);
    headers.push('host', request.authority);
    try {
      const response = await entry.pool.request({
        method: request.method as 'GET',
        path: request.path,
        headers,
        body: request.body ?? null,
        signal: request.signal,
        // The route's timeouts are enforced by executeRequest through the signal.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const body = response.body as unknown as Readable;
      // A body the executor discards (retry, timeout) errors when its signal aborts; whoever
      // consumes it listens too, but an unheard 'error' must never reach the process.
      body.on('error', () => {});
      trailersOf.set(body, () => headerList(response.trailers));
      return { kind: 'response', status: response.statusCode, headers: headerList(response.headers), body };
    } catch (error) {
      return failure(unwrapConnect(error), request.signal);
    }
  }

  async http2(endpoint: Endpoint, request: UpstreamRequest): Promise<AttemptOutcome> {
    let session: ClientHttp2Session;
    try {
      session = (await this.#session(endpoint, request.connectTimeoutMs)).session;
    } catch (error) {
      return failure(new ConnectFailure(errorMessage(error), { cause: error }), request.signal);
    }
    return new Promise<AttemptOutcome>((resolve) => {
      const outgoing: http2.OutgoingHttpHeaders = { ':method': request.method, ':path': request.path, ':authority': request.authority, ':scheme': 'http' };
      for (const [name, value] of request.headers) {
        const existing = outgoing[name];
        outgoing[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [String(existing), value];
      }
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(outgoing, { endStream: request.body === undefined, signal: request.signal });
      } catch (error) {
        resolve(failure(error, request.signal));
        return;
      }
      let trailers: HeaderList = [];
      stream.on('trailers', (t) => (trailers = headerList(t)));
      stream.once('response', (headers) => {
        trailersOf.set(stream, () => trailers);
        resolve({ kind: 'response', status: Number(headers[':status']), headers: headerList(headers), body: stream });
      });
      stream.on('error', (error) => resolve(failure(error, request.signal)));
      stream.once('close', () => {
        if (stream.rstCode === h2.NGHTTP2_REFUSED_STREAM) resolve({ kind: 'refused-stream', error: new Error(`${endpoint.key} refused the stream`) });
        else resolve(failure(new Error(`the HTTP/2 stream to ${endpoint.key} closed before a response (code ${stream.rstCode ?? 'none'})`), request.signal));
      });
      if (Buffer.isBuffer(request.body)) stream.end(request.body);
      else if (request.body !== undefined) {
        request.body.on('error', (error) => stream.destroy(error));
        request.body.pipe(stream);
      }
    });
  }

  #session(endpoint: Endpoint, connectTimeoutMs: number): Promise<{ session: ClientHttp2Session; peerIdentity: string | undefined }> {
    const key = endpointKey(endpoint);
    let pending = this.#sessions.get(key);
    if (pending !== undefined) return pending;
    pending = this.#dialer.dial(endpoint, connectTimeoutMs).then((dialed) => {
      this.#peers.set(key, dialed.peerIdentity);
      const session = http2.connect(`http://${endpoint.ip.includes(':') ? `[${endpoint.ip}]` : endpoint.ip}:${endpoint.port}`, { createConnection: () => dialed.stream });
      session.on('error', (error) => this.#logger.debug({ endpoint: endpoint.key, err: error.message }, 'upstream HTTP/2 session error'));
      const forget = (): void => {
        if (this.#sessions.get(key) === pending) this.#sessions.delete(key);
      };
      session.once('close', forget);
      session.once('goaway', forget);
      return { session, peerIdentity: dialed.peerIdentity };
    });
    pending.catch(() => {
      if (this.#sessions.get(key) === pending) this.#sessions.delete(key);
    });
    this.#sessions.set(key, pending);
    return pending;
  }

  /** Closes connections to endpoints (`ip:port` keys) no assignment holds any more; requests in flight finish. */
  retain(keep: ReadonlySet<string>): void {
    const gone = (key: string): boolean => !keep.has(key.slice(0, key.lastIndexOf('|')));
    for (const [key, entry] of this.#pools) {
      if (!gone(key)) continue;
      this.#pools.delete(key);
      this.#peers.delete(key);
      void entry.pool.close().catch(() => {});
    }
    for (const [key, pending] of this.#sessions) {
      if (!gone(key)) continue;
      this.#sessions.delete(key);
      this.#peers.delete(key);
      void pending.then((s) => s.session.close(), () => {});
    }
  }

  stats(): { http1Pools: number; http2Sessions: number } {
    return { http1Pools: this.#pools.size, http2Sessions: this.#sessions.size };
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()].map((e) => e.pool.destroy().catch(() => {}));
    this.#pools.clear();
    const sessions = [...this.#sessions.values()].map((p) => p.then((s) => s.session.destroy(), () => {}));
    this.#sessions.clear();
    await Promise.all([...pools, ...sessions]);
  }
}

/** undici wraps connector errors in its own; keep ours visible for classification. */
function unwrapConnect(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof ConnectFailure) return current;
    current = current.cause;
  }
  return error;
}
