// One DeltaAggregatedResources stream: its client, its per-type subscriptions and its outbound
// queue. The queue is not a list of messages but the set of changed names per type
// (TypeSubscription), evaluated against the source when the stream can take a write: several
// versions of one resource coalesce into the latest, and a slow reader costs memory bounded by the
// number of names, never by the number of pushes. Writes respect the stream's backpressure
// (write() === false -> wait for 'drain'); a stream that does not drain within drainTimeoutMs is
// closed (and its HTTP/2 stream reset) with a log line.
import * as grpc from '@grpc/grpc-js';
import { constants as http2 } from 'node:http2';
import { errorMessage, type Logger } from '@ambit/core';
import { XDS_SERVER_ERROR_CODES, XdsStreamError } from './errors.ts';
import type { XdsMetrics } from './metrics.ts';
import { metricType } from './metrics.ts';
import { rejectedNames } from './nack.ts';
import { parseDeltaRequest, type DeltaRequest } from './request.ts';
import { TypeSubscription } from './subscription.ts';
import type { AuthenticatedPeer, ClientInfo, NackStatus, ResourceSource, TypeStatus, XdsServerCallbacks } from './types.ts';
import { encodeDeltaResponse, encodeResource } from './wire.ts';

/** Outstanding (un-ACKed) nonces remembered per type; older ones are forgotten. */
const MAX_OUTSTANDING = 64;

export interface ConnectionContext {
  source: ResourceSource;
  logger: Logger;
  metrics: XdsMetrics;
  callbacks: XdsServerCallbacks | undefined;
  drainTimeoutMs: number;
  nextNonce(): string;
  /** system_version_info of responses: the server's current push version. */
  version(): string;
  /** The first valid request arrived: register the connection, return its id. */
  opened(connection: Connection): string;
  /** Ask for flush() in the push queue. */
  schedule(connection: Connection): void;
  closed(connection: Connection, reason: string): void;
}

class TypeState {
  readonly subscription: TypeSubscription;
  lastSentVersion: string | undefined;
  lastSentNonce: string | undefined;
  lastSentAt: number | undefined;
  lastAckedNonce: string | undefined;
  lastAckedAt: number | undefined;
  lastNack: NackStatus | undefined;
  /** nonce -> Date.now() when sent, for responses not yet ACKed or NACKed. */
  readonly outstanding = new Map<string, number>();
  sourceFailed = false;

  constructor(typeUrl: string) {
    this.subscription = new TypeSubscription(typeUrl);
  }
}

/** The ServerDuplexStream surface the connection uses (grpc-js's, typed as unknown messages). */
export type AdsCall = grpc.ServerDuplexStream<unknown, unknown>;

export class Connection {
  readonly call: AdsCall;
  readonly peer: string;
  readonly connectedAt = new Date();
  readonly authenticated: AuthenticatedPeer | undefined;
  id = '';
  client: ClientInfo | undefined;
  metricVersion = 'unknown';
  private readonly context: ConnectionContext;
  private readonly types = new Map<string, TypeState>();
  private blocked = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** performance.now() of the oldest change not yet written (pilot_proxy_convergence_time). */
  private changeSince: number | undefined;

  constructor(call: AdsCall, context: ConnectionContext, authenticated: AuthenticatedPeer | undefined) {
    this.call = call;
    this.context = context;
    this.peer = call.getPeer();
    this.authenticated = authenticated;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Wires the stream's events; messages start flowing only now (after authentication). */
  start(): void {
    this.call.on('data', (message: unknown) => this.onMessage(message));
    this.call.on('end', () => {
      // The client half-closed: finish our side with OK (ztunnel reconnects at once).
      this.close('client closed the stream', { end: true });
    });
    this.call.on('cancelled', () => this.close('stream cancelled by the client'));
    this.call.on('error', (error: unknown) => this.close(`stream error: ${errorMessage(error)}`));
  }

  private onMessage(message: unknown): void {
    if (this.isClosed) return;
    try {
      const request = parseDeltaRequest(message, this.client === undefined);
      if (this.client === undefined) this.identify(request);
      this.handle(request);
    } catch (error) {
      this.fail(error);
    }
  }

  private identify(request: DeltaRequest): void {
    const node = request.node;
    if (node === undefined) return; // parseDeltaRequest guarantees it on the first request
    const claimedNode = node.metadata['NODE_NAME'];
    if (this.authenticated?.node !== undefined && typeof claimedNode === 'string' && claimedNode !== '' && claimedNode !== this.authenticated.node) {
      throw new XdsStreamError(
        XDS_SERVER_ERROR_CODES.NODE_MISMATCH,
        grpc.status.PERMISSION_DENIED,
        `the credential is bound to node ${JSON.stringify(this.authenticated.node)} but the client claims NODE_NAME ${JSON.stringify(claimedNode)}`,
        { hint: "a node credential serves only that node's proxies" },
      );
    }
    this.client = {
      id: node.id,
      cluster: node.cluster,
      metadata: node.metadata,
      peer: this.peer,
      ...(this.authenticated === undefined ? {} : { authenticated: this.authenticated }),
    };
    this.metricVersion = this.context.metrics.versionLabel(node.metadata);
    this.id = this.context.opened(this);
  }

  private handle(request: DeltaRequest): void {
    let state = this.types.get(request.typeUrl);
    if (state !== undefined && request.responseNonce !== '') this.acknowledge(state, request);
    if (state === undefined) {
      // First request of this type on this stream (a response_nonce from a previous stream is
      // meaningless here and ignored). Always answered, even for unknown types (empty response).
      state = new TypeState(request.typeUrl);
      this.types.set(request.typeUrl, state);
      state.subscription.open(request.subscribe, request.unsubscribe, request.initialResourceVersions);
    } else if (request.subscribe.length > 0 || request.unsubscribe.length > 0) {
      state.subscription.update(request.subscribe, request.unsubscribe);
    }
    if (state.subscription.hasWork()) this.context.schedule(this);
  }

  /** A request with response_nonce: an ACK, or a NACK when error_detail is set. */
  private acknowledge(state: TypeState, request: DeltaRequest): void {
    const typeUrl = request.typeUrl;
    const nonce = request.responseNonce;
    const known = state.outstanding.delete(nonce);
    const client = this.client as ClientInfo;
    if (request.errorDetail === undefined) {
      if (!known) {
        this.context.logger.debug({ connectionId: this.id, typeUrl, nonce }, 'ACK of an unknown or expired nonce');
        return;
      }
      state.lastAckedNonce = nonce;
      state.lastAckedAt = Date.now();
      this.callback('onAck', () => this.context.callbacks?.onAck?.(client, typeUrl, nonce));
      return;
    }
    // NACK (R8): record it; `held` keeps the rejected versions so they are not sent again, and the
    // next change of any resource is sent as usual. The last good state keeps serving in the client.
    const names = rejectedNames(typeUrl, request.errorDetail, (name) => state.subscription.held.has(name));
    const nack: NackStatus = { nonce, error: request.errorDetail.message, names, at: new Date().toISOString() };
    state.lastNack = nack;
    this.context.metrics.rejects.inc({ type: metricType(typeUrl) });
    this.context.logger.warn(
      { code: XDS_SERVER_ERROR_CODES.NACK, connectionId: this.id, node: client.id, typeUrl, nonce, names, error: truncate(nack.error, 1024) },
      'client rejected resources (NACK); the rejected versions are not sent again',
    );
    this.callback('onNack', () => this.context.callbacks?.onNack?.(client, typeUrl, nack));
  }

  /** Called by the server for each debounced batch. */
  markDirty(typeUrl: string, names: ReadonlySet<string>, since: number): boolean {
    const state = this.types.get(typeUrl);
    if (state === undefined || this.isClosed) return false;
    state.subscription.markDirty(names);
    if (this.changeSince === undefined || since < this.changeSince) this.changeSince = since;
    return state.subscription.hasWork();
  }

  /**
   * Writes one response per type with pending work, computed now (latest versions win), until the
   * stream pushes back. Called from the server's push queue, never re-entered.
   */
  flush(): void {
    if (this.isClosed || this.blocked || this.client === undefined) return;
    const client = this.client;
    const token: { convergedSince: number | undefined } = { convergedSince: undefined };
    let wrote = false;
    for (const [typeUrl, state] of this.types) {
      if (!state.subscription.hasWork()) continue;
      let snapshot;
      try {
        snapshot = this.context.source.snapshot(typeUrl, client);
        state.sourceFailed = false;
      } catch (error) {
        // The pending work stays; the next change of this type retries.
        if (!state.sourceFailed) {
          this.context.logger.error(
            { code: XDS_SERVER_ERROR_CODES.SOURCE_FAILED, connectionId: this.id, typeUrl, error: errorMessage(error) },
            'the resource source failed; responses of this type wait for its next change',
          );
        }
        state.sourceFailed = true;
        continue;
      }
      const started = performance.now();
      const computed = state.subscription.take(snapshot);
      if (computed === undefined) continue;
      const nonce = this.context.nextNonce();
      const version = this.context.version();
      const body = encodeDeltaResponse({
        systemVersionInfo: version,
        typeUrl,
        nonce,
        resources: computed.resources.map((r) => encodeResource(typeUrl, r)),
        removed: computed.removed,
      });
      const type = metricType(typeUrl);
      const metrics = this.context.metrics;
      metrics.pushTime.observe({ type }, (performance.now() - started) / 1000);
      metrics.pushes.inc({ type });
      metrics.bytesSent.inc({ type }, body.length);
      state.lastSentVersion = version;
      state.lastSentNonce = nonce;
      state.lastSentAt = Date.now();
      state.outstanding.set(nonce, state.lastSentAt);
      if (state.outstanding.size > MAX_OUTSTANDING) {
        const oldest = state.outstanding.keys().next();
        if (oldest.done !== true) state.outstanding.delete(oldest.value);
      }
      const writeStarted = performance.now();
      wrote = true;
      const accepted = this.call.write(body, (error: Error | null | undefined) => {
        if (error) return; // the stream is gone; 'error'/'cancelled' closes the connection
        const now = performance.now();
        metrics.sendTime.observe({ type }, (now - writeStarted) / 1000);
        if (token.convergedSince !== undefined) {
          metrics.convergence.observe((now - token.convergedSince) / 1000);
          token.convergedSince = undefined;
        }
      });
      if (!accepted) {
        this.waitForDrain();
        break;
      }
    }
    if (!this.blocked && !this.hasWork()) {
      // Everything changed so far is written: the last write's completion is convergence (a push
      // that had nothing for this client converges nothing).
      if (wrote) token.convergedSince = this.changeSince;
      this.changeSince = undefined;
    }
  }

  hasWork(): boolean {
    for (const state of this.types.values()) if (state.subscription.hasWork()) return true;
    return false;
  }

  private waitForDrain(): void {
    this.blocked = true;
    const onDrain = (): void => {
      if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
      this.blocked = false;
      if (this.hasWork()) this.context.schedule(this);
    };
    this.call.once('drain', onDrain);
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.call.off('drain', onDrain);
      this.context.metrics.writeTimeouts.inc();
      this.context.logger.warn(
        { code: XDS_SERVER_ERROR_CODES.SLOW_CLIENT, connectionId: this.id, node: this.client?.id, peer: this.peer, drainTimeoutMs: this.context.drainTimeoutMs },
        `closing xDS stream: the client did not read responses for ${this.context.drainTimeoutMs}ms`,
      );
      this.close('slow client: outbound queue did not drain', {
        status: { code: grpc.status.UNAVAILABLE, details: `[${XDS_SERVER_ERROR_CODES.SLOW_CLIENT}] the client did not read responses for ${this.context.drainTimeoutMs}ms` },
        reset: true,
      });
    }, this.context.drainTimeoutMs);
    this.drainTimer.unref?.();
  }

  /** Ends the stream with the error's status (INVALID_ARGUMENT for malformed requests). */
  private fail(error: unknown): void {
    if (error instanceof XdsStreamError) {
      this.context.logger.warn(
        { code: error.code, connectionId: this.id || undefined, node: this.client?.id, peer: this.peer, error: error.message },
        'ending xDS stream',
      );
      this.close(`refused: ${error.message}`, { status: { code: error.grpcCode, details: error.describe() } });
      return;
    }
    this.context.logger.error(
      { code: XDS_SERVER_ERROR_CODES.INTERNAL, connectionId: this.id || undefined, peer: this.peer, error: errorMessage(error), stack: error instanceof Error ? error.stack : undefined },
      'bug: exception in the xDS stream handler',
    );
    this.close('internal error', { status: { code: grpc.status.INTERNAL, details: `[${XDS_SERVER_ERROR_CODES.INTERNAL}] internal error in the xDS server` } });
  }

  /**
   * Closes the stream once. `status` ends it with that gRPC status (queued behind data already
   * written); `reset` also resets the HTTP/2 stream so nothing waits behind an unread queue;
   * `end` ends it with OK.
   */
  close(reason: string, how: { status?: { code: grpc.status; details: string }; reset?: boolean; end?: boolean } = {}): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    try {
      if (how.status !== undefined) {
        // grpc-js turns an emitted { code, details } into the call's status.
        this.call.emit('error', { code: how.status.code, details: how.status.details, message: how.status.details });
      } else if (how.end === true) {
        this.call.end();
      }
      if (how.reset === true) resetHttp2Stream(this.call);
    } catch (error) {
      this.context.logger.debug({ connectionId: this.id, error: errorMessage(error) }, 'error while closing an xDS stream');
    }
    this.context.closed(this, reason);
  }

  status(): TypeStatus[] {
    const out: TypeStatus[] = [];
    for (const [typeUrl, state] of this.types) {
      const s = state.subscription;
      const entry: TypeStatus = {
        typeUrl,
        wildcard: s.wildcard,
        subscribed: [...s.explicit].sort(),
        resourceCount: s.held.size,
        unacked: state.outstanding.size,
        pending: s.pendingCount(),
      };
      if (state.lastSentVersion !== undefined) entry.lastSentVersion = state.lastSentVersion;
      if (state.lastSentNonce !== undefined) entry.lastSentNonce = state.lastSentNonce;
      if (state.lastSentAt !== undefined) entry.lastSentAt = new Date(state.lastSentAt).toISOString();
      if (state.lastAckedNonce !== undefined) entry.lastAckedNonce = state.lastAckedNonce;
      if (state.lastAckedAt !== undefined) entry.lastAckedAt = new Date(state.lastAckedAt).toISOString();
      if (state.lastNack !== undefined) entry.lastNack = { ...state.lastNack, names: [...state.lastNack.names] };
      out.push(entry);
    }
    return out;
  }

  isBlocked(): boolean {
    return this.blocked;
  }

  private callback(name: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.context.logger.error({ connectionId: this.id, callback: name, error: errorMessage(error) }, 'xDS server callback threw');
    }
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

/**
 * Resets the HTTP/2 stream under a grpc-js server call (RST_STREAM CANCEL), so a client that does
 * not read cannot keep it (and the data queued for it) alive. grpc-js has no public API for this;
 * the stream is found by walking the call's interceptor chain (`call` -> `nextCall`* -> `stream`,
 * grpc-js >= 1.10). If the layout is not found nothing happens and the status already emitted
 * ends the stream once the client reads.
 */
function resetHttp2Stream(call: AdsCall): void {
  let node: unknown = (call as unknown as { call?: unknown }).call;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth++) {
    const stream: unknown = (node as { stream?: unknown }).stream;
    if (typeof stream === 'object' && stream !== null && typeof (stream as { close?: unknown }).close === 'function' && 'rstCode' in stream) {
      const h2 = stream as unknown as { closed: boolean; close(code: number): void };
      if (!h2.closed) h2.close(http2.NGHTTP2_CANCEL);
      return;
    }
    node = (node as { nextCall?: unknown }).nextCall;
  }
}
