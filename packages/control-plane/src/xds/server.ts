// DeltaAdsServer: envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources
// over @grpc/grpc-js, serving whatever a ResourceSource holds. Transport only: subscriptions, acks,
// debouncing, backpressure, authentication and metrics; no resource generation.
//
// Push path: source.onChange -> Debouncer (quiet debounceMs, at most maxDebounceMs) -> one batch ->
// every stream subscribed to a changed type records the changed names (shared, not copied) -> the
// push queue flushes streams, at most maxConcurrentPushes per event-loop turn, FIFO. A flush
// evaluates the names against the source and writes one response per type. Nothing in the queue
// waits for a client: a stream that pushes back (write() false) leaves the queue until 'drain', so
// one slow reader never delays the others; the per-turn bound keeps the loop free for ACKs and new
// streams (istiod's PILOT_PUSH_THROTTLE bounds goroutines blocked in Send; in Node the equivalent
// cost is event-loop time, so that is what is bounded).
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import type * as prom from 'prom-client';
import { errorMessage, type Logger } from '@ambit/core';
import { loadAdsServiceDefinition } from '@ambit/xds-types';
import { Connection, type AdsCall, type ConnectionContext } from './connection.ts';
import { Debouncer, type ChangeBatch } from './debounce.ts';
import { XDS_SERVER_ERROR_CODES } from './errors.ts';
import { XdsMetrics } from './metrics.ts';
import type { AuthenticatedPeer, ClientAuthenticator, ClientStatus, ResourceSource, XdsServerCallbacks } from './types.ts';

export interface DeltaAdsServerOptions {
  source: ResourceSource;
  logger: Logger;
  registry: prom.Registry;
  /** Bearer-credential check of each stream before anything is served. */
  authenticator?: ClientAuthenticator;
  /** Quiet period before a push (istiod PILOT_DEBOUNCE_AFTER). Default 100. */
  debounceMs?: number;
  /** Longest a change waits for quiet (istiod PILOT_DEBOUNCE_MAX). Default 10000. */
  maxDebounceMs?: number;
  /** Streams flushed per event-loop turn (istiod PILOT_PUSH_THROTTLE on 2 cores). Default 25. */
  maxConcurrentPushes?: number;
  /** A stream whose queue does not drain within this bound is closed. Default 30000. */
  drainTimeoutMs?: number;
  callbacks?: XdsServerCallbacks;
}

const METHOD = 'DeltaAggregatedResources';

export class DeltaAdsServer {
  private readonly source: ResourceSource;
  private readonly logger: Logger;
  private readonly metrics: XdsMetrics;
  private readonly authenticator: ClientAuthenticator | undefined;
  private readonly maxConcurrentPushes: number;
  private readonly debouncer: Debouncer;
  private readonly context: ConnectionContext;
  /** Every stream, identified or not. */
  private readonly streams = new Set<Connection>();
  /** Streams whose first request named the node. */
  private readonly connections = new Set<Connection>();
  private readonly queue = new Set<Connection>();
  private queueScheduled = false;
  private readonly unsubscribe: () => void;
  private readonly noncePrefix = randomBytes(4).toString('hex');
  private nonceCounter = 0;
  private connectionCounter = 0;
  private pushVersion = 0;
  private isClosed = false;

  constructor(options: DeltaAdsServerOptions) {
    this.source = options.source;
    this.logger = options.logger;
    this.metrics = new XdsMetrics(options.registry);
    this.authenticator = options.authenticator;
    this.maxConcurrentPushes = Math.max(1, options.maxConcurrentPushes ?? 25);
    const debounceMs = options.debounceMs ?? 100;
    this.debouncer = new Debouncer({
      quietMs: debounceMs,
      maxMs: Math.max(debounceMs, options.maxDebounceMs ?? 10_000),
      emit: (batch) => this.push(batch),
    });
    this.context = {
      source: this.source,
      logger: this.logger,
      metrics: this.metrics,
      callbacks: options.callbacks,
      drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
      nextNonce: () => `${this.noncePrefix}-${(++this.nonceCounter).toString(36)}`,
      version: () => String(this.pushVersion),
      opened: (connection) => this.opened(connection),
      schedule: (connection) => this.schedule(connection),
      closed: (connection, reason) => this.closedStream(connection, reason),
    };
    this.unsubscribe = this.source.onChange((change) => this.debouncer.add(change));
  }

  /** The ADS service to add to a grpc.Server (only DeltaAggregatedResources is implemented). */
  service(): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
    const loaded = loadAdsServiceDefinition();
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    for (const [name, method] of Object.entries(loaded)) {
      if (name !== METHOD) {
        definition[name] = method;
        continue;
      }
      // Responses are encoded by wire.ts (one encoding per resource version, shared by every
      // client): Buffers pass through, anything else goes to the generated serializer.
      const serialize = method.responseSerialize;
      definition[name] = {
        ...method,
        responseSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : serialize(value)),
      };
    }
    const implementation: grpc.UntypedServiceImplementation = {
      [METHOD]: (call: AdsCall) => {
        this.accept(call);
      },
      StreamAggregatedResources: (call: AdsCall) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'state-of-the-world ADS is not served; use DeltaAggregatedResources' });
      },
    };
    return { definition, implementation };
  }

  private accept(call: AdsCall): void {
    if (this.isClosed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: `[${XDS_SERVER_ERROR_CODES.CLOSED}] the xDS server is shutting down` });
      return;
    }
    if (this.authenticator === undefined) {
      this.startStream(call, undefined);
      return;
    }
    const peer = call.getPeer();
    this.authenticator.authenticate(call.metadata, peer).then(
      (identity) => {
        if (identity === undefined) {
          this.logger.warn({ code: XDS_SERVER_ERROR_CODES.UNAUTHENTICATED, peer }, 'refusing xDS stream: missing or rejected bearer credential');
          call.emit('error', {
            code: grpc.status.UNAUTHENTICATED,
            details: `[${XDS_SERVER_ERROR_CODES.UNAUTHENTICATED}] missing or rejected bearer credential (metadata authorization: Bearer <token>)`,
          });
          return;
        }
        if (this.isClosed || call.cancelled) {
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: `[${XDS_SERVER_ERROR_CODES.CLOSED}] the xDS server is shutting down` });
          return;
        }
        this.startStream(call, identity);
      },
      (error: unknown) => {
        this.logger.error({ code: XDS_SERVER_ERROR_CODES.AUTHENTICATOR_FAILED, peer, error: errorMessage(error) }, 'refusing xDS stream: the authenticator failed');
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: `[${XDS_SERVER_ERROR_CODES.AUTHENTICATOR_FAILED}] cannot check the credential now; retry` });
      },
    );
  }

  private startStream(call: AdsCall, identity: AuthenticatedPeer | undefined): void {
    const connection = new Connection(call, this.context, identity);
    this.streams.add(connection);
    connection.start();
  }

  private opened(connection: Connection): string {
    const client = connection.client;
    const id = `${client?.id ?? 'unknown'}-${++this.connectionCounter}`;
    this.connections.add(connection);
    this.metrics.connected.inc({ version: connection.metricVersion });
    this.logger.info({ connectionId: id, peer: connection.peer, authenticatedAs: connection.authenticated?.subject }, 'new delta xDS stream');
    if (client !== undefined) {
      try {
        this.context.callbacks?.onStreamOpen?.(client, id);
      } catch (error) {
        this.logger.error({ connectionId: id, error: errorMessage(error) }, 'xDS server callback onStreamOpen threw');
      }
    }
    return id;
  }

  private closedStream(connection: Connection, reason: string): void {
    this.streams.delete(connection);
    this.queue.delete(connection);
    if (!this.connections.delete(connection)) return;
    this.metrics.connected.dec({ version: connection.metricVersion });
    this.logger.info({ connectionId: connection.id, reason }, 'delta xDS stream closed');
    const client = connection.client;
    if (client !== undefined) {
      try {
        this.context.callbacks?.onStreamClosed?.(client, connection.id, reason);
      } catch (error) {
        this.logger.error({ connectionId: connection.id, error: errorMessage(error) }, 'xDS server callback onStreamClosed threw');
      }
    }
  }

  /** A debounced batch of changes: every interested stream learns the names, then is queued. */
  private push(batch: ChangeBatch): void {
    this.pushVersion++;
    let queued = 0;
    for (const connection of this.connections) {
      let interested = false;
      for (const [typeUrl, names] of batch.changes) {
        if (connection.markDirty(typeUrl, names, batch.firstChangeAt)) interested = true;
      }
      if (interested) {
        this.schedule(connection);
        queued++;
      }
    }
    this.logger.debug({ version: this.pushVersion, events: batch.events, types: batch.changes.size, streams: queued }, 'xDS push');
  }

  private schedule(connection: Connection): void {
    if (connection.closed) return;
    this.queue.add(connection);
    if (!this.queueScheduled) {
      this.queueScheduled = true;
      setImmediate(() => this.drainQueue());
    }
  }

  private drainQueue(): void {
    this.queueScheduled = false;
    let flushed = 0;
    for (const connection of this.queue) {
      this.queue.delete(connection);
      try {
        connection.flush();
      } catch (error) {
        this.logger.error({ code: XDS_SERVER_ERROR_CODES.INTERNAL, connectionId: connection.id, error: errorMessage(error) }, 'bug: xDS flush threw');
        connection.close('internal error', { status: { code: grpc.status.INTERNAL, details: `[${XDS_SERVER_ERROR_CODES.INTERNAL}] internal error in the xDS server` } });
      }
      if (++flushed >= this.maxConcurrentPushes) break;
    }
    if (this.queue.size > 0 && !this.queueScheduled) {
      this.queueScheduled = true;
      setImmediate(() => this.drainQueue());
    }
  }

  /**
   * Every change the model announced has been sent and every client has answered it (ACK or
   * NACK): nothing is debouncing, queued, pending or unacknowledged on any stream.
   */
  settled(): boolean {
    if (this.debouncer.pending || this.queue.size > 0) return false;
    for (const connection of this.connections) {
      for (const t of connection.status()) if (t.pending > 0 || t.unacked > 0) return false;
    }
    return true;
  }

  /** Pushes pending changes now, without waiting for the debounce (tests, shutdown hooks). */
  flushPending(): void {
    this.debouncer.flush();
  }

  /** Per stream and type: subscriptions, versions, nonces, NACKs, queue depth. */
  clients(): ClientStatus[] {
    const out: ClientStatus[] = [];
    for (const connection of this.connections) {
      const client = connection.client;
      if (client === undefined) continue;
      const status: ClientStatus = {
        connectionId: connection.id,
        id: client.id,
        cluster: client.cluster,
        peer: connection.peer,
        connectedAt: connection.connectedAt.toISOString(),
        blocked: connection.isBlocked(),
        types: connection.status(),
      };
      if (connection.authenticated !== undefined) status.authenticatedAs = connection.authenticated.subject;
      out.push(status);
    }
    return out;
  }

  /** Stops pushing, ends every stream with OK (clients reconnect elsewhere) and detaches from the source. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.unsubscribe();
    this.debouncer.close();
    this.queue.clear();
    for (const connection of [...this.streams]) connection.close('server closing', { end: true });
  }
}
