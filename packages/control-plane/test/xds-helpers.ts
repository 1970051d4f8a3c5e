// Shared fixtures for the Delta ADS server tests and benchmark: an in-memory ResourceSource, a
// real @grpc/grpc-js Delta xDS client that tracks what it holds, a recording logger and a server
// on 127.0.0.1. Waiting is event-driven with deadlines (no sleeps).
import * as grpc from '@grpc/grpc-js';
import * as prom from 'prom-client';
import { waitFor, type Logger, type LogFields } from '@ambit/core';
import { decodeMessage, encodeMessage, loadAdsServiceDefinition, protoRoot, TYPE_URL } from '@ambit/xds-types';
import type { discovery } from '@ambit/xds-types';
import { DeltaAdsServer, type DeltaAdsServerOptions } from '../src/xds/server.ts';
import type { ClientInfo, ResourceChange, ResourceSnapshot, ResourceSource, XdsResource } from '../src/xds/types.ts';

export const ADDRESS = TYPE_URL.address;
export const AUTHORIZATION = TYPE_URL.authorization;

// ---------------------------------------------------------------------------------------------
// Resources and source

/** An encoded istio.workload.Address (a Workload) named `uid`, with one IPv4 address. */
export function workloadAddress(uid: string, ip: string, extra: { padding?: number } = {}): Uint8Array {
  const octets = ip.split('.').map((o) => Number(o));
  return encodeMessage('istio.workload.Address', {
    workload: {
      uid,
      name: uid.split('/').pop() ?? uid,
      namespace: 'default',
      addresses: [Uint8Array.from(octets)],
      // A long canonical_name pads the resource (for backpressure tests).
      canonical_name: extra.padding ? 'x'.repeat(extra.padding) : '',
    },
  });
}

export function workload(index: number, version: string, options: { padding?: number; alias?: boolean } = {}): XdsResource {
  const uid = `Kubernetes//Pod/default/pod-${index}`;
  const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
  return {
    name: uid,
    version,
    body: workloadAddress(uid, ip, options),
    ...(options.alias === false ? {} : { aliases: [`/${ip}`] }),
  };
}

/**
 * An in-memory ResourceSource. Copy on write: each change publishes a new Map (the server caches
 * per Map object), then notifies listeners with the changed names.
 */
export class MemorySource implements ResourceSource {
  private readonly maps = new Map<string, ReadonlyMap<string, XdsResource>>();
  private readonly listeners = new Set<(change: ResourceChange) => void>();
  snapshotCalls = 0;
  failing = false;

  snapshot(typeUrl: string, _client: ClientInfo): ResourceSnapshot {
    this.snapshotCalls++;
    if (this.failing) throw new Error('source is failing (test)');
    return { typeUrl, resources: this.maps.get(typeUrl) ?? new Map() };
  }

  onChange(listener: (change: ResourceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces resources. */
  set(typeUrl: string, resources: readonly XdsResource[]): void {
    const next = new Map(this.maps.get(typeUrl) ?? []);
    for (const r of resources) next.set(r.name, r);
    this.maps.set(typeUrl, next);
    this.emit(typeUrl, resources.map((r) => r.name));
  }

  remove(typeUrl: string, names: readonly string[]): void {
    const next = new Map(this.maps.get(typeUrl) ?? []);
    for (const n of names) next.delete(n);
    this.maps.set(typeUrl, next);
    this.emit(typeUrl, names);
  }

  get(typeUrl: string, name: string): XdsResource | undefined {
    return this.maps.get(typeUrl)?.get(name);
  }

  private emit(typeUrl: string, names: readonly string[]): void {
    const change = { typeUrl, names: new Set(names) };
    for (const l of this.listeners) l(change);
  }
}

// ---------------------------------------------------------------------------------------------
// Logger

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string;
}

export class RecordingLogger implements Logger {
  readonly lines: LogLine[];
  private readonly bindings: LogFields;
  private readonly waiters = new Set<() => void>();

  constructor(lines: LogLine[] = [], bindings: LogFields = {}) {
    this.lines = lines;
    this.bindings = bindings;
  }
  private add(level: LogLine['level'], fields: LogFields, message: string): void {
    this.lines.push({ level, fields: { ...this.bindings, ...fields }, message });
    for (const w of this.waiters) w();
  }
  debug(fields: LogFields, message: string): void {
    this.add('debug', fields, message);
  }
  info(fields: LogFields, message: string): void {
    this.add('info', fields, message);
  }
  warn(fields: LogFields, message: string): void {
    this.add('warn', fields, message);
  }
  error(fields: LogFields, message: string): void {
    this.add('error', fields, message);
  }
  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }
  /** Resolves when a line matching `match` has been logged. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.lines.find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for log line: ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (check()) return;
      this.waiters.add(waiter);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Server

export interface TestServer {
  server: DeltaAdsServer;
  grpcServer: grpc.Server;
  address: string;
  registry: prom.Registry;
  logger: RecordingLogger;
  close(): Promise<void>;
}

export async function startServer(options: Partial<DeltaAdsServerOptions> & { source: ResourceSource }): Promise<TestServer> {
  const registry = new prom.Registry();
  const logger = new RecordingLogger();
  const server = new DeltaAdsServer({ logger, registry, debounceMs: 10, maxDebounceMs: 200, ...options });
  const grpcServer = new grpc.Server();
  const { definition, implementation } = server.service();
  grpcServer.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    server,
    grpcServer,
    address: `127.0.0.1:${port}`,
    registry,
    logger,
    async close() {
      await server.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, 2000);
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface ReceivedResponse {
  bytes: number;
  message: discovery.DeltaDiscoveryResponse;
  at: number;
}

interface Decoded {
  bytes: number;
  message: discovery.DeltaDiscoveryResponse;
}

/** google.protobuf.Value's string member as the loaded schema spells it (snake_case or protobufjs' camelCase). */
function stringValueField(): string {
  return 'string_value' in protoRoot().lookupType('google.protobuf.Value').fields ? 'string_value' : 'stringValue';
}

let clientConstructor: grpc.ServiceClientConstructor | undefined;

/** An ADS client class whose deserializer also reports the size of each response on the wire. */
function sizedClientConstructor(): grpc.ServiceClientConstructor {
  if (clientConstructor) return clientConstructor;
  const loaded = loadAdsServiceDefinition();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(loaded)) {
    const deserialize = method.responseDeserialize;
    definition[name] = { ...method, responseDeserialize: (buffer: Buffer): Decoded => ({ bytes: buffer.length, message: deserialize(buffer) as discovery.DeltaDiscoveryResponse }) };
  }
  clientConstructor = grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');
  return clientConstructor;
}

export interface ClientOptions {
  nodeId?: string;
  metadata?: Record<string, string>;
  token?: string;
  /** ACK every response automatically (default true). A function may return a NACK instead. */
  autoAck?: boolean | ((response: discovery.DeltaDiscoveryResponse) => { message: string; details?: { type_url: string; value: Buffer }[] } | undefined);
}

export interface StreamEnd {
  code: grpc.status;
  details: string;
}

/** A Delta ADS client over its own HTTP/2 connection, holding resources per type as a ztunnel does. */
export class DeltaClient {
  readonly client: grpc.Client;
  readonly call: grpc.ClientDuplexStream<unknown, unknown>;
  readonly nodeId: string;
  readonly responses: ReceivedResponse[] = [];
  /** typeUrl -> name -> version held. */
  readonly held = new Map<string, Map<string, string>>();
  /** Resolves with the stream's status when it ends (OK or error). */
  readonly ended: Promise<StreamEnd>;
  endedWith: StreamEnd | undefined;
  private readonly options: ClientOptions;
  private readonly waiters = new Set<() => void>();
  private sentFirst = false;

  constructor(address: string, options: ClientOptions = {}) {
    this.options = options;
    this.nodeId = options.nodeId ?? `ztunnel~10.0.0.1~ztunnel-test.istio-system~istio-system.svc.cluster.local`;
    const Client = sizedClientConstructor();
    this.client = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1, // one HTTP/2 connection per client, as separate ztunnels have
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
    const metadata = new grpc.Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    const method = (this.client as unknown as Record<string, (metadata: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown>>)['DeltaAggregatedResources'];
    if (method === undefined) throw new Error('no DeltaAggregatedResources method on the ADS client');
    this.call = method.call(this.client, metadata);
    this.ended = new Promise<StreamEnd>((resolve) => {
      this.call.on('status', (status: grpc.StatusObject) => {
        this.endedWith ??= { code: status.code, details: status.details };
        resolve(this.endedWith);
        this.notify();
      });
      this.call.on('error', (error: grpc.ServiceError) => {
        this.endedWith ??= { code: error.code, details: error.details };
        resolve(this.endedWith);
        this.notify();
      });
    });
    this.call.on('data', (data: Decoded) => this.onResponse(data));
  }

  private onResponse(data: Decoded): void {
    const message = data.message;
    this.responses.push({ bytes: data.bytes, message, at: performance.now() });
    let held = this.held.get(message.type_url);
    if (held === undefined) {
      held = new Map();
      this.held.set(message.type_url, held);
    }
    const nack = typeof this.options.autoAck === 'function' ? this.options.autoAck(message) : undefined;
    for (const r of message.resources) held.set(r.name, r.version);
    for (const name of message.removed_resources) held.delete(name);
    if (this.options.autoAck !== false) {
      this.send({ type_url: message.type_url, response_nonce: message.nonce, ...(nack ? { error_detail: { code: 3, message: nack.message, details: nack.details ?? [] } } : {}) });
    }
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Sends a request; the first one carries the node. */
  send(request: Partial<discovery.DeltaDiscoveryRequest> & Record<string, unknown>): void {
    const message: Record<string, unknown> = { ...request };
    if (!this.sentFirst && !('node' in message)) {
      message['node'] = {
        id: this.nodeId,
        cluster: 'Kubernetes',
        metadata: { fields: Object.fromEntries(Object.entries(this.options.metadata ?? {}).map(([k, v]) => [k, { [stringValueField()]: v }])) },
      };
    }
    this.sentFirst = true;
    this.call.write(message);
  }

  /** Subscribes to a type (wildcard by default). */
  subscribe(typeUrl: string, names: string[] = [], initialVersions?: Record<string, string>): void {
    this.send({ type_url: typeUrl, resource_names_subscribe: names, ...(initialVersions ? { initial_resource_versions: initialVersions } : {}) });
  }

  /** Resolves when `check` holds (evaluated on each response and at the stream's end), or rejects at the deadline. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        let value: T | undefined | false;
        try {
          value = check();
        } catch (error) {
          cleanup();
          reject(error as Error);
          return true;
        }
        if (value === undefined || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.nodeId}: timed out after ${timeoutMs}ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => void attempt();
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (attempt()) return;
      this.waiters.add(waiter);
    });
  }

  /** Waits for the n-th response (0-based) of a type. */
  response(typeUrl: string, index: number, timeoutMs = 5000): Promise<ReceivedResponse> {
    return this.waitFor(() => this.responses.filter((r) => r.message.type_url === typeUrl)[index], timeoutMs, `response #${index} of ${typeUrl}`);
  }

  responsesOf(typeUrl: string): ReceivedResponse[] {
    return this.responses.filter((r) => r.message.type_url === typeUrl);
  }

  version(typeUrl: string, name: string): string | undefined {
    return this.held.get(typeUrl)?.get(name);
  }

  count(typeUrl: string): number {
    return this.held.get(typeUrl)?.size ?? 0;
  }

  close(): void {
    try {
      this.call.cancel();
    } catch {
      // already ended
    }
    this.client.close();
  }
}

/** Decodes a received resource body (for tests that look inside). */
export function decodeAddress(body: Uint8Array): { workload?: { uid: string } } {
  return decodeMessage('istio.workload.Address', body);
}

/** The value of a counter/gauge series in a registry. */
export async function metricValue(registry: prom.Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  let total = 0;
  for (const v of data.values) {
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, val]) => String(l[k]) === val) && !('le' in l)) total += v.value;
  }
  return total;
}

/** Polls server-side state with a deadline (for state no client event announces). */
export function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  return waitFor(check, { timeoutMs, what, intervalMs: 2, maxIntervalMs: 20 });
}
