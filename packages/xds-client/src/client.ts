// DeltaXdsClient: one bidirectional envoy.service.discovery.v3.AggregatedDiscoveryService/
// DeltaAggregatedResources stream to the control plane, as ztunnel's xDS client (src/xds/client.rs):
//
//   start -> open a stream (metadata() per stream) -> first request of each type, the first one
//   carrying the node; a reconnect adds initial_resource_versions = everything held
//   -> each response: decode every resource on its own (TypeState), apply the good, keep the last
//   good version of the bad, ACK or NACK by nonce (NACK names each rejected resource), onChange
//   -> the stream ends: keep the state (the data plane keeps serving), reconnect after a backoff of
//   10 ms doubling to 15 s, reset after a stream that delivered data.
//
// Nothing queues in the client: each response is handled synchronously as it is read, and when the
// outbound side (ACKs) stops draining the inbound side is paused until it does, so memory is bounded
// by HTTP/2 flow control rather than by how fast the server pushes.
import * as grpc from '@grpc/grpc-js';
import { errorMessage, type AmbitError, type Logger } from '@ambit/core';
import { loadAdsServiceDefinition } from '@ambit/xds-types';
import { Backoff } from './backoff.ts';
import { xdsClientError } from './errors.ts';
import { XdsClientMetrics, type MetricsRegistry, type TerminationReason } from './metrics.ts';
import { buildNack, type NackDetail } from './nack.ts';
import { TypeState, type StateChange, type TypeSubscription } from './state.ts';

export interface XdsNode {
  /** e.g. `ztunnel~<INSTANCE_IP>~<POD_NAME>.<POD_NAMESPACE>~<POD_NAMESPACE>.svc.cluster.local`. */
  id: string;
  cluster?: string;
  /** Sent as a google.protobuf.Struct of string values (NAME, NAMESPACE, NODE_NAME, ...). */
  metadata?: Record<string, string>;
}

export interface XdsClientOptions {
  /** host:port, e.g. 10.240.0.2:15012. */
  address: string;
  /** TLS with the mesh root and a server identity check, or insecure for 15010. */
  credentials: grpc.ChannelCredentials;
  /** Merged over the client's defaults (reconnect backoff in step with `backoff`, 64 MiB messages). */
  channelOptions?: grpc.ChannelOptions;
  /** Called once per stream: e.g. `authorization: Bearer <node token>`. */
  metadata?: () => grpc.Metadata | Promise<grpc.Metadata>;
  node: XdsNode;
  logger: Logger;
  /** A prom-client Registry (or anything with registerMetric/getSingleMetric). */
  registry?: MetricsRegistry;
  /** Reconnect backoff: 10 ms doubling to 15 s by default. */
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface TypeStatus {
  typeUrl: string;
  /** Resources held. */
  resources: number;
  wildcard: boolean;
  /** The first response of the type has arrived (readiness). */
  ready: boolean;
  /** Names whose latest version was rejected (the last good version, if any, is still held). */
  rejected: number;
  /** Nonce of the last response handled. */
  lastNonce?: string;
  /** error_detail.message of the last NACK sent for the type. */
  lastNack?: string;
}

export interface ClientStatus {
  /** The current stream has delivered a response. */
  connected: boolean;
  /** Streams that delivered at least one response, since start(). */
  connects: number;
  types: TypeStatus[];
}

const METHOD = 'DeltaAggregatedResources';
const DEFAULT_MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
/** How long close() waits for the cancelled stream to report its end. */
const CLOSE_WAIT_MS = 2000;
/** Most distinct unexpected type URLs warned about per stream (log lines stay bounded). */
const MAX_WARNED_TYPES = 8;

/** What the response deserializer hands over: the decoded message, or why it could not be decoded. */
interface Incoming {
  bytes: number;
  message?: unknown;
  error?: unknown;
}

interface TypeEntry {
  readonly sub: TypeSubscription<unknown>;
  readonly state: TypeState<unknown>;
  ready: boolean;
  lastNonce?: string;
  lastNack?: string;
}

interface Session {
  readonly id: number;
  call?: grpc.ClientDuplexStream<unknown, Incoming>;
  /** A well-formed response arrived on this stream (backoff resets when it ends). */
  receivedData: boolean;
  ended: boolean;
  sentNode: boolean;
  paused: boolean;
  /** Types whose first request went out on this stream. */
  readonly requested: Set<string>;
  readonly warnedTypes: Set<string>;
  readonly done: Promise<void>;
  finish(): void;
}

interface ReadyWaiter {
  resolve(): void;
  reject(error: AmbitError): void;
  timer?: NodeJS.Timeout;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class DeltaXdsClient {
  private readonly address: string;
  private credentials: grpc.ChannelCredentials;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly metadataFn: (() => grpc.Metadata | Promise<grpc.Metadata>) | undefined;
  private readonly node: Record<string, unknown>;
  private readonly logger: Logger;
  private readonly metrics: XdsClientMetrics;
  private readonly backoff: Backoff;
  private readonly method: grpc.MethodDefinition<unknown, unknown>;
  private readonly types = new Map<string, TypeEntry>();
  private readonly waiters = new Set<ReadyWaiter>();
  private client: grpc.Client | undefined;
  /** Channels replaced by setCredentials(), closed once their stream has ended (at most a few). */
  private readonly retired: grpc.Client[] = [];
  private session: Session | undefined;
  private sessions = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private connected = false;
  private connects = 0;
  /** Consecutive streams that ended without delivering data. */
  private failures = 0;

  constructor(options: XdsClientOptions) {
    if (typeof options.address !== 'string' || options.address.trim() === '') {
      throw xdsClientError('AMBIT_XDS_CLIENT_CONFIG', `address must be host:port, got ${JSON.stringify(options.address)}`, { hint: 'set XDS_ADDRESS, e.g. 10.240.0.2:15012' });
    }
    if (typeof options.node?.id !== 'string' || options.node.id === '') {
      throw xdsClientError('AMBIT_XDS_CLIENT_CONFIG', `node.id must be a non-empty string, got ${JSON.stringify(options.node?.id)}`, {
        hint: 'ztunnel uses ztunnel~<INSTANCE_IP>~<POD_NAME>.<POD_NAMESPACE>~<POD_NAMESPACE>.svc.cluster.local',
      });
    }
    this.address = options.address;
    this.credentials = options.credentials;
    this.backoff = new Backoff(options.backoff ?? {});
    this.channelOptions = {
      // grpc-js reconnects its channel with its own backoff (1 s .. 120 s by default); keep it in
      // step with ours so a restarted control plane is found as fast as the stream retries.
      'grpc.initial_reconnect_backoff_ms': this.backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': this.backoff.maxMs,
      'grpc.max_receive_message_length': DEFAULT_MAX_RECEIVE_BYTES,
      ...options.channelOptions,
    };
    this.metadataFn = options.metadata;
    this.node = nodeMessage(options.node);
    this.logger = options.logger.child({ scope: 'xds-client', xdsAddress: options.address });
    this.metrics = new XdsClientMetrics(options.registry);
    const definition = loadAdsServiceDefinition()[METHOD];
    if (definition === undefined) throw xdsClientError('AMBIT_XDS_CLIENT_CONFIG', `the loaded ADS service has no ${METHOD} method`);
    this.method = definition as grpc.MethodDefinition<unknown, unknown>;
  }

  /** Adds a type (before or after start()); wildcard unless `names` is given. */
  subscribe<T>(sub: TypeSubscription<T>): void {
    if (this.closed) throw xdsClientError('AMBIT_XDS_CLIENT_CLOSED', `cannot subscribe to ${sub.typeUrl}: the xDS client is closed`);
    if (typeof sub.typeUrl !== 'string' || !sub.typeUrl.includes('/')) {
      throw xdsClientError('AMBIT_XDS_CLIENT_USAGE', `typeUrl must be a type URL such as type.googleapis.com/istio.workload.Address, got ${JSON.stringify(sub.typeUrl)}`);
    }
    if (typeof sub.decode !== 'function') throw xdsClientError('AMBIT_XDS_CLIENT_USAGE', `subscription to ${sub.typeUrl} has no decode function`);
    if (this.types.has(sub.typeUrl)) {
      throw xdsClientError('AMBIT_XDS_CLIENT_USAGE', `${sub.typeUrl} is already subscribed`, { hint: 'use updateSubscription() to change the names of a subscribed type' });
    }
    const generic = sub as TypeSubscription<unknown>;
    const entry: TypeEntry = { sub: generic, state: new TypeState<unknown>(sub.typeUrl, (name, body) => generic.decode(name, body), sub.names), ready: false };
    this.types.set(sub.typeUrl, entry);
    const session = this.session;
    if (session?.call !== undefined && !session.ended) this.write(session, this.initialRequest(session, entry));
  }

  /** Opens the stream; it reconnects by itself until close(). */
  start(): void {
    if (this.closed) throw xdsClientError('AMBIT_XDS_CLIENT_CLOSED', 'cannot start: the xDS client is closed');
    if (this.started) throw xdsClientError('AMBIT_XDS_CLIENT_USAGE', 'start() was already called');
    this.started = true;
    this.client = new grpc.Client(this.address, this.credentials, this.channelOptions);
    void this.open();
  }

  /**
   * New channel credentials (a rotated trust bundle): the next stream opens on a new channel made
   * with them; the open stream stays on its channel until it ends.
   */
  setCredentials(credentials: grpc.ChannelCredentials): void {
    if (this.closed) return;
    this.credentials = credentials;
    if (!this.started) return;
    if (this.client !== undefined) this.retired.push(this.client);
    this.client = new grpc.Client(this.address, this.credentials, this.channelOptions);
    while (this.retired.length > 4) this.retired.shift()?.close();
  }

  /** Resolves once every subscribed type has received its first response (ztunnel's readiness); at once with no type subscribed. */
  ready(timeoutMs?: number): Promise<void> {
    if (this.closed) return Promise.reject(xdsClientError('AMBIT_XDS_CLIENT_CLOSED', 'the xDS client is closed'));
    if (this.isReady()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadyWaiter = {
        resolve: () => {
          if (waiter.timer !== undefined) clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (error) => {
          if (waiter.timer !== undefined) clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          reject(error);
        },
      };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          const waiting = [...this.types.values()].filter((t) => !t.ready).map((t) => t.sub.typeUrl);
          waiter.reject(
            xdsClientError('AMBIT_XDS_CLIENT_NOT_READY', `xDS from ${this.address} not ready after ${timeoutMs}ms: no response yet for ${waiting.join(', ') || '(no type subscribed)'}`, {
              hint: this.connects === 0 ? 'the control plane was never reached; check XDS_ADDRESS, credentials and the control plane logs' : 'the control plane has not answered every type',
              details: { waiting, connected: this.connected, connects: this.connects },
            }),
          );
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** The decoded resources held for a type (a live view; empty for a type not subscribed). */
  state<T>(typeUrl: string): ReadonlyMap<string, T> {
    return (this.types.get(typeUrl)?.state.state ?? new Map<string, unknown>()) as ReadonlyMap<string, T>;
  }

  status(): ClientStatus {
    return {
      connected: this.connected,
      connects: this.connects,
      types: [...this.types.values()].map((t) => ({
        typeUrl: t.sub.typeUrl,
        resources: t.state.size,
        wildcard: t.state.wildcard,
        ready: t.ready,
        rejected: t.state.rejectedCount,
        ...(t.lastNonce !== undefined ? { lastNonce: t.lastNonce } : {}),
        ...(t.lastNack !== undefined ? { lastNack: t.lastNack } : {}),
      })),
    };
  }

  /**
   * Changes the names of a subscribed type (`*` = wildcard; subscribe is applied before
   * unsubscribe). Names no longer subscribed are dropped from the state when the type is not
   * wildcard (the server sends no removal for them) and onChange reports them.
   */
  updateSubscription(typeUrl: string, subscribe: string[], unsubscribe: string[]): void {
    if (this.closed) throw xdsClientError('AMBIT_XDS_CLIENT_CLOSED', `cannot update ${typeUrl}: the xDS client is closed`);
    const entry = this.types.get(typeUrl);
    if (entry === undefined) throw xdsClientError('AMBIT_XDS_CLIENT_USAGE', `${typeUrl} is not subscribed`, { hint: 'call subscribe() first' });
    const dropped = entry.state.updateSubscription(subscribe, unsubscribe);
    if (dropped.length > 0) this.notify(entry, { upserted: new Map(), removed: dropped, state: entry.state.state });
    const session = this.session;
    if (session?.call !== undefined && !session.ended && session.requested.has(typeUrl)) {
      this.write(session, { type_url: typeUrl, resource_names_subscribe: subscribe, resource_names_unsubscribe: unsubscribe });
    }
  }

  /** Ends the stream and the channel; the state stays readable. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    for (const waiter of [...this.waiters]) waiter.reject(xdsClientError('AMBIT_XDS_CLIENT_CLOSED', 'the xDS client was closed before it was ready'));
    const session = this.session;
    if (session?.call !== undefined && !session.ended) {
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      session.call.cancel();
      await Promise.race([session.done, bounded]);
      clearTimeout(timer);
    }
    this.session = undefined;
    this.connected = false;
    this.client?.close();
    for (const old of this.retired.splice(0)) old.close();
    this.logger.debug({}, 'xDS client closed');
  }

  private isReady(): boolean {
    for (const t of this.types.values()) if (!t.ready) return false;
    return true;
  }

  private async open(): Promise<void> {
    let finish = (): void => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const session: Session = { id: ++this.sessions, receivedData: false, ended: false, sentNode: false, paused: false, requested: new Set(), warnedTypes: new Set(), done, finish };
    this.session = session;
    let metadata: grpc.Metadata;
    try {
      metadata = this.metadataFn === undefined ? new grpc.Metadata() : await this.metadataFn();
    } catch (error) {
      if (this.closed || this.session !== session) return;
      this.logger.warn({ code: 'AMBIT_XDS_CLIENT_METADATA', error: errorMessage(error) }, 'xDS stream metadata could not be produced; retrying');
      this.ended(session, 'ConnectionError', `metadata: ${errorMessage(error)}`);
      return;
    }
    if (this.closed || this.session !== session || this.client === undefined) return;
    // The stream of a replaced channel has ended: its channel can go.
    for (const old of this.retired.splice(0)) old.close();
    const call = this.client.makeBidiStreamRequest<unknown, Incoming>(this.method.path, (value) => this.method.requestSerialize(value), deserializer(this.method), metadata);
    session.call = call;
    call.on('data', (incoming: Incoming) => this.onIncoming(session, incoming));
    // grpc-js emits 'error' and then 'status' for a failed call; 'status' alone ends the session.
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => {
      const reason: TerminationReason = this.closed
        ? 'Complete'
        : status.code === grpc.status.OK
          ? 'Reconnect'
          : !session.receivedData && status.code === grpc.status.UNAVAILABLE
            ? 'ConnectionError'
            : 'Error';
      this.ended(session, reason, `${grpc.status[status.code] ?? status.code}: ${status.details}`);
    });
    for (const entry of this.types.values()) this.write(session, this.initialRequest(session, entry));
  }

  private ended(session: Session, reason: TerminationReason, detail: string): void {
    if (session.ended) return;
    session.ended = true;
    session.finish();
    this.metrics.terminated(reason);
    if (this.session !== session) return;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.closed) return;
    if (session.receivedData) {
      this.backoff.reset();
      this.failures = 0;
    } else {
      this.failures++;
    }
    const delay = this.backoff.next();
    const fields = { code: 'AMBIT_XDS_CLIENT_STREAM', reason, status: detail, retryInMs: delay, attempt: this.failures };
    // Every loss of a working stream is a warning; while retrying, the first failure and those at
    // the longest backoff are (so a control plane that stays down costs one line per maxMs).
    if (wasConnected || this.failures === 1 || delay >= this.backoff.maxMs) this.logger.warn(fields, 'xDS stream ended; keeping the last state and reconnecting');
    else this.logger.debug(fields, 'xDS stream attempt failed');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) void this.open();
    }, delay);
  }

  private initialRequest(session: Session, entry: TypeEntry): Record<string, unknown> {
    const { subscribe, unsubscribe } = entry.state.initialSubscription();
    const request: Record<string, unknown> = {
      type_url: entry.sub.typeUrl,
      resource_names_subscribe: subscribe,
      resource_names_unsubscribe: unsubscribe,
      initial_resource_versions: entry.state.versions(),
    };
    if (!session.sentNode) {
      request['node'] = this.node;
      session.sentNode = true;
    }
    session.requested.add(entry.sub.typeUrl);
    return request;
  }

  private write(session: Session, request: Record<string, unknown>): void {
    const call = session.call;
    if (call === undefined || session.ended) return;
    let flowing: boolean;
    try {
      flowing = call.write(request);
    } catch (error) {
      this.logger.error({ code: 'AMBIT_XDS_CLIENT_STREAM', error: errorMessage(error), typeUrl: request['type_url'] }, 'xDS request could not be written; restarting the stream');
      call.cancel();
      return;
    }
    if (!flowing && !session.paused) {
      // The server is not reading our ACKs: stop reading its responses until it does.
      session.paused = true;
      call.pause();
      call.once('drain', () => {
        session.paused = false;
        if (!session.ended) call.resume();
      });
    }
  }

  private onIncoming(session: Session, incoming: Incoming): void {
    if (session !== this.session || session.ended) return;
    const message = incoming.message;
    if (incoming.error !== undefined || !isRecord(message)) {
      this.metrics.received('unknown', incoming.bytes);
      this.logger.error(
        { code: 'AMBIT_XDS_CLIENT_MALFORMED_RESPONSE', bytes: incoming.bytes, error: errorMessage(incoming.error ?? 'not a message') },
        'xDS response could not be decoded; restarting the stream',
      );
      // A stream that delivers garbage must not reset the backoff, or a broken server that sends
      // one good response before each bad one would be redialled every 10 ms.
      session.receivedData = false;
      session.call?.cancel();
      return;
    }
    const typeUrl = message['type_url'];
    const nonce = message['nonce'];
    const entry = typeof typeUrl === 'string' ? this.types.get(typeUrl) : undefined;
    this.metrics.received(entry === undefined ? 'unknown' : entry.sub.typeUrl, incoming.bytes);
    if (typeof typeUrl !== 'string' || typeUrl === '' || typeof nonce !== 'string' || nonce === '') {
      // Without a type and a nonce there is nothing to ACK or NACK (a request without a nonce
      // would read as a new subscription), so the response is dropped.
      this.logger.warn({ code: 'AMBIT_XDS_CLIENT_MALFORMED_RESPONSE', typeUrl, nonce }, 'xDS response without a type URL or nonce dropped');
      return;
    }
    session.receivedData = true;
    if (!this.connected) {
      this.connected = true;
      this.connects++;
      this.failures = 0;
      this.logger.info({ connects: this.connects, session: session.id }, 'xDS stream connected');
    }
    if (entry === undefined) {
      if (!session.warnedTypes.has(typeUrl) && session.warnedTypes.size < MAX_WARNED_TYPES) {
        session.warnedTypes.add(typeUrl);
        this.logger.warn({ code: 'AMBIT_XDS_CLIENT_UNEXPECTED_TYPE', typeUrl }, 'xDS response for a type this client did not subscribe to; ignored');
      }
      return;
    }
    this.handle(session, entry, message, nonce);
  }

  private handle(session: Session, entry: TypeEntry, message: Record<string, unknown>, nonce: string): void {
    const typeUrl = entry.sub.typeUrl;
    const resources = Array.isArray(message['resources']) ? (message['resources'] as unknown[]) : [];
    const removed = Array.isArray(message['removed_resources']) ? (message['removed_resources'] as unknown[]) : [];
    const result = entry.state.apply(resources, removed);
    entry.lastNonce = nonce;
    let nack: NackDetail | undefined;
    if (result.rejections.length > 0) {
      nack = buildNack(typeUrl, result.rejections);
      entry.lastNack = nack.message;
      this.logger.warn(
        {
          code: 'AMBIT_XDS_CLIENT_REJECTED',
          typeUrl,
          nonce,
          rejected: result.rejections.length,
          names: result.rejections.slice(0, 10).map((r) => r.name),
          error: nack.message.length > 1000 ? `${nack.message.slice(0, 1000)}...` : nack.message,
        },
        'xDS resources rejected (NACK); their last good versions stay in use',
      );
    }
    this.logger.debug(
      { typeUrl, nonce, upserted: result.upserted.size, removed: result.removed.length, rejected: result.rejections.length, held: entry.state.size },
      nack === undefined ? 'xDS response applied (ACK)' : 'xDS response applied in part (NACK)',
    );
    this.notify(entry, { upserted: result.upserted, removed: result.removed, state: entry.state.state });
    this.write(session, { type_url: typeUrl, response_nonce: nonce, ...(nack !== undefined ? { error_detail: nack } : {}) });
    if (!entry.ready) {
      entry.ready = true;
      if (this.isReady()) for (const waiter of [...this.waiters]) waiter.resolve();
    }
  }

  private notify(entry: TypeEntry, change: StateChange<unknown>): void {
    if (entry.sub.onChange === undefined) return;
    try {
      entry.sub.onChange(change);
    } catch (error) {
      this.logger.error({ code: 'AMBIT_XDS_CLIENT_HANDLER_FAILED', typeUrl: entry.sub.typeUrl, error: errorMessage(error) }, 'xDS onChange handler threw; the state was applied');
    }
  }
}

/** envoy.config.core.v3.Node for the first request: metadata as a Struct of string Values (camelCase members). */
function nodeMessage(node: XdsNode): Record<string, unknown> {
  const fields: Record<string, { stringValue: string }> = {};
  for (const [key, value] of Object.entries(node.metadata ?? {})) fields[key] = { stringValue: String(value) };
  return {
    id: node.id,
    ...(node.cluster !== undefined ? { cluster: node.cluster } : {}),
    metadata: { fields },
    user_agent_name: 'ambit',
  };
}

/** The method's deserializer, made total: undecodable bytes become an Incoming with an error. */
function deserializer(method: grpc.MethodDefinition<unknown, unknown>): (bytes: Buffer) => Incoming {
  return (bytes) => {
    try {
      return { bytes: bytes.length, message: method.responseDeserialize(bytes) };
    } catch (error) {
      return { bytes: bytes.length, error };
    }
  };
}
