// The HBONE server: HTTP/2 over mutual TLS 1.3, one CONNECT stream per tunnelled TCP connection.
// Every client chain is checked twice: by OpenSSL during the handshake (rejectUnauthorized, mesh
// roots as CA) and then by @ambit/spiffe's verifyPeerChain (one SPIFFE URI SAN in our trust
// domain). Streams wait for the second check before they reach onConnect; a session that fails
// it is destroyed. Nothing a client sends can throw out of a handler.
import http2, { constants as h2, type Http2SecureServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { errorMessage, silentLogger, type Logger } from '@ambit/core';
import { parseAuthority, type Authority } from './authority.ts';
import { prepareCredentials, TLS_VERSIONS, type HboneCredentials, type PreparedCredentials, secureContextOptions } from './credentials.ts';
import { headerText, type ConnectHeaders } from './headers.ts';
import { sharedPeerVerifier } from './peer-verifier.ts';
import { relay } from './relay.ts';
import { CONNECTION_WINDOW, DEFAULT_HANDSHAKE_TIMEOUT_MS, MAX_SESSION_MEMORY_MB, SERVER_SETTINGS } from './settings.ts';

export interface ConnectRequest {
  /** The `:authority` exactly as sent. */
  authority: string;
  target: Authority;
  headers: ConnectHeaders;
  /** Where the HBONE connection arrived (the pod IP in in-pod mode): ztunnel answers 400 when target.ip differs and it is not a waypoint. */
  localAddress: string;
  localPort: number;
  streamId: number;
  /** Aborted when the client cancels the stream (or the server closes) before onConnect settles. */
  signal: AbortSignal;
}

export interface PeerInfo {
  /** The client's SPIFFE ID, verified. */
  identity: string;
  address: string;
  port: number;
}

export type ConnectResult = { status: 200; upstream: Duplex } | { status: 400 | 401 | 503; reason: string };

export interface StreamClosedInfo {
  streamId: number;
  peer: PeerInfo;
  authority: string;
  target: Authority | undefined;
  headers: ConnectHeaders;
  /** The status sent to the client (400 for unparsable requests, 503 when onConnect failed). */
  status: number;
  /** onConnect's reason for a refusal, or what went wrong. */
  reason: string | undefined;
  /** Bytes from the client to the upstream, and back. */
  bytesFromClient: number;
  bytesToClient: number;
  startedAt: Date;
  durationMs: number;
  /** The first error on either side of the pipe, if any. */
  error: Error | undefined;
  /** Which side failed first: the HBONE stream (`client`) or the upstream. */
  failedSide: 'client' | 'upstream' | undefined;
}

export interface HboneServerOptions {
  credentials: HboneCredentials;
  onConnect: (request: ConnectRequest, peer: PeerInfo) => Promise<ConnectResult>;
  onStreamClosed?: (info: StreamClosedInfo) => void;
  logger?: Logger;
  /** TLS handshake deadline per connection; default 10 s. */
  handshakeTimeoutMs?: number;
  /** Deadline for onConnect; past it the client gets 503 (and a late upstream is destroyed). Default 10 s. */
  connectTimeoutMs?: number;
}

export interface HboneServerStats {
  sessions: number;
  streams: number;
  /** Connections refused, by reason code (OpenSSL verify codes, AMBIT_SPIFFE_* codes, `ALPN`, `TLS`). */
  rejectedConnections: Record<string, number>;
  /** CONNECT streams answered, by status. */
  responses: Record<string, number>;
}

interface SessionState {
  peer: Promise<PeerInfo | undefined>;
  streams: number;
}

const MAX_REJECT_REASONS = 64;
/** Placeholder until a stream's start time is known (set when it closes). */
const EPOCH = new Date(0);

export class HboneServer {
  readonly server: Http2SecureServer;
  readonly #logger: Logger;
  readonly #options: HboneServerOptions;
  readonly #verifier = sharedPeerVerifier;
  readonly #sessions = new Map<Http2Session, SessionState>();
  readonly #rejected: Record<string, number> = Object.create(null) as Record<string, number>;
  readonly #responses: Record<string, number> = Object.create(null) as Record<string, number>;
  #credentials: PreparedCredentials;
  #streams = 0;
  #closing = false;

  constructor(options: HboneServerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#credentials = prepareCredentials(options.credentials);
    this.server = http2.createSecureServer({
      ...secureContextOptions(options.credentials),
      ...TLS_VERSIONS,
      ALPNProtocols: ['h2'],
      allowHTTP1: false,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      settings: SERVER_SETTINGS,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      noDelay: true,
    });
    this.server.on('session', (session) => this.#onSession(session));
    this.server.on('stream', (stream, headers) => this.#onStream(stream, headers));
    // A chain OpenSSL refused is destroyed by node right after the handshake; the verify code is on the socket.
    this.server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      const verify = socket?.authorizationError;
      const reason = typeof verify === 'string' ? verify : verify instanceof Error ? ((verify as Error & { code?: string }).code ?? 'TLS') : (error.code ?? 'TLS');
      this.#reject(reason, verify ? `client certificate refused by OpenSSL: ${String(verify)}` : error.message, socket?.remoteAddress);
    });
    this.server.on('unknownProtocol', (socket: TLSSocket) => {
      this.#reject('ALPN', `the client did not negotiate h2 (ALPN ${String(socket.alpnProtocol)})`, socket.remoteAddress);
      socket.destroy();
    });
    this.server.on('sessionError', () => {});
    this.server.on('error', (error) => this.#logger.error({ err: errorMessage(error) }, 'HBONE server error'));
  }

  /** Our own SPIFFE ID (from the current certificate). */
  get identity(): string {
    return this.#credentials.identity;
  }

  /** Listens on a port or an inherited fd (a socket opened inside a pod's netns). */
  listen(options: ListenOptions): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(options, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * New key, chain and/or roots for connections accepted from now on (renewal, root rotation);
   * open sessions keep what they negotiated. One secure context per call. Throws AMBIT_HBONE_CREDENTIALS.
   */
  setCredentials(credentials: HboneCredentials): void {
    const next = prepareCredentials(credentials);
    this.server.setSecureContext({ ...secureContextOptions(credentials), ...TLS_VERSIONS });
    if (next.trustDomain !== this.#credentials.trustDomain) {
      this.#logger.warn({ from: this.#credentials.trustDomain, to: next.trustDomain }, 'HBONE server trust domain changed');
    }
    this.#credentials = next;
  }

  stats(): HboneServerStats {
    return { sessions: this.#sessions.size, streams: this.#streams, rejectedConnections: { ...this.#rejected }, responses: { ...this.#responses } };
  }

  /**
   * Stops accepting, sends GOAWAY to every session so open streams can finish, and destroys what
   * is still open after drainMs (SIGTERM drain).
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.#sessions.keys()) {
      if (!session.closed && !session.destroyed) session.close();
    }
    const drainMs = options.drainMs ?? 0;
    if (this.#sessions.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.#sessions.size === 0) resolve();
        };
        for (const session of this.#sessions.keys()) session.once('close', () => setImmediate(check));
        timer = setTimeout(resolve, drainMs);
      });
      await drained;
      clearTimeout(timer);
      for (const session of this.#sessions.keys()) session.destroy();
    }
    await closed;
  }

  #reject(reason: string, message: string, address: string | undefined): void {
    const key = reason in this.#rejected || Object.keys(this.#rejected).length < MAX_REJECT_REASONS ? reason : 'OTHER';
    this.#rejected[key] = (this.#rejected[key] ?? 0) + 1;
    this.#logger.warn({ reason, peer: address }, `HBONE connection refused: ${message}`);
  }

  #onSession(session: Http2Session): void {
    try {
      session.on('error', () => {});
      session.setLocalWindowSize(CONNECTION_WINDOW);
      const socket = session.socket as TLSSocket;
      const address = socket.remoteAddress ?? '';
      const port = socket.remotePort ?? 0;
      const credentials = this.#credentials;
      const peer = this.#verifier.verifySocket(socket, { bundle: credentials.credentials.trustBundle, trustDomain: credentials.trustDomain, purpose: 'client' }).then(
        (check): PeerInfo | undefined => {
          if (check.ok) return { identity: check.identity, address, port };
          this.#reject(check.code, check.reason, address);
          session.destroy();
          return undefined;
        },
        (error: unknown): undefined => {
          this.#reject('VERIFY', errorMessage(error), address);
          session.destroy();
          return undefined;
        },
      );
      this.#sessions.set(session, { peer, streams: 0 });
      session.once('close', () => this.#sessions.delete(session));
      if (this.#closing) session.close();
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, 'HBONE session setup failed');
      session.destroy();
    }
  }

  #count(status: number): void {
    this.#responses[status] = (this.#responses[status] ?? 0) + 1;
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => {});
    this.#handleStream(stream, headers).catch((error: unknown) => {
      this.#logger.error({ err: errorMessage(error) }, 'HBONE stream handler failed');
      if (!stream.destroyed) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
    });
  }

  async #handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const started = performance.now();
    const state = this.#sessions.get(stream.session as Http2Session);
    if (!state) {
      stream.close(h2.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const authority = typeof headers[':authority'] === 'string' ? headers[':authority'] : '';
    const connectHeaders: ConnectHeaders = {};
    for (const name of ['baggage', 'forwarded', 'traceparent'] as const) {
      const value = headerText(headers[name]);
      if (value !== undefined) connectHeaders[name] = value;
    }
    const peer = await state.peer;
    if (!peer || stream.destroyed) {
      if (!stream.destroyed) stream.close(h2.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const info: StreamClosedInfo = {
      streamId: stream.id ?? 0,
      peer,
      authority,
      target: undefined,
      headers: connectHeaders,
      status: 400,
      reason: undefined,
      bytesFromClient: 0,
      bytesToClient: 0,
      startedAt: EPOCH,
      durationMs: 0,
      error: undefined,
      failedSide: undefined,
    };
    const finish = (): void => {
      info.durationMs = performance.now() - started;
      // Taken at the end, from the duration: one Date per stream, none on the accept path.
      info.startedAt = new Date(Date.now() - info.durationMs);
      this.#count(info.status);
      if (this.#options.onStreamClosed) {
        try {
          this.#options.onStreamClosed(info);
        } catch (error) {
          this.#logger.error({ err: errorMessage(error) }, 'onStreamClosed threw');
        }
      }
    };
    const refuse = (status: number, reason: string): void => {
      info.status = status;
      info.reason = reason;
      if (!stream.destroyed && !stream.headersSent) {
        try {
          stream.respond({ ':status': status }, { endStream: true });
        } catch {
          stream.close(h2.NGHTTP2_INTERNAL_ERROR);
        }
      }
      finish();
    };
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== undefined) {
      refuse(400, `method ${String(headers[':method']).slice(0, 16)} is not CONNECT`);
      return;
    }
    const target = parseAuthority(authority);
    if (!target.ok) {
      refuse(400, target.reason);
      return;
    }
    info.target = { ip: target.ip, port: target.port, family: target.family };
    const socket = (stream.session as Http2Session).socket as Socket;
    // The signal is made only if onConnect reads it (an AbortController per stream showed in the
    // connection-rate profile); a stream that closed before the answer aborts it at once.
    let abort: AbortController | undefined;
    let closedEarly = false;
    const onAbort = (): void => {
      closedEarly = true;
      abort?.abort();
    };
    stream.once('close', onAbort);
    state.streams++;
    this.#streams++;
    stream.once('close', () => {
      state.streams--;
      this.#streams--;
    });
    let result: ConnectResult | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
      const pending = this.#options.onConnect(
        {
          authority,
          target: info.target,
          headers: connectHeaders,
          localAddress: socket.localAddress ?? '',
          localPort: socket.localPort ?? 0,
          streamId: info.streamId,
          get signal(): AbortSignal {
            if (!abort) {
              abort = new AbortController();
              if (closedEarly) abort.abort();
            }
            return abort.signal;
          },
        },
        peer,
      );
      // An upstream that arrives after the deadline is closed here (the one we take is closed by the relay).
      pending.then(
        (late) => {
          if (late?.status === 200) setImmediate(() => result !== late && late.upstream?.destroy());
        },
        () => {},
      );
      const timeout = new Promise<ConnectResult>((resolve) => {
        timer = setTimeout(() => resolve({ status: 503, reason: `onConnect did not answer within ${timeoutMs}ms` }), timeoutMs);
      });
      result = await Promise.race([pending, timeout]);
    } catch (error) {
      result = { status: 503, reason: `onConnect failed: ${errorMessage(error)}` };
    } finally {
      clearTimeout(timer);
    }
    if (result?.status === 200 && (typeof result.upstream !== 'object' || result.upstream === null)) {
      result = { status: 503, reason: 'onConnect returned status 200 without an upstream' };
    }
    if (result?.status !== 200) {
      refuse(result?.status === 400 || result?.status === 401 ? result.status : 503, result?.reason ?? 'onConnect returned no result');
      return;
    }
    const upstream = result.upstream;
    info.status = 200;
    if (stream.destroyed || stream.closed) {
      upstream.destroy();
      info.reason = 'the client left before the upstream was ready';
      finish();
      return;
    }
    stream.off('close', onAbort);
    try {
      stream.respond({ ':status': 200 });
    } catch (error) {
      upstream.destroy();
      info.reason = `cannot send the 200 response: ${errorMessage(error)}`;
      finish();
      return;
    }
    relay(stream, upstream, (r) => {
      info.bytesFromClient = r.bytesAToB;
      info.bytesToClient = r.bytesBToA;
      info.error = r.error;
      info.failedSide = r.failedSide === 'a' ? 'client' : r.failedSide === 'b' ? 'upstream' : undefined;
      finish();
    });
  }
}

export function createHboneServer(options: HboneServerOptions): HboneServer {
  return new HboneServer(options);
}
