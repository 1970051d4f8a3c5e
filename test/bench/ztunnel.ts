// Benchmark (not a test): the ztunnel path against the direct path, measured side by side in one
// lab run. Two namespaces with the same pods (client on node-2, server on node-1): `direct` is not
// enrolled, `mesh` is, so its traffic goes client pod -> ztunnel (node-2) -> HBONE -> ztunnel
// (node-1) -> server pod. Prints a Markdown table with ratios. Needs root.
//   node test/bench/ztunnel.ts [--quick]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { ambit, ambitJson, REPO } from '../e2e/helpers.ts';
import { BENCH_CLUSTER } from './harness/lab.ts';

const quick = process.argv.includes('--quick');
const LAB = `bz${process.pid % 10000}`;
const FIX = `${REPO}test`;

function inPod<T>(ns: string, script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', `ambit-${LAB}.p.${ns}.client`, process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch (error) {
        reject(new Error(`${script} printed ${out}: ${String(error)}`));
      }
    });
  });
}

/** CPU seconds (user+system) and RSS of a process, from /proc. */
async function usage(pid: number): Promise<{ cpu: number; rssMb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpu: ticks / 100, rssMb: rssKb / 1024 };
}

const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-zt-'));
try {
  await writeFile(join(dir, 'cluster.yaml'), BENCH_CLUSTER);
  const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')], 300_000);
  if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  const status = await ambitJson<{ pods: Array<{ namespace: string; name: string; ip: string }>; components: Array<{ kind: string; node: string | null; pid: number | null }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
  const ip = (ns: string): string => status.pods.find((p) => p.namespace === ns && p.name === 'server')?.ip ?? '';
  const ztunnels = status.components.filter((c) => c.kind === 'ztunnel' && c.pid).map((c) => c.pid as number);
  const idle = await Promise.all(ztunnels.map(usage));

  const bytes = quick ? 16 * 1024 * 1024 : 512 * 1024 * 1024;
  const seconds = quick ? '1' : '5';
  const rows: Array<[string, string, string, string]> = [];
  const results: Record<string, Record<string, number>> = {};
  for (const ns of ['direct', 'mesh']) {
    const transfer = await inPod<{ ms: number; intact: boolean }>(ns, `${FIX}/e2e/fixtures/tcp-transfer.ts`, [ip(ns), '80', String(bytes)]);
    if (!transfer.intact) throw new Error(`${ns}: transfer not intact`);
    const before = ns === 'mesh' ? await Promise.all(ztunnels.map(usage)) : [];
    const rate = await inPod<{ perSecond: number; connections: number; errors: number }>(ns, `${FIX}/bench/fixtures/conn-rate.ts`, [ip(ns), '80', seconds, '16']);
    const after = ns === 'mesh' ? await Promise.all(ztunnels.map(usage)) : [];
    const beforeLatency = ns === 'mesh' ? await Promise.all(ztunnels.map(usage)) : [];
    const latency = await inPod<{ p50: number; p90: number; p99: number; samples: number }>(ns, `${FIX}/bench/fixtures/latency.ts`, [ip(ns), '80', '1000', seconds]);
    const afterLatency = ns === 'mesh' ? await Promise.all(ztunnels.map(usage)) : [];
    results[ns] = {
      gbps: (bytes * 2 * 8) / (transfer.ms / 1000) / 1e9,
      conns: rate.perSecond,
      errors: rate.errors,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      cpuPer1000: ns === 'mesh' ? ((after.reduce((s, u) => s + u.cpu, 0) - before.reduce((s, u) => s + u.cpu, 0)) / Math.max(1, rate.connections)) * 1000 : 0,
      cpuPer1000Requests: ns === 'mesh' ? ((afterLatency.reduce((s, u) => s + u.cpu, 0) - beforeLatency.reduce((s, u) => s + u.cpu, 0)) / Math.max(1, latency.samples)) * 1000 / Math.max(1, ztunnels.length) : 0,
    };
  }
  const d = results['direct'] as Record<string, number>;
  const m = results['mesh'] as Record<string, number>;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  rows.push(['bulk TCP, one connection (echo: both directions), Gbit/s', d['gbps']!.toFixed(2), m['gbps']!.toFixed(2), ratio(m['gbps']!, d['gbps']!)]);
  rows.push(['new connections/s (16 workers, full exchange each)', String(d['conns']), String(m['conns']), ratio(m['conns']!, d['conns']!)]);
  rows.push(['latency p50 at 1,000 req/s, ms', d['p50']!.toFixed(3), m['p50']!.toFixed(3), `+${(m['p50']! - d['p50']!).toFixed(3)} ms`]);
  rows.push(['latency p90 at 1,000 req/s, ms', d['p90']!.toFixed(3), m['p90']!.toFixed(3), `+${(m['p90']! - d['p90']!).toFixed(3)} ms`]);
  rows.push(['latency p99 at 1,000 req/s, ms', d['p99']!.toFixed(3), m['p99']!.toFixed(3), `+${(m['p99']! - d['p99']!).toFixed(3)} ms`]);
  const final = await Promise.all(ztunnels.map(usage));
  console.log(`machine: ${cpus().length} cores; node ${process.version}; transfer ${bytes / 1024 / 1024} MiB each way; rate and latency phases ${seconds} s`);
  console.log('| measure | direct (unmeshed) | mesh (two ztunnels, HBONE) | mesh vs direct |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`| ztunnel CPU-seconds per 1,000 new connections (both ztunnels) | - | ${m['cpuPer1000']!.toFixed(3)} | - |`);
  console.log(`| CPU-seconds of one ztunnel per 1,000 requests at 1,000 req/s (average of the two) | - | ${m['cpuPer1000Requests']!.toFixed(3)} | - |`);
  console.log(`| ztunnel RSS idle (after start) / after the run, MB | - | ${idle.map((u) => u.rssMb.toFixed(0)).join(' + ')} / ${final.map((u) => u.rssMb.toFixed(0)).join(' + ')} | - |`);
} finally {
  await ambit(['lab', 'down', '--name', LAB]);
  await rm(dir, { recursive: true, force: true });
}
