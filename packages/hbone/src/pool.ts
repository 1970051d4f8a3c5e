// The HBONE client: a pool of HTTP/2-over-mTLS sessions keyed by (source identity, destination
// identities, source IP, destination IP). A session carries up to maxStreamsPerConnection CONNECT
// streams; when every session of a key is full a new one is opened. Streams are reserved
// synchronously, so concurrent first connects to one key share one handshake. The server's chain
// is checked by verifyPeerChain and its SPIFFE ID must be one of the destination identities before
// any request is sent.
import http2, { constants as h2, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { AmbitError, errorMessage, silentLogger, type Logger } from '@ambit/core';
import { parseAuthority } from './authority.ts';
import { prepareCredentials, type HboneCredentials, type PreparedCredentials } from './credentials.ts';
import { CODES, hboneError, HboneRefusedError, quote } from './errors.ts';
import { checkHeaderValue, type ConnectHeaders } from './headers.ts';
import { sharedPeerVerifier } from './peer-verifier.ts';
import {
  CLIENT_SETTINGS,
  CONNECTION_WINDOW,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  MAX_SESSION_MEMORY_MB,
} from './settings.ts';

export interface PoolKey {
  sourceIdentity: string;
  /** The server must present one of these SPIFFE IDs (workload plus service SANs). */
  destinationIdentities: string[];
  sourceIp: string;
  destinationIp: string;
}

export interface HboneConnectOptions {
  key: PoolKey;
  /** Opens the TCP connection to the destination's HBONE port (ztunnel: inside the pod netns, with SO_MARK). */
  dial: () => Promise<Socket>;
  credentials: HboneCredentials;
  /** The inner target, `ip:port` or `[v6]:port`. */
  authority: string;
  headers?: ConnectHeaders;
  /** Bound for the whole call (session set-up if needed, then the CONNECT response). Default: the pool's connectTimeoutMs. */
  timeoutMs?: number;
}

export interface HboneStreamInfo {
  /** The server's verified SPIFFE ID. */
  peerIdentity: string;
  /** Response headers of the 200 (ztunnel's response baggage, if any). */
  responseHeaders: IncomingHttpHeaders;
  /** Pool-wide id of the session carrying the stream. */
  sessionId: number;
}

/** The tunnel: an HTTP/2 CONNECT stream (a Duplex with half-close) after a 200 response. */
export type HboneStream = ClientHttp2Stream & { readonly hbone: HboneStreamInfo };

export interface HbonePoolOptions {
  logger?: Logger;
  maxStreamsPerConnection?: number;
  pingIntervalMs?: number;
  /** How long a ping may stay unanswered before the session is dropped; default min(10 s, pingIntervalMs). */
  pingTimeoutMs?: number;
  /** A session without streams for this long is closed; default 5 min. */
  idleTimeoutMs?: number;
  /** Default for connect()'s timeoutMs, and the bound on one session set-up (dial + TLS + check); default 10 s. */
  connectTimeoutMs?: number;
}

export interface PoolSessionStats {
  id: number;
  state: SessionEntry['state'];
  streams: number;
  peerIdentity: string | undefined;
}

export interface PoolStats {
  /** Pool key (`source|destinations|sourceIp|destinationIp`) to its sessions. */
  keys: Record<string, PoolSessionStats[]>;
  sessions: number;
  streams: number;
  /** Sessions opened since the pool was created (handshakes). */
  sessionsOpened: number;
}

interface SessionEntry {
  id: number;
  key: string;
  state: 'connecting' | 'ready' | 'draining' | 'closed';
  ready: Promise<ClientHttp2Session>;
  session: ClientHttp2Session | undefined;
  peerIdentity: string | undefined;
  /** Reserved plus open streams. */
  streams: number;
  fingerprint: string;
  idleTimer: NodeJS.Timeout | undefined;
  pingTimer: NodeJS.Timeout | undefined;
  /** While connecting: destroys whatever the set-up has opened so far. */
  cancel: (() => void) | undefined;
}

export function poolKeyString(key: PoolKey): string {
  const ids = key.destinationIdentities;
  // One identity (a pod without service SANs) is the common case: no copy and sort per connect.
  const destinations = ids.length === 1 ? ids[0] : [...ids].sort().join(',');
  return `${key.sourceIdentity}|${destinations}|${key.sourceIp}|${key.destinationIp}`;
}

function tlsCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'ECONNRESET' || code === 'EPIPE');
}

export class HbonePool {
  readonly #logger: Logger;
  readonly #maxStreams: number;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #verifier = sharedPeerVerifier;
  readonly #byKey = new Map<string, SessionEntry[]>();
  /** Every live entry, including draining ones no longer listed under their key. */
  readonly #entries = new Set<SessionEntry>();
  #nextId = 1;
  #opened = 0;
  #closed = false;

  constructor(options: HbonePoolOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
    this.#maxStreams = options.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION;
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? Math.min(DEFAULT_PING_TIMEOUT_MS, this.#pingIntervalMs);
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!Number.isInteger(this.#maxStreams) || this.#maxStreams < 1) throw new RangeError('maxStreamsPerConnection must be a positive integer');
  }

  /** Opens a CONNECT stream to `authority`; resolves after the server's 200. */
  async connect(options: HboneConnectOptions): Promise<HboneStream> {
    if (this.#closed) throw hboneError(CODES.poolClosed, 'the HBONE pool is closed');
    const target = parseAuthority(options.authority);
    if (!target.ok) throw hboneError(CODES.badAuthority, `bad HBONE authority: ${target.reason}`);
    const headers: OutgoingHttpHeaders = { ':method': 'CONNECT', ':authority': options.authority };
    for (const name of ['baggage', 'forwarded', 'traceparent'] as const) {
      const value = options.headers?.[name];
      if (value !== undefined) headers[name] = checkHeaderValue(name, value);
    }
    if (!Array.isArray(options.key.destinationIdentities) || options.key.destinationIdentities.length === 0) {
      throw hboneError(CODES.identity, 'connect() needs at least one expected destination identity');
    }
    const credentials = prepareCredentials(options.credentials);
    const timeoutMs = options.timeoutMs ?? this.#connectTimeoutMs;
    const entry = this.#reserve(poolKeyString(options.key), credentials, options);
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        this.#release(entry);
      }
    };
    let stream: ClientHttp2Stream | undefined;
    // One timer bounds the whole call; whichever wait is pending when it fires is rejected.
    let onTimeout: ((error: Error) => void) | undefined;
    const timer = setTimeout(() => {
      onTimeout?.(hboneError(CODES.timeout, `HBONE connect to ${options.authority} via ${options.key.destinationIp} did not complete within ${timeoutMs}ms`));
    }, timeoutMs);
    try {
      // A ready session takes the stream at once: no promise hop per connection.
      const session =
        entry.state === 'ready' && entry.session && !entry.session.destroyed
          ? entry.session
          : await new Promise<ClientHttp2Session>((resolve, reject) => {
              onTimeout = reject;
              entry.ready.then(resolve, reject);
            });
      stream = session.request(headers, { endStream: false });
      stream.on('error', () => {});
      stream.once('close', release);
      const opened = stream;
      const responseHeaders = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        onTimeout = reject;
        const onClose = (): void => {
          reject(hboneError(CODES.stream, `the HBONE stream to ${options.authority} closed before a response (RST_STREAM code ${opened.rstCode ?? 'none'})`));
        };
        opened.once('close', onClose);
        opened.once('error', (error: Error) => {
          opened.off('close', onClose);
          reject(hboneError(tlsCode(error) ? CODES.tls : CODES.stream, `the HBONE stream to ${options.authority} failed: ${error.message}`, { cause: error }));
        });
        opened.once('response', (h) => {
          opened.off('close', onClose);
          resolve(h);
        });
      });
      const status = Number(responseHeaders[':status']);
      if (status !== 200) {
        opened.close(h2.NGHTTP2_CANCEL);
        throw new HboneRefusedError(status, options.authority, { details: { peer: entry.peerIdentity } });
      }
      const info: HboneStreamInfo = { peerIdentity: entry.peerIdentity ?? '', responseHeaders, sessionId: entry.id };
      Object.defineProperty(opened, 'hbone', { value: info, enumerable: false });
      return opened as HboneStream;
    } catch (error) {
      if (stream && !stream.destroyed) stream.close(h2.NGHTTP2_CANCEL);
      if (!stream) release();
      throw error instanceof AmbitError ? error : hboneError(CODES.stream, `HBONE connect to ${options.authority} failed: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  stats(): PoolStats {
    const keys: Record<string, PoolSessionStats[]> = {};
    let streams = 0;
    for (const entry of this.#entries) {
      (keys[entry.key] ??= []).push({ id: entry.id, state: entry.state, streams: entry.streams, peerIdentity: entry.peerIdentity });
      streams += entry.streams;
    }
    return { keys, sessions: this.#entries.size, streams, sessionsOpened: this.#opened };
  }

  /** Closes every session (open streams are reset) and refuses new connects. */
  async close(): Promise<void> {
    this.#closed = true;
    const waits: Promise<void>[] = [];
    for (const entry of [...this.#entries]) {
      const session = entry.session;
      if (session && !session.destroyed) {
        waits.push(new Promise((resolve) => session.once('close', () => resolve())));
        session.destroy();
      }
      entry.cancel?.();
      this.#drop(entry);
    }
    await Promise.all(waits);
  }

  #capacity(entry: SessionEntry): number {
    const remote = entry.session?.remoteSettings?.maxConcurrentStreams;
    return typeof remote === 'number' && remote > 0 ? Math.min(this.#maxStreams, remote) : this.#maxStreams;
  }

  #reserve(key: string, credentials: PreparedCredentials, options: HboneConnectOptions): SessionEntry {
    const list = this.#byKey.get(key);
    if (list) {
      for (const entry of list) {
        if ((entry.state === 'connecting' || entry.state === 'ready') && entry.fingerprint === credentials.fingerprint && entry.streams < this.#capacity(entry)) {
          entry.streams++;
          clearTimeout(entry.idleTimer);
          entry.idleTimer = undefined;
          return entry;
        }
      }
      // Sessions made with older credentials take no new streams: they drain and close.
      for (const entry of [...list]) if (entry.fingerprint !== credentials.fingerprint) this.#drain(entry);
    }
    const entry: SessionEntry = {
      id: this.#nextId++,
      key,
      state: 'connecting',
      ready: Promise.resolve(undefined as unknown as ClientHttp2Session),
      session: undefined,
      peerIdentity: undefined,
      streams: 1,
      fingerprint: credentials.fingerprint,
      idleTimer: undefined,
      pingTimer: undefined,
      cancel: undefined,
    };
    entry.ready = this.#open(entry, credentials, options);
    entry.ready.catch(() => {});
    const current = this.#byKey.get(key);
    if (current) current.push(entry);
    else this.#byKey.set(key, [entry]);
    this.#entries.add(entry);
    this.#opened++;
    return entry;
  }

  #release(entry: SessionEntry): void {
    entry.streams = Math.max(0, entry.streams - 1);
    this.#idleCheck(entry);
  }

  /** A session with no streams: close it if draining, else arm the idle timer. */
  #idleCheck(entry: SessionEntry): void {
    if (entry.streams > 0) return;
    if (entry.state === 'draining') {
      entry.session?.close();
      return;
    }
    if (entry.state === 'ready' && this.#idleTimeoutMs !== Infinity) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = setTimeout(() => {
        if (entry.streams === 0) {
          this.#logger.debug({ session: entry.id, key: entry.key }, 'HBONE session idle, closing');
          this.#drop(entry);
          entry.session?.close();
        }
      }, this.#idleTimeoutMs);
      entry.idleTimer.unref();
    }
  }

  /** No new streams; closes once the last stream is gone. */
  #drain(entry: SessionEntry): void {
    if (entry.state === 'closed' || entry.state === 'draining') return;
    entry.state = 'draining';
    this.#unlist(entry);
    if (entry.streams === 0) entry.session?.close();
  }

  #unlist(entry: SessionEntry): void {
    const list = this.#byKey.get(entry.key);
    if (!list) return;
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#byKey.delete(entry.key);
  }

  #drop(entry: SessionEntry): void {
    entry.state = 'closed';
    clearTimeout(entry.idleTimer);
    clearInterval(entry.pingTimer);
    this.#unlist(entry);
    this.#entries.delete(entry);
  }

  async #open(entry: SessionEntry, credentials: PreparedCredentials, options: HboneConnectOptions): Promise<ClientHttp2Session> {
    const where = options.key.destinationIp;
    let tcp: Socket | undefined;
    let secure: TLSSocket | undefined;
    let timer: NodeJS.Timeout | undefined;
    let session: ClientHttp2Session | undefined;
    entry.cancel = () => {
      session?.destroy();
      secure?.destroy();
      tcp?.destroy();
    };
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(hboneError(CODES.timeout, `HBONE session set-up to ${where} did not complete within ${this.#connectTimeoutMs}ms`)), this.#connectTimeoutMs);
      });
      const dialed = options.dial().then(
        (socket) => socket,
        (cause: unknown) => {
          throw hboneError(CODES.dial, `cannot open the TCP connection to ${where} for HBONE: ${errorMessage(cause)}`, { cause });
        },
      );
      dialed.then((s) => this.#closed && s.destroy(), () => {});
      tcp = await Promise.race([dialed, deadline]);
      tcp.setNoDelay(true);
      // The TLS socket inherits allowHalfOpen from the TCP socket; HTTP/2 needs none, and with it a
      // server's close would only end the readable side and leave the session waiting forever.
      tcp.allowHalfOpen = false;
      secure = tls.connect({
        socket: tcp,
        secureContext: credentials.context,
        ALPNProtocols: ['h2'],
        // No SNI (ztunnel sends none); the server is identified by its SPIFFE ID below.
        servername: '',
        rejectUnauthorized: false,
        // Host names mean nothing here: the SPIFFE ID is checked below.
        checkServerIdentity: () => undefined,
      });
      secure.on('error', () => {});
      const tlsSocket = secure;
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          tlsSocket.once('secureConnect', () => resolve());
          tlsSocket.once('error', (cause: Error) => reject(hboneError(CODES.tls, `TLS handshake with ${where} failed: ${cause.message}`, { cause })));
          tlsSocket.once('close', () => reject(hboneError(CODES.tls, `${where} closed the connection during the TLS handshake`)));
        }),
        deadline,
      ]);
      if (tlsSocket.alpnProtocol !== 'h2') throw hboneError(CODES.tls, `${where} did not negotiate ALPN h2 (got ${quote(String(tlsSocket.alpnProtocol))})`);
      if (!tlsSocket.authorized) {
        throw hboneError(CODES.identity, `the certificate of ${where} does not chain to the mesh roots: ${String(tlsSocket.authorizationError)}`, {
          hint: 'the server belongs to another mesh, or its root is not yet in our trust bundle',
        });
      }
      const check = await Promise.race([this.#verifier.verifySocket(tlsSocket, { bundle: options.credentials.trustBundle, purpose: 'server' }), deadline]);
      if (!check.ok) throw hboneError(CODES.identity, `the certificate of ${where} was refused: ${check.reason} [${check.code}]`);
      if (!options.key.destinationIdentities.includes(check.identity)) {
        throw hboneError(CODES.identity, `${where} presented ${check.identity}, expected ${options.key.destinationIdentities.join(' or ')}`, {
          hint: 'a stale workload address or impersonation: the peer at this IP is not the expected workload',
        });
      }
      entry.peerIdentity = check.identity;
      session = http2.connect(`https://${where.includes(':') ? `[${where}]` : where}`, {
        createConnection: () => tlsSocket,
        settings: CLIENT_SETTINGS,
        maxSessionMemory: MAX_SESSION_MEMORY_MB,
      });
      session.on('error', (error) => this.#logger.debug({ session: entry.id, err: error.message }, 'HBONE session error'));
      const h2session = session;
      tlsSocket.once('close', () => h2session.destroy());
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          h2session.once('connect', () => resolve());
          h2session.once('close', () => reject(hboneError(CODES.tls, `the HBONE session to ${where} closed while starting`)));
        }),
        deadline,
      ]);
      h2session.setLocalWindowSize(CONNECTION_WINDOW);
      if (entry.state === 'closed' || this.#closed) {
        throw hboneError(CODES.poolClosed, 'the HBONE pool was closed while the session was set up');
      }
      entry.session = h2session;
      if (entry.state === 'connecting') entry.state = 'ready';
      this.#watch(entry, h2session);
      // Every caller may have given up (timeout) while the session was set up.
      this.#idleCheck(entry);
      return h2session;
    } catch (error) {
      session?.destroy();
      secure?.destroy();
      tcp?.destroy();
      if (entry.state !== 'closed') this.#drop(entry);
      this.#logger.debug({ session: entry.id, key: entry.key, err: errorMessage(error) }, 'HBONE session set-up failed');
      throw error;
    } finally {
      clearTimeout(timer);
      entry.cancel = undefined;
    }
  }

  #watch(entry: SessionEntry, session: ClientHttp2Session): void {
    session.once('goaway', () => this.#drain(entry));
    session.once('close', () => this.#drop(entry));
    session.once('error', () => this.#drop(entry));
    if (entry.state === 'draining' && entry.streams === 0) session.close();
    if (this.#pingIntervalMs > 0 && this.#pingIntervalMs !== Infinity) {
      let waiting = false;
      entry.pingTimer = setInterval(() => {
        if (waiting || session.destroyed) return;
        waiting = true;
        const deadline = setTimeout(() => {
          this.#logger.warn({ session: entry.id, key: entry.key }, `HBONE session did not answer a ping within ${this.#pingTimeoutMs}ms; dropping it`);
          this.#drop(entry);
          session.destroy(hboneError(CODES.keepalive, `the HBONE peer did not answer a ping within ${this.#pingTimeoutMs}ms`));
        }, this.#pingTimeoutMs);
        deadline.unref();
        const sent = session.ping((error) => {
          waiting = false;
          clearTimeout(deadline);
          if (error && !session.destroyed) this.#drop(entry);
        });
        if (!sent) {
          waiting = false;
          clearTimeout(deadline);
        }
      }, this.#pingIntervalMs);
      entry.pingTimer.unref();
    }
  }
}
