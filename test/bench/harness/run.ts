// One benchmark run: a lab with the same pods unmeshed and meshed, a C origin in each server pod, a
// haproxy mTLS pair between the unmeshed pods, then every figure measured for every path side by
// side, in interleaved rounds (the path order rotates each round) so drift of a shared 2-core
// machine hits every path alike. Medians over rounds are reported by report.ts.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type BenchLab, type Namespace } from './lab.ts';
import { IPERF_PORT, ORIGIN_PORT, PAIR, makeCertificates, writeInboundConfig, writeOriginConfig, writeOutboundConfig } from './peer.ts';
import { Processes, pinProcess, usage, waitListening, watch } from './proc.ts';
import { connectionRate, iperf3, latencyAtRate, requestRate, type Latency, type Target } from './tools.ts';

/** Paths measured: (a) direct, (b) two ztunnels over HBONE, (d) the haproxy mTLS pair. (c) waypoint is not built. */
export const PATHS = ['direct', 'ztunnel', 'haproxy'] as const;
export type PathId = (typeof PATHS)[number];

export const FIGURES = ['bulk1', 'bulk8', 'connRate', 'rps1', 'rps16', 'rps64'] as const;
export type FigureId = (typeof FIGURES)[number];

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
  /** pin load generator and origins to core 0, proxies (ztunnels, haproxy pair) to core 1 */
  pin: boolean;
  log: (line: string) => void;
}

export interface ProcessCost {
  /** which process: e.g. "ztunnel node-2 (client side)" */
  name: string;
  /** CPU seconds per 1,000 requests in the latency phase, one value per round */
  cpuPer1000: number[];
  /** highest RSS sampled in the latency phase, MB, one value per round */
  peakRssMb: number[];
}

export interface Results {
  options: Omit<RunOptions, 'log'>;
  startedAt: Date;
  finishedAt: Date;
  /** per figure and path: one value per round (Gbit/s, connections/s or requests/s) */
  figures: Record<FigureId, Record<PathId, number[]>>;
  /** per path: what moved in total (bytes for bulk, completed requests otherwise), for the smoke test */
  moved: Record<PathId, { bytes: number; requests: number; failed: number }>;
  latency: Record<PathId, Latency[]>;
  cost: Record<Exclude<PathId, 'direct'>, ProcessCost[]>;
  idle: Array<{ name: string; rssMb: number }>;
  /** VmHWM of each proxy process at the end of the run (lifetime peak, MB) */
  lifetimePeakMb: Array<{ name: string; peakMb: number }>;
}

const GENERATOR_CPU = 0;
const PROXY_CPU = 1;

interface PathSetup {
  target: (kind: 'http' | 'iperf') => Target;
  url: string;
  /** netns of the server pod whose iperf3 server this path reaches */
  serverNetns: string;
}

function paths(lab: BenchLab): Record<PathId, PathSetup> {
  const plain = (ns: Namespace): PathSetup => ({
    target: (kind) => ({ netns: lab.netns(ns, 'client'), host: lab.serverIp(ns), port: kind === 'http' ? ORIGIN_PORT : IPERF_PORT }),
    url: `http://${lab.serverIp(ns)}:${ORIGIN_PORT}/`,
    serverNetns: lab.netns(ns, 'server'),
  });
  return {
    direct: plain('direct'),
    ztunnel: plain('mesh'),
    haproxy: {
      target: (kind) => ({ netns: lab.netns('direct', 'client'), host: '127.0.0.1', port: kind === 'http' ? PAIR.httpOut : PAIR.iperfOut }),
      url: `http://127.0.0.1:${PAIR.httpOut}/`,
      serverNetns: lab.netns('direct', 'server'),
    },
  };
}

const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length] as T);

export async function runBench(options: RunOptions): Promise<Results> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-mesh-'));
  const procs = new Processes();
  const startedAt = new Date();
  const gen = options.pin ? GENERATOR_CPU : undefined;
  const proxyCpu = options.pin ? PROXY_CPU : undefined;
  try {
    log(`lab up ${options.labName} (2 nodes; pods direct/{client,server}, mesh/{client,server})`);
    const lab = await startLab(options.labName, dir);
    await makeCertificates(dir);
    const origin = await writeOriginConfig(dir);
    const started: Array<{ name: string; child: ChildProcess }> = [];
    for (const ns of ['direct', 'mesh'] as const) {
      started.push({ name: `haproxy origin (${ns}/server)`, child: procs.start(lab.netns(ns, 'server'), 'haproxy', ['-db', '-f', origin], gen) });
    }
    const outbound = procs.start(lab.netns('direct', 'client'), 'haproxy', ['-db', '-f', await writeOutboundConfig(dir, lab.serverIp('direct'))], proxyCpu);
    const inbound = procs.start(lab.netns('direct', 'server'), 'haproxy', ['-db', '-f', await writeInboundConfig(dir)], proxyCpu);
    await Promise.all([
      waitListening(lab.netns('direct', 'server'), ORIGIN_PORT),
      waitListening(lab.netns('mesh', 'server'), ORIGIN_PORT),
      waitListening(lab.netns('direct', 'client'), PAIR.httpOut),
      waitListening(lab.netns('direct', 'server'), PAIR.httpIn),
    ]);
    const ztunnels = lab.components
      .filter((c) => c.kind === 'ztunnel')
      .sort((a, b) => String(b.node).localeCompare(String(a.node)))
      .map((c) => ({ name: `ztunnel ${c.node} (${c.node === 'node-2' ? 'client' : 'server'} side)`, pid: c.pid }));
    if (ztunnels.length !== 2) throw new Error(`expected 2 ztunnels, lab reports ${ztunnels.length}`);
    const pair = [
      { name: 'haproxy outbound (client pod)', pid: outbound.pid ?? 0 },
      { name: 'haproxy inbound (server pod)', pid: inbound.pid ?? 0 },
    ];
    if (options.pin) {
      for (const z of ztunnels) await pinProcess(z.pid, PROXY_CPU);
      log(`pinned: load generators and origins on CPU ${GENERATOR_CPU} (taskset -c ${GENERATOR_CPU}), both ztunnels and both haproxy pair processes on CPU ${PROXY_CPU} (taskset -a -p -c ${PROXY_CPU} / taskset -c ${PROXY_CPU})`);
    }

    const idle: Results['idle'] = [];
    for (const c of lab.components) idle.push({ name: `${c.kind}${c.node ? ` ${c.node}` : ''}`, rssMb: (await usage(c.pid)).rssMb });
    for (const p of pair) idle.push({ name: p.name, rssMb: (await usage(p.pid)).rssMb });
    for (const s of started) idle.push({ name: s.name, rssMb: (await usage(s.child.pid ?? 0)).rssMb });

    const setups = paths(lab);
    const figures = Object.fromEntries(FIGURES.map((f) => [f, { direct: [], ztunnel: [], haproxy: [] }])) as unknown as Results['figures'];
    const moved: Results['moved'] = { direct: { bytes: 0, requests: 0, failed: 0 }, ztunnel: { bytes: 0, requests: 0, failed: 0 }, haproxy: { bytes: 0, requests: 0, failed: 0 } };
    const latency: Results['latency'] = { direct: [], ztunnel: [], haproxy: [] };
    const cost: Results['cost'] = {
      ztunnel: ztunnels.map((z) => ({ name: z.name, cpuPer1000: [], peakRssMb: [] })),
      haproxy: pair.map((p) => ({ name: p.name, cpuPer1000: [], peakRssMb: [] })),
    };

    // Every path must answer before anything is timed (also warms the HBONE pool and JIT).
    for (const path of PATHS) {
      const check = await requestRate(setups[path].target('http'), setups[path].url, { seconds: 5, concurrency: 1, requests: 20, cpu: gen });
      if (check.done === 0 || check.failed > 0) throw new Error(`path ${path} does not work: ${check.done} requests done, ${check.failed} failed`);
    }

    const bulk = async (path: PathId, parallel: number): Promise<number> => {
      const setup = setups[path];
      const server = procs.start(setup.serverNetns, 'iperf3', ['-s', '-1', '-p', String(IPERF_PORT)], gen);
      try {
        await waitListening(setup.serverNetns, IPERF_PORT);
        const r = await iperf3(setup.target('iperf'), { seconds: options.seconds, parallel, cpu: gen });
        moved[path].bytes += r.bytes;
        return r.gbps;
      } finally {
        await procs.stop(server, 3000);
      }
    };
    const rps = async (path: PathId, concurrency: number): Promise<number> => {
      const r = await requestRate(setups[path].target('http'), setups[path].url, { seconds: options.seconds, concurrency, cpu: gen, ...(options.smoke ? { requests: 200 } : {}) });
      moved[path].requests += r.done;
      moved[path].failed += r.failed;
      return r.perSecond;
    };
    const measure: Record<FigureId, (path: PathId) => Promise<number>> = {
      bulk1: (p) => bulk(p, 1),
      bulk8: (p) => bulk(p, 8),
      connRate: async (p) => {
        const r = await connectionRate(setups[p].target('http'), setups[p].url, { seconds: options.seconds, connections: 8, cpu: gen });
        moved[p].requests += r.done;
        moved[p].failed += r.failed;
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
          const value = await measure[figure](path);
          figures[figure][path].push(value);
          log(`round ${round + 1}/${options.rounds} ${figure} ${path}: ${value.toFixed(figure.startsWith('bulk') ? 2 : 0)}`);
        }
      }
      for (const path of order) {
        const watched = path === 'ztunnel' ? ztunnels : path === 'haproxy' ? pair : [];
        const setup = setups[path];
        const { result, cpu, peakRssMb } = await watch(
          watched.map((w) => w.pid),
          () => latencyAtRate(setup.target('http'), setup.url, { seconds: options.latencySeconds, rate: options.latencyRate, connections: 4, cpu: gen }),
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
    for (const p of [...ztunnels, ...pair]) lifetimePeakMb.push({ name: p.name, peakMb: (await usage(p.pid)).peakMb });
    const { log: _log, ...rest } = options;
    return { options: rest, startedAt, finishedAt: new Date(), figures, moved, latency, cost, idle, lifetimePeakMb };
  } finally {
    await procs.stopAll();
    await stopLab(options.labName);
    await rm(dir, { recursive: true, force: true });
  }
}
