// Micro benchmark of the waypoint's request path on 127.0.0.1, real certificates, real HBONE on
// both hops: client tunnels (HBONE, CONNECT VIP:80) -> waypoint (its own process, see
// waypoint-child.ts) -> HBONE -> backend HBONE server -> a local HTTP/1.1 server answering 1 KiB.
// Client and backend live in this process; the waypoint's CPU and memory are read from its process.
//
//   pnpm exec node packages/waypoint/bench/request-path.ts [--roots dirA,dirB] [--connections 64]
//     [--seconds 4] [--rounds 3] [--rate 1000] [--pin] [--child-args="--max-semi-space-size=16"]
//     [--child-env "ACCESS_LOG=off"]
//
// --roots: waypoint package directories to compare (default: this one); a copy of an older commit
// made with `git archive <commit> packages/waypoint | tar -x -C /tmp/base` plus a node_modules
// symlink compares old and new code in the same window. Rounds interleave the roots. Figures:
// closed-loop requests/s at --connections, the waypoint's CPU-s per 1,000 requests (closed loop and
// at a fixed --rate), its RSS at the end of each phase and the peak at the fixed rate.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { createHboneServer, HbonePool, type HboneCredentials } from '@ambit/hbone';
import { CertificateAuthority } from '@ambit/spiffe';
import { BACKEND_ID, CLIENT_ID, TD, WAYPOINT_ID, issue } from '../test/harness.ts';
import type { ChildReply, ChildStart } from './waypoint-child.ts';

const { values: args } = parseArgs({
  options: {
    roots: { type: 'string', default: new URL('..', import.meta.url).pathname.replace(/\/$/, '') },
    connections: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    pin: { type: 'boolean', default: false },
    'child-args': { type: 'string', default: '' },
    'child-env': { type: 'string', default: '' },
  },
});
const roots = args.roots.split(',').filter((r) => r !== '');
const connections = Number(args.connections);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const rate = Number(args.rate);
const HOST = 'bench.default.svc.cluster.local';
const VIP = '10.96.0.50';
const BODY = Buffer.alloc(1024, 'x');

/** The backend pod: an HBONE server in front of a local HTTP/1.1 server with a 1 KiB answer. */
async function startBackend(credentials: HboneCredentials): Promise<{ hbonePort: number; httpPort: number; close(): Promise<void> }> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const httpPort = (server.address() as AddressInfo).port;
  const hbone = createHboneServer({
    credentials,
    onConnect: async () => {
      const socket = net.connect({ host: '127.0.0.1', port: httpPort, noDelay: true });
      socket.on('error', () => {});
      await once(socket, 'connect');
      return { status: 200, upstream: socket };
    },
  });
  const address = await hbone.listen({ host: '127.0.0.1', port: 0 });
  return {
    hbonePort: address.port,
    httpPort,
    close: async () => {
      await hbone.close({ drainMs: 0 });
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A keep-alive HTTP/1.1 client on one tunnel: one request at a time, responses by content-length or chunked. */
class TunnelClient {
  readonly #stream: Duplex;
  readonly #request: Buffer;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: ((status: number) => void) | undefined;
  #failed: ((error: Error) => void) | undefined;

  constructor(stream: Duplex) {
    this.#stream = stream;
    this.#request = Buffer.from(`GET /bench/item?id=1 HTTP/1.1\r\nhost: ${HOST}\r\nuser-agent: request-path-bench\r\naccept: */*\r\n\r\n`);
    stream.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (error: Error): void => this.#failed?.(error);
    stream.on('error', fail);
    stream.on('close', () => fail(new Error('tunnel closed')));
  }

  #parse(): void {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.#buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let total: number;
    if (length !== null) total = end + 4 + Number(length[1]);
    else {
      const last = this.#buffer.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      total = last + 7;
    }
    if (this.#buffer.length < total) return;
    this.#buffer = this.#buffer.subarray(total);
    const resolve = this.#pending;
    this.#pending = undefined;
    resolve?.(status);
  }

  get(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending = resolve;
      this.#failed = reject;
      this.#stream.write(this.#request);
    });
  }

  close(): void {
    this.#stream.destroy();
  }
}

interface Child {
  process: ChildProcess;
  port: number;
  logBytes: () => number;
  usage(gc?: boolean): Promise<Extract<ChildReply, { kind: 'usage' }>>;
  stop(): Promise<void>;
}

async function startChild(root: string, start: ChildStart): Promise<Child> {
  const childArgs = args['child-args'].split(' ').filter((a) => a !== '');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const pair of args['child-env'].split(' ').filter((a) => a !== '')) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const script = new URL('./waypoint-child.ts', import.meta.url).pathname;
  const argv = [...childArgs, script, root];
  // stderr goes to a file, as the lab gives each pod a log file (a pipe read by this busy process
  // would fill and make pino's synchronous writes wait).
  const logFile = join(tmpdir(), `request-path-${process.pid}-${Date.now()}.log`);
  const log = openSync(logFile, 'a');
  const stdio: StdioOptions = ['ignore', 'ignore', log, 'ipc'];
  const child = args.pin ? spawn('taskset', ['-c', '1', process.execPath, ...argv], { stdio, env }) : spawn(process.execPath, argv, { stdio, env });
  closeSync(log);
  const logBytes = (): number => statSync(logFile).size;
  const replies: Array<(reply: ChildReply) => void> = [];
  child.on('message', (reply: ChildReply) => replies.shift()?.(reply));
  child.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`waypoint child exited with ${code}`);
  });
  const next = (): Promise<ChildReply> => new Promise((resolve) => replies.push(resolve));
  const listening = next();
  child.send({ kind: 'start', start });
  const reply = await listening;
  if (reply.kind !== 'listening') throw new Error('child did not start');
  return {
    process: child,
    port: reply.port,
    logBytes,
    usage: async (gc = false) => {
      const r = next();
      child.send({ kind: 'usage', gc });
      return (await r) as Extract<ChildReply, { kind: 'usage' }>;
    },
    stop: async () => {
      const exited = once(child, 'exit').catch(() => {});
      child.send({ kind: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(logFile, { force: true });
    },
  };
}

interface RunFigures {
  rps: number;
  cpuPer1kClosed: number;
  rssClosedMb: number;
  /** Heap after a full GC at the end (NaN without --expose-gc in --child-args). */
  heapRetainedMb: number;
  heapClosedMb: number;
  externalClosedMb: number;
  cpuPer1kRate: number;
  rssRatePeakMb: number;
  logBytesPerRequest: number;
  errors: number;
}

async function runOnce(root: string, ca: CertificateAuthority, backend: { hbonePort: number; httpPort: number }, clientCredentials: HboneCredentials): Promise<RunFigures> {
  const own = await issue(ca, WAYPOINT_ID);
  const child = await startChild(root, { credentials: { keyPem: own.keyPem, certChainPem: own.certChainPem, rootsPem: own.trustBundle.roots.join('\n') }, backendHbonePort: backend.hbonePort, backendHttpPort: backend.httpPort, backendIdentity: BACKEND_ID, host: HOST, vip: VIP });
  const pool = new HbonePool({ connectTimeoutMs: 5000 });
  const tunnel = async (): Promise<TunnelClient> =>
    new TunnelClient(
      await pool.connect({
        key: { sourceIdentity: CLIENT_ID, destinationIdentities: [WAYPOINT_ID], sourceIp: '127.0.0.1', destinationIp: '127.0.0.1' },
        dial: async () => {
          const socket = net.connect({ host: '127.0.0.1', port: child.port, noDelay: true });
          socket.on('error', () => {});
          await once(socket, 'connect');
          return socket;
        },
        credentials: clientCredentials,
        authority: `${VIP}:80`,
      }),
    );
  let errors = 0;
  const clients = await Promise.all(Array.from({ length: connections }, () => tunnel()));
  // Closed loop: every tunnel sends its next request as soon as the last one answered.
  const closedLoop = async (ms: number): Promise<number> => {
    const until = performance.now() + ms;
    let done = 0;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < until) {
          const status = await c.get().catch(() => 0);
          if (status === 200) done++;
          else errors++;
        }
      }),
    );
    return done;
  };
  await closedLoop(1000);
  const cpu0 = await child.usage();
  const log0 = child.logBytes();
  const t0 = performance.now();
  const closedDone = await closedLoop(seconds * 1000);
  const closedSeconds = (performance.now() - t0) / 1000;
  const cpu1 = await child.usage();
  const logPerRequest = (child.logBytes() - log0) / closedDone;
  // Fixed rate over 4 tunnels, paced per millisecond tick (open loop: late answers do not slow the pace).
  const paced = clients.slice(0, 4);
  let rssPeak = 0;
  const sampler = setInterval(() => {
    void child.usage().then((u) => (rssPeak = Math.max(rssPeak, u.rss)));
  }, 250);
  let rateDone = 0;
  const inflight = new Set<Promise<void>>();
  const busy = new Set<TunnelClient>();
  const cpu2 = await child.usage();
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      const c = paced.find((p) => !busy.has(p)) ?? clients.find((p) => !busy.has(p));
      if (c === undefined) break;
      sent++;
      busy.add(c);
      const p: Promise<void> = c.get().then(
        (status) => {
          if (status === 200) rateDone++;
          else errors++;
        },
        () => void errors++,
      ).finally(() => {
        busy.delete(c);
        inflight.delete(p);
      });
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const cpu3 = await child.usage();
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, cpu3.rss);
  const retained = args['child-args'].includes('--expose-gc') ? (await child.usage(true)).heapUsed / 2 ** 20 : Number.NaN;
  for (const c of clients) c.close();
  await pool.close();
  await child.stop();
  return {
    rps: closedDone / closedSeconds,
    cpuPer1kClosed: ((cpu1.cpuMicros - cpu0.cpuMicros) / 1e6 / closedDone) * 1000,
    rssClosedMb: cpu1.rss / 2 ** 20,
    heapRetainedMb: retained,
    heapClosedMb: cpu1.heapUsed / 2 ** 20,
    externalClosedMb: cpu1.external / 2 ** 20,
    cpuPer1kRate: ((cpu3.cpuMicros - cpu2.cpuMicros) / 1e6 / rateDone) * 1000,
    rssRatePeakMb: rssPeak / 2 ** 20,
    logBytesPerRequest: logPerRequest,
    errors,
  };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const ca = await CertificateAuthority.createSelfSigned({ trustDomain: TD, commonName: 'request-path bench root' });
const clientCredentials = await issue(ca, CLIENT_ID);
const backend = await startBackend(await issue(ca, BACKEND_ID));
const results = new Map<string, RunFigures[]>(roots.map((r) => [r, []]));
console.log(`request-path bench: ${connections} connections closed loop ${seconds} s, ${rate} req/s fixed ${seconds} s, ${rounds} rounds, roots ${roots.join(' | ')}${args.pin ? ', waypoint pinned to CPU 1' : ''}${args['child-args'] ? `, child args ${args['child-args']}` : ''}${args['child-env'] ? `, child env ${args['child-env']}` : ''}`);
for (let round = 0; round < rounds; round++) {
  const order = roots.map((_, i) => roots[(i + round) % roots.length] as string);
  for (const root of order) {
    const f = await runOnce(root, ca, backend, clientCredentials);
    (results.get(root) as RunFigures[]).push(f);
    console.log(`  round ${round + 1} ${root}: ${f.rps.toFixed(0)} req/s, ${f.cpuPer1kClosed.toFixed(3)} CPU-s/1k closed, ${f.cpuPer1kRate.toFixed(3)} CPU-s/1k at ${rate}/s, RSS ${f.rssClosedMb.toFixed(1)} MB (heap ${f.heapClosedMb.toFixed(1)}, external ${f.externalClosedMb.toFixed(1)}) after closed loop, heap after GC ${f.heapRetainedMb.toFixed(1)} MB, peak ${f.rssRatePeakMb.toFixed(1)} MB at rate, log ${f.logBytesPerRequest.toFixed(0)} B/req, errors ${f.errors}`);
  }
}
const rows: Array<[string, (f: RunFigures) => number, number]> = [
  ['requests/s closed loop', (f) => f.rps, 0],
  ['waypoint CPU-s per 1,000 requests, closed loop', (f) => f.cpuPer1kClosed, 3],
  [`waypoint CPU-s per 1,000 requests at ${rate} req/s`, (f) => f.cpuPer1kRate, 3],
  ['waypoint RSS after closed loop, MB', (f) => f.rssClosedMb, 1],
  [`waypoint peak RSS at ${rate} req/s, MB`, (f) => f.rssRatePeakMb, 1],
  ['access log bytes per request', (f) => f.logBytesPerRequest, 0],
];
console.log(`\n| figure (median of ${rounds}) | ${roots.join(' | ')} |${roots.length > 1 ? ' ratio last/first |' : ''}`);
console.log(`|---|${roots.map(() => '---|').join('')}${roots.length > 1 ? '---|' : ''}`);
for (const [label, pick, digits] of rows) {
  const values = roots.map((r) => median((results.get(r) as RunFigures[]).map(pick)));
  const ratio = roots.length > 1 && (values[0] as number) !== 0 ? ` ${((values[values.length - 1] as number) / (values[0] as number)).toFixed(2)}x |` : '';
  console.log(`| ${label} | ${values.map((v) => v.toFixed(digits)).join(' | ')} |${ratio}`);
}
await backend.close();
process.exit(0);
