// One benchmark run: a lab with the same pods unmeshed, meshed, and meshed behind a waypoint, a C
// origin in each server pod, a haproxy mTLS pair between the unmeshed pods, then every figure
// measured for every path side by side, in interleaved rounds (the path order rotates each round)
// so drift of a shared 2-core machine hits every path alike. Medians over rounds are reported by
// report.ts.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type BenchLab, type Namespace } from './lab.ts';
import { IPERF_PORT, ORIGIN_PORT, PAIR, makeCertificates, writeInboundConfig, writeOriginConfig, writeOutboundConfig } from './peer.ts';
import { Processes, pinProcess, runIn, usage, waitListening, watch } from './proc.ts';
import { connectionRate, iperf3, latencyAtRate, requestRate, type Latency, type Target } from './tools.ts';
import { waitWaypointInPath, waypointRequests } from './waypoint.ts';

/** Paths measured: (a) direct, (b) two ztunnels over HBONE, (c) ztunnels and a waypoint, (d) the haproxy mTLS pair. */
export const PATHS = ['direct', 'ztunnel', 'waypoint', 'haproxy'] as const;
export type PathId = (typeof PATHS)[number];

export const FIGURES = ['bulk1', 'bulk8', 'connRate', 'rps1', 'rps16', 'rps64'] as const;
export type FigureId = (typeof FIGURES)[number];

/**
 * Whether a figure is measured on a path. Bulk TCP (iperf3) is not, through the waypoint: the
 * waypoint terminates HTTP and routes requests, so a raw byte stream to an HTTP port is not a
 * workload it carries (a tcp_proxy chain would be, but that is path (b) with one more hop).
 */
export function measured(figure: FigureId, path: PathId): boolean {
  return !(path === 'waypoint' && figure.startsWith('bulk'));
}

export interface RunOptions {
  labName: string;
  /** length of each bulk, connection-rate and request-rate phase */
  seconds: number;
  /** length of the fixed-rate latency phase */
  latencySeconds: number;
  /** requests per second of the latency phase (below saturation) */
  latencyRate: number;
  rounds: number;
  /** smoke: a fixed small number of requests instead of timed request phases; only "did it move" matters */
  smoke: boolean;
  /** pin load generator and origins to core 0, proxies (ztunnels, waypoint, haproxy pair) to core 1 */
  pin: boolean;
  log: (line: string) => void;
}

export interface ProcessCost {
  /** which process: e.g. "ztunnel node-2 (client side)", "waypoint node-1" */
  name: string;
  /** CPU seconds per 1,000 requests in the latency phase, one value per round */
  cpuPer1000: number[];
  /** highest RSS sampled in the latency phase, MB, one value per round */
  peakRssMb: number[];
  /** CPU microseconds per new connection in the connection-rate phase (wrk, `Connection: close`), one value per round */
  cpuPerConnUs: number[];
}

export interface Results {
  options: Omit<RunOptions, 'log'>;
  startedAt: Date;
  finishedAt: Date;
  /** per figure and path: one value per round (Gbit/s, connections/s or requests/s); empty where not `measured` */
  figures: Record<FigureId, Record<PathId, number[]>>;
  /** per path: what moved in total (bytes for bulk, completed requests otherwise), for the smoke test */
  moved: Record<PathId, { bytes: number; requests: number; failed: number }>;
  latency: Record<PathId, Latency[]>;
  /** per proxied path, its proxies in order: (b) and (c) client-side ztunnel, server-side ztunnel, then (c) the waypoint; (d) outbound, inbound */
  cost: Record<Exclude<PathId, 'direct'>, ProcessCost[]>;
  /** idle RSS of every lab component (named `<kind> <node>`, e.g. "waypoint node-1") and every process the harness started */
  idle: Array<{ name: string; rssMb: number }>;
  /** VmHWM of each proxy process at the end of the run (lifetime peak, MB) */
  lifetimePeakMb: Array<{ name: string; peakMb: number }>;
  /** requests of path (c) answered 200 that the waypoint itself counted (istio_requests_total) over the whole run, warm-up included */
  waypointCounted: number;
  /** size of the waypoint pod's log at the end of the run (it writes an access-log line per request), bytes; NaN if unreadable */
  waypointLogBytes: number;
}

const GENERATOR_CPU = 0;
const PROXY_CPU = 1;

interface PathSetup {
  http: Target;
  url: string;
  /** iperf3 client target and the netns of the server pod whose iperf3 server it reaches; null where bulk is not `measured` */
  bulk: { target: Target; serverNetns: string } | null;
}

function paths(lab: BenchLab): Record<PathId, PathSetup> {
  const plain = (ns: Namespace): PathSetup => ({
    http: { netns: lab.netns(ns, 'client'), host: lab.serverIp(ns), port: ORIGIN_PORT },
    url: `http://${lab.serverIp(ns)}:${ORIGIN_PORT}/`,
    bulk: { target: { netns: lab.netns(ns, 'client'), host: lab.serverIp(ns), port: IPERF_PORT }, serverNetns: lab.netns(ns, 'server') },
  });
  return {
    direct: plain('direct'),
    ztunnel: plain('mesh'),
    // To the Service's ClusterIP: the client ztunnel sends what is bound for a Service with a
    // waypoint to the waypoint (a pod IP would bypass it, as in Istio's service-addressed waypoints).
    waypoint: {
      http: { netns: lab.netns('l7', 'client'), host: lab.l7ServiceIp, port: ORIGIN_PORT },
      url: `http://${lab.l7ServiceIp}:${ORIGIN_PORT}/`,
      bulk: null,
    },
    haproxy: {
      http: { netns: lab.netns('direct', 'client'), host: '127.0.0.1', port: PAIR.httpOut },
      url: `http://127.0.0.1:${PAIR.httpOut}/`,
      bulk: { target: { netns: lab.netns('direct', 'client'), host: '127.0.0.1', port: PAIR.iperfOut }, serverNetns: lab.netns('direct', 'server') },
    },
  };
}

const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length] as T);

/**
 * `net.ipv4.tcp_tw_reuse=1` in every client pod (the load generator's side only, all paths alike),
 * as load generators are usually run. wrk closes each `Connection: close` exchange as soon as the
 * response is parsed. Behind a proxy, the FIN comes a moment after the last bytes. wrk then closes
 * first, and its port keeps a TIME_WAIT for 60 s. At 1,500 connections/s its 28,232 ephemeral ports
 * are full within 20 s, and every connect() searches them: perf showed wrk's CPU in
 * `__inet_hash_connect`/`__inet_check_established`, and the rate fell to about 400/s for every
 * proxied path. The direct path never hits it (the origin sends its FIN with the data). With reuse,
 * a TIME_WAIT port is taken again when TCP timestamps show it is safe.
 */
export async function allowTimeWaitReuse(lab: BenchLab, log: (line: string) => void): Promise<void> {
  for (const ns of ['direct', 'mesh', 'l7'] as const) {
    const result = await runIn(lab.netns(ns, 'client'), 'sysctl', ['-w', 'net.ipv4.tcp_tw_reuse=1'], { timeoutMs: 5000 });
    if (result.code !== 0) throw new Error(`sysctl net.ipv4.tcp_tw_reuse=1 in ${lab.netns(ns, 'client')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  log('client pods: net.ipv4.tcp_tw_reuse=1 (the load generator reuses its TIME_WAIT ports; all paths alike)');
}

export async function runBench(options: RunOptions): Promise<Results> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-mesh-'));
  const procs = new Processes();
  const startedAt = new Date();
  const gen = options.pin ? GENERATOR_CPU : undefined;
  const proxyCpu = options.pin ? PROXY_CPU : undefined;
  try {
    log(`lab up ${options.labName} (2 nodes; pods direct/{client,server}, mesh/{client,server}, l7/{client,server} and the l7 waypoint)`);
    const lab = await startLab(options.labName, dir);
    await allowTimeWaitReuse(lab, log);
    await makeCertificates(dir);
    const origin = await writeOriginConfig(dir);
    const started: Array<{ name: string; child: ChildProcess }> = [];
    for (const ns of ['direct', 'mesh', 'l7'] as const) {
      started.push({ name: `haproxy origin (${ns}/server)`, child: procs.start(lab.netns(ns, 'server'), 'haproxy', ['-db', '-f', origin], gen) });
    }
    const outbound = procs.start(lab.netns('direct', 'client'), 'haproxy', ['-db', '-f', await writeOutboundConfig(dir, lab.serverIp('direct'))], proxyCpu);
    const inbound = procs.start(lab.netns('direct', 'server'), 'haproxy', ['-db', '-f', await writeInboundConfig(dir)], proxyCpu);
    await Promise.all([
      waitListening(lab.netns('direct', 'server'), ORIGIN_PORT),
      waitListening(lab.netns('mesh', 'server'), ORIGIN_PORT),
      waitListening(lab.netns('l7', 'server'), ORIGIN_PORT),
      waitListening(lab.netns('direct', 'client'), PAIR.httpOut),
      waitListening(lab.netns('direct', 'server'), PAIR.httpIn),
    ]);
    const ztunnels = lab.components
      .filter((c) => c.kind === 'ztunnel')
      .sort((a, b) => String(b.node).localeCompare(String(a.node)))
      .map((c) => ({ name: `ztunnel ${c.node} (${c.node === 'node-2' ? 'client' : 'server'} side)`, pid: c.pid }));
    if (ztunnels.length !== 2) throw new Error(`expected 2 ztunnels, lab reports ${ztunnels.length}`);
    const waypoint = { name: `waypoint ${lab.waypoint.node}`, pid: lab.waypoint.pid };
    const pair = [
      { name: 'haproxy outbound (client pod)', pid: outbound.pid ?? 0 },
      { name: 'haproxy inbound (server pod)', pid: inbound.pid ?? 0 },
    ];
    if (options.pin) {
      for (const p of [...ztunnels, waypoint]) await pinProcess(p.pid, PROXY_CPU);
      log(`pinned: load generators and origins on CPU ${GENERATOR_CPU} (taskset -c ${GENERATOR_CPU}), both ztunnels, the waypoint and both haproxy pair processes on CPU ${PROXY_CPU} (taskset -a -p -c ${PROXY_CPU} / taskset -c ${PROXY_CPU})`);
    }

    const idle: Results['idle'] = [];
    for (const c of lab.components) idle.push({ name: `${c.kind}${c.node ? ` ${c.node}` : ''}`, rssMb: (await usage(c.pid)).rssMb });
    for (const p of pair) idle.push({ name: p.name, rssMb: (await usage(p.pid)).rssMb });
    for (const s of started) idle.push({ name: s.name, rssMb: (await usage(s.child.pid ?? 0)).rssMb });

    const setups = paths(lab);
    const perPath = <T>(make: () => T): Record<PathId, T> => ({ direct: make(), ztunnel: make(), waypoint: make(), haproxy: make() });
    const figures = Object.fromEntries(FIGURES.map((f) => [f, perPath((): number[] => [])])) as Results['figures'];
    const moved: Results['moved'] = perPath(() => ({ bytes: 0, requests: 0, failed: 0 }));
    const latency: Results['latency'] = perPath((): Latency[] => []);
    const watchedBy: Record<PathId, Array<{ name: string; pid: number }>> = { direct: [], ztunnel: ztunnels, waypoint: [...ztunnels, waypoint], haproxy: pair };
    const costOf = (path: Exclude<PathId, 'direct'>): ProcessCost[] => watchedBy[path].map((p) => ({ name: p.name, cpuPer1000: [], peakRssMb: [], cpuPerConnUs: [] }));
    const cost: Results['cost'] = { ztunnel: costOf('ztunnel'), waypoint: costOf('waypoint'), haproxy: costOf('haproxy') };

    // The waypoint is in path (c) only once the client ztunnel sends the Service to it and the
    // waypoint has its routes and endpoints: wait for its own counter before timing anything.
    const inPathMs = await waitWaypointInPath(lab.netns('l7', 'client'), setups.waypoint.url, lab.waypoint.netns);
    log(`waypoint l7/${lab.waypoint.pod} (${lab.waypoint.node}) counted a request of path (c) ${(inPathMs / 1000).toFixed(1)} s after the origins were up`);
    // Every path must answer before anything is timed (also warms the HBONE pool and JIT).
    for (const path of PATHS) {
      const check = await requestRate(setups[path].http, setups[path].url, { seconds: 5, concurrency: 1, requests: 20, cpu: gen });
      if (check.done === 0 || check.failed > 0) throw new Error(`path ${path} does not work: ${check.done} requests done, ${check.failed} failed`);
    }

    const bulk = async (path: PathId, parallel: number): Promise<number> => {
      const setup = setups[path].bulk;
      if (!setup) throw new Error(`path ${path} has no bulk target (bulk is not measured on it)`);
      const server = procs.start(setup.serverNetns, 'iperf3', ['-s', '-1', '-p', String(IPERF_PORT)], gen);
      try {
        await waitListening(setup.serverNetns, IPERF_PORT);
        const r = await iperf3(setup.target, { seconds: options.seconds, parallel, cpu: gen });
        moved[path].bytes += r.bytes;
        return r.gbps;
      } finally {
        await procs.stop(server, 3000);
      }
    };
    const rps = async (path: PathId, concurrency: number): Promise<number> => {
      const r = await requestRate(setups[path].http, setups[path].url, { seconds: options.seconds, concurrency, cpu: gen, ...(options.smoke ? { requests: 200 } : {}) });
      moved[path].requests += r.done;
      moved[path].failed += r.failed;
      return r.perSecond;
    };
    const measure: Record<FigureId, (path: PathId) => Promise<number>> = {
      bulk1: (p) => bulk(p, 1),
      bulk8: (p) => bulk(p, 8),
      connRate: async (p) => {
        // Each proxy's CPU per connection: a figure that does not depend on how the proxies share cores.
        const { result: r, cpu } = await watch(watchedBy[p].map((w) => w.pid), () => connectionRate(setups[p].http, setups[p].url, { seconds: options.seconds, connections: 8, cpu: gen }));
        moved[p].requests += r.done;
        moved[p].failed += r.failed;
        if (p !== 'direct') cost[p].forEach((c, i) => c.cpuPerConnUs.push(((cpu[i] ?? 0) / Math.max(1, r.done)) * 1e6));
        return r.perSecond;
      },
      rps1: (p) => rps(p, 1),
      rps16: (p) => rps(p, 16),
      rps64: (p) => rps(p, 64),
    };

    for (let round = 0; round < options.rounds; round++) {
      const order = rotate(PATHS, round);
      for (const figure of FIGURES) {
        for (const path of order) {
          if (!measured(figure, path)) continue;
          const value = await measure[figure](path);
          figures[figure][path].push(value);
          log(`round ${round + 1}/${options.rounds} ${figure} ${path}: ${value.toFixed(figure.startsWith('bulk') ? 2 : 0)}`);
        }
      }
      for (const path of order) {
        const setup = setups[path];
        const { result, cpu, peakRssMb } = await watch(
          watchedBy[path].map((w) => w.pid),
          () => latencyAtRate(setup.http, setup.url, { seconds: options.latencySeconds, rate: options.latencyRate, connections: 4, cpu: gen }),
        );
        latency[path].push(result);
        moved[path].requests += result.requests;
        moved[path].failed += result.failed;
        if (path !== 'direct') {
          cost[path].forEach((c, i) => {
            c.cpuPer1000.push(((cpu[i] ?? 0) / Math.max(1, result.requests)) * 1000);
            c.peakRssMb.push(peakRssMb[i] ?? 0);
          });
        }
        log(`round ${round + 1}/${options.rounds} latency ${path} at ${options.latencyRate}/s: p50 ${result.p50.toFixed(3)} p90 ${result.p90.toFixed(3)} p99 ${result.p99.toFixed(3)} ms (${result.requests} requests)`);
      }
    }
    const lifetimePeakMb = [];
    for (const p of [...ztunnels, waypoint, ...pair]) lifetimePeakMb.push({ name: p.name, peakMb: (await usage(p.pid)).peakMb });
    const waypointCounted = await waypointRequests(lab.waypoint.netns);
    log(`the waypoint counted ${waypointCounted} requests of path (c); the load generators completed ${moved.waypoint.requests}`);
    // The lab writes each container's output to logs/pods/<namespace>.<pod>.<container>.log.
    const waypointLog = `/run/ambit/${options.labName}/logs/pods/l7.${lab.waypoint.pod}.istio-proxy.log`;
    const waypointLogBytes = await stat(waypointLog).then(
      (st) => st.size,
      (error: unknown) => {
        log(`cannot read the size of ${waypointLog}: ${String(error)}`);
        return NaN;
      },
    );
    const { log: _log, ...rest } = options;
    return { options: rest, startedAt, finishedAt: new Date(), figures, moved, latency, cost, idle, lifetimePeakMb, waypointCounted, waypointLogBytes };
  } finally {
    await procs.stopAll();
    await stopLab(options.labName);
    await rm(dir, { recursive: true, force: true });
  }
}
