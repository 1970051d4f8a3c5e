// Delta ADS push benchmark (perf-anchors 6.5 (d)): N delta clients in one process, subscribed
// wildcard to a type of R resources served by DeltaAdsServer in a second process; then C single
// resource changes, each timed from the change to every client holding it, and the bytes each
// client received for it compared with the full state.
//
//   cd /work/main && node_modules/node/bin/node packages/control-plane/bench/xds-push.ts \
//       [--clients 500] [--resources 10000] [--changes 20] [--debounce 100]
//
// Not a test: prints a report. `--debounce` is the server's quiet period (istiod's default 100 ms
// is part of convergence; pass 0 to see the transport alone).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadAdsServiceDefinition, TYPE_URL } from '@ambit/xds-types';

const TYPE = TYPE_URL.address;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number`);
  return value;
}

const CLIENTS = arg('clients', 500);
const RESOURCES = arg('resources', 10_000);
const CHANGES = arg('changes', 20);
const DEBOUNCE = arg('debounce', 100);

type ToServer = { kind: 'change'; index: number; version: string } | { kind: 'stats' } | { kind: 'exit' };
type FromServer =
  | { kind: 'ready'; address: string }
  | { kind: 'changed'; index: number }
  | { kind: 'stats'; bytesSent: number; pushes: number; rss: number; heapUsed: number; connected: number };

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Server process

async function runServer(): Promise<void> {
  const { MemorySource, startServer, workload, metricValue } = await import('../test/xds-helpers.ts');
  const source = new MemorySource();
  source.set(TYPE, Array.from({ length: RESOURCES }, (_, i) => workload(i, 'v0')));
  const server = await startServer({ source, debounceMs: DEBOUNCE, maxDebounceMs: Math.max(DEBOUNCE, 10_000) });
  const send = (message: FromServer): void => {
    process.send?.(message);
  };
  process.on('message', (message: ToServer) => {
    void (async () => {
      if (message.kind === 'change') {
        source.set(TYPE, [workload(message.index, message.version)]);
        send({ kind: 'changed', index: message.index });
      } else if (message.kind === 'stats') {
        const memory = process.memoryUsage();
        send({
          kind: 'stats',
          bytesSent: await metricValue(server.registry, 'ambit_control_plane_xds_bytes_sent_total'),
          pushes: await metricValue(server.registry, 'pilot_xds_pushes'),
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          connected: await metricValue(server.registry, 'pilot_xds'),
        });
      } else {
        await server.close();
        process.exit(0);
      }
    })();
  });
  send({ kind: 'ready', address: server.address });
}

// ---------------------------------------------------------------------------------------------
// Clients: a light Delta ADS client that does not decode resource bodies (500 clients x 10k
// resources would measure protobufjs, not the server); it reads names and versions off the wire.

interface Summary {
  bytes: number;
  nonce: string;
  resources: number;
  removed: number;
  /** name -> version, only for small responses (changes). */
  entries: Map<string, string> | undefined;
}

function readVarint(buf: Buffer, pos: { at: number }): number {
  let result = 0;
  let multiplier = 1;
  for (;;) {
    const byte = buf[pos.at++] as number;
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return result;
    multiplier *= 128;
  }
}

/** Reads a DeltaDiscoveryResponse's nonce, resource count and (for small ones) names and versions. */
function summarize(buf: Buffer): Summary {
  const summary: Summary = { bytes: buf.length, nonce: '', resources: 0, removed: 0, entries: undefined };
  const small: [number, number][] = [];
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const key = readVarint(buf, pos);
    const length = readVarint(buf, pos);
    const start = pos.at;
    pos.at += length;
    const field = key >>> 3;
    if (field === 2) {
      summary.resources++;
      if (small.length < 16) small.push([start, length]);
    } else if (field === 5) summary.nonce = buf.toString('utf8', start, start + length);
    else if (field === 6) summary.removed++;
  }
  if (summary.resources <= 16) {
    summary.entries = new Map();
    for (const [start, length] of small) {
      const p = { at: start };
      let name = '';
      let version = '';
      while (p.at < start + length) {
        const key = readVarint(buf, p);
        const len = readVarint(buf, p);
        if (key >>> 3 === 3) name = buf.toString('utf8', p.at, p.at + len);
        if (key >>> 3 === 1) version = buf.toString('utf8', p.at, p.at + len);
        p.at += len;
      }
      summary.entries.set(name, version);
    }
  }
  return summary;
}

interface BenchClient {
  call: grpc.ClientDuplexStream<unknown, Summary>;
  client: grpc.Client;
  received: number;
  initialBytes: number;
  onSummary: ((summary: Summary, at: number) => void) | undefined;
}

function clientConstructor(): grpc.ServiceClientConstructor {
  const loaded = loadAdsServiceDefinition();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(loaded)) definition[name] = { ...method, responseDeserialize: summarize };
  return grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');
}

function connect(Client: grpc.ServiceClientConstructor, address: string, index: number): BenchClient {
  const client = new Client(address, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': 512 * 1024 * 1024,
  });
  const method = (client as unknown as Record<string, (m: grpc.Metadata) => grpc.ClientDuplexStream<unknown, Summary>>)['DeltaAggregatedResources'];
  if (method === undefined) throw new Error('no DeltaAggregatedResources on the client');
  const call = method.call(client, new grpc.Metadata());
  const bench: BenchClient = { call, client, received: 0, initialBytes: 0, onSummary: undefined };
  call.on('data', (summary: Summary) => {
    const at = performance.now();
    if (bench.initialBytes === 0) bench.initialBytes = summary.bytes;
    bench.received += summary.resources;
    call.write({ type_url: TYPE, response_nonce: summary.nonce });
    bench.onSummary?.(summary, at);
  });
  call.on('error', (error: grpc.ServiceError) => {
    if (error.code !== grpc.status.CANCELLED) process.stderr.write(`client ${index}: ${error.message}\n`);
  });
  call.write({
    type_url: TYPE,
    node: { id: `ztunnel~10.1.${index >> 8}.${index & 255}~bench-${index}.istio-system~istio-system.svc.cluster.local`, cluster: 'bench' },
  });
  return bench;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function until(check: () => boolean, timeoutMs: number, what: string, tick: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const wake = (): void => {
      if (check()) {
        clearTimeout(timer);
        resolve();
      }
    };
    tick(wake);
    wake();
  });
}

async function runClients(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server', ...process.argv.slice(2)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: FromServer[] = [];
  let wakeInbox: (() => void) | undefined;
  child.on('message', (m: FromServer) => {
    inbox.push(m);
    wakeInbox?.();
  });
  const receive = async <K extends FromServer['kind']>(kind: K, timeoutMs = 120_000): Promise<Extract<FromServer, { kind: K }>> => {
    let found: FromServer | undefined;
    await until(
      () => {
        const i = inbox.findIndex((m) => m.kind === kind);
        if (i < 0) return false;
        found = inbox.splice(i, 1)[0];
        return true;
      },
      timeoutMs,
      `server message ${kind}`,
      (wake) => (wakeInbox = wake),
    );
    return found as Extract<FromServer, { kind: K }>;
  };
  const toServer = (m: ToServer): void => {
    child.send(m);
  };

  try {
    const { address } = await receive('ready');
    out(`xds-push: ${CLIENTS} delta clients (one process, one HTTP/2 connection each), wildcard on ${RESOURCES} resources of ${TYPE}`);
    out(`server in a second process at ${address}; debounce ${DEBOUNCE} ms, max 10 s, 25 streams per flush turn; node ${process.version}`);

    const Client = clientConstructor();
    const clients: BenchClient[] = [];
    let wakeAll: (() => void) | undefined;
    const syncStarted = performance.now();
    for (let wave = 0; wave < CLIENTS; wave += 50) {
      const batch: BenchClient[] = [];
      for (let i = wave; i < Math.min(CLIENTS, wave + 50); i++) {
        const c = connect(Client, address, i);
        c.onSummary = () => wakeAll?.();
        batch.push(c);
      }
      clients.push(...batch);
      await until(() => batch.every((c) => c.received >= RESOURCES), 300_000, `initial state of clients ${wave}..`, (wake) => (wakeAll = wake));
    }
    const syncMs = performance.now() - syncStarted;
    const initialBytes = clients[0]?.initialBytes ?? 0;
    out(`initial sync: ${CLIENTS} x ${RESOURCES} resources in ${(syncMs / 1000).toFixed(1)} s (connected in waves of 50); full state = ${initialBytes} B per client`);

    const allLatencies: number[] = [];
    const convergence: number[] = [];
    const spreads: number[] = [];
    const bytesPerClient: number[] = [];
    for (let change = 1; change <= CHANGES; change++) {
      const index = (change * 7919) % RESOURCES;
      const name = `Kubernetes//Pod/default/pod-${index}`;
      const version = `bench-${change}`;
      const arrived: number[] = [];
      let bytes = 0;
      let done = 0;
      const started = performance.now();
      for (const c of clients) {
        let seen = false;
        c.onSummary = (summary, at) => {
          if (seen || summary.entries?.get(name) !== version) return;
          seen = true;
          arrived.push(at - started);
          bytes += summary.bytes;
          done++;
          if (done === clients.length) wakeAll?.();
        };
      }
      toServer({ kind: 'change', index, version });
      await until(() => done === clients.length, 60_000, `change ${change} on every client`, (wake) => (wakeAll = wake));
      arrived.sort((a, b) => a - b);
      allLatencies.push(...arrived);
      convergence.push(arrived[arrived.length - 1] as number);
      spreads.push((arrived[arrived.length - 1] as number) - (arrived[0] as number));
      bytesPerClient.push(bytes / clients.length);
    }
    for (const c of clients) c.onSummary = undefined;
    toServer({ kind: 'stats' });
    const stats = await receive('stats');

    convergence.sort((a, b) => a - b);
    spreads.sort((a, b) => a - b);
    allLatencies.sort((a, b) => a - b);
    const ms = (v: number): string => `${v.toFixed(1)} ms`;
    out('');
    out(`convergence (change -> all ${CLIENTS} clients hold it), over ${CHANGES} changes:`);
    out(`  p50 ${ms(percentile(convergence, 50))}   p99 ${ms(percentile(convergence, 99))}   max ${ms(convergence[convergence.length - 1] ?? NaN)}`);
    out(`  of which debounce ${DEBOUNCE} ms; fan-out (first -> last client) p50 ${ms(percentile(spreads, 50))}   max ${ms(spreads[spreads.length - 1] ?? NaN)}`);
    out(`per client (${allLatencies.length} deliveries): p50 ${ms(percentile(allLatencies, 50))}   p99 ${ms(percentile(allLatencies, 99))}`);
    const perChange = bytesPerClient.reduce((a, b) => a + b, 0) / bytesPerClient.length;
    out('');
    out(`bytes per change per client: ${perChange.toFixed(0)} B (one resource; min ${Math.min(...bytesPerClient).toFixed(0)}, max ${Math.max(...bytesPerClient).toFixed(0)})`);
    out(`full state per client:       ${initialBytes} B (${RESOURCES} resources)`);
    out(`ratio full / change:         ${(initialBytes / perChange).toFixed(0)}x   (O(change): ~${(initialBytes / RESOURCES).toFixed(0)} B per resource in the full state)`);
    out('');
    out(`server: ${stats.connected} streams, ${stats.pushes} responses, ${(stats.bytesSent / 1e6).toFixed(1)} MB sent; RSS ${(stats.rss / 1e6).toFixed(0)} MB, heap ${(stats.heapUsed / 1e6).toFixed(0)} MB`);
    for (const c of clients) {
      c.call.cancel();
      c.client.close();
    }
  } finally {
    toServer({ kind: 'exit' });
  }
}

if (process.argv.includes('--server')) await runServer();
else await runClients();
