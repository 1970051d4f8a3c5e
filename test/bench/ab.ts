// A/B measurements of the ztunnel path in a lab that stays up between commands, for optimisation
// work (the full side-by-side table is mesh.ts). The lab has the mesh benchmark's pods; the ztunnels
// are pinned to CPU 1 and the load generator and the origin to CPU 0, as in mesh.ts. Change the
// code, `restart` (the lab's supervisor starts the ztunnels again from the current sources), `run`.
//   node test/bench/ab.ts up                                  lab `ab` up, origin in mesh/server
//   node test/bench/ab.ts run [conn,rps1,rps64,lat,bulk1,bulk8] [seconds]
//   node test/bench/ab.ts restart                             new ztunnel processes, waits until a request passes
//   node test/bench/ab.ts down                                origin stopped, lab down
// Each phase prints its rate and each ztunnel's CPU (and CPU per request or connection). Needs root.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ambitJson } from '../e2e/helpers.ts';
import { benchLab, startLab, stopLab, type BenchLab, type Status } from './harness/lab.ts';
import { IPERF_PORT, ORIGIN_PORT, writeOriginConfig } from './harness/peer.ts';
import { pinProcess, runIn, usage } from './harness/proc.ts';
import { allowTimeWaitReuse } from './harness/run.ts';
import { connectionRate, iperf3, latencyAtRate, requestRate, type Target } from './harness/tools.ts';

const LAB = 'ab';
const DIR = '/tmp/ambit-bench-ab';
const GENERATOR_CPU = 0;
const PROXY_CPU = 1;

async function current(): Promise<BenchLab> {
  return benchLab(LAB, await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']));
}

async function up(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const lab = await startLab(LAB, DIR);
  const config = await writeOriginConfig(DIR);
  const origin = await runIn(lab.netns('mesh', 'server'), 'haproxy', ['-D', '-p', `${DIR}/origin.pid`, '-f', config], { cpu: GENERATOR_CPU, timeoutMs: 10_000 });
  if (origin.code !== 0) throw new Error(`origin haproxy did not start: ${origin.stderr}`);
  // As mesh.ts does: wrk would otherwise fill its ephemeral ports with TIME_WAIT (see RESULTS.md).
  await allowTimeWaitReuse(lab, (line) => console.log(line));
  console.log(`lab ${LAB} up; origin on ${lab.serverIp('mesh')}:${ORIGIN_PORT}`);
}

async function down(): Promise<void> {
  try {
    process.kill(Number(readFileSync(`${DIR}/origin.pid`, 'utf8').trim()));
  } catch {
    // not running
  }
  await stopLab(LAB);
  rmSync(DIR, { recursive: true, force: true });
}

async function phase(name: string, target: Target, url: string, seconds: number, lab: BenchLab): Promise<{ text: string; count: number }> {
  if (name === 'conn') {
    const r = await connectionRate(target, url, { seconds, connections: 8, cpu: GENERATOR_CPU });
    return { text: `${r.perSecond.toFixed(0)} connections/s, ${r.failed} failed`, count: r.done };
  }
  if (name.startsWith('rps')) {
    const r = await requestRate(target, url, { seconds, concurrency: Number(name.slice(3)), cpu: GENERATOR_CPU });
    return { text: `${r.perSecond.toFixed(0)} req/s, ${r.failed} failed`, count: r.done };
  }
  if (name === 'lat') {
    const r = await latencyAtRate(target, url, { seconds: seconds * 2, rate: 1000, connections: 4, cpu: GENERATOR_CPU });
    return { text: `p50 ${r.p50.toFixed(3)} p90 ${r.p90.toFixed(3)} p99 ${r.p99.toFixed(3)} ms`, count: r.requests };
  }
  if (name.startsWith('bulk')) {
    const server = await runIn(lab.netns('mesh', 'server'), 'iperf3', ['-s', '-1', '-D', '-p', String(IPERF_PORT)], { cpu: GENERATOR_CPU, timeoutMs: 10_000 });
    if (server.code !== 0) throw new Error(`iperf3 server did not start: ${server.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const r = await iperf3({ ...target, port: IPERF_PORT }, { seconds, parallel: Number(name.slice(4) || 1), cpu: GENERATOR_CPU });
    return { text: `${r.gbps.toFixed(2)} Gbit/s`, count: 0 };
  }
  throw new Error(`unknown phase ${name} (conn, rpsN, lat, bulkN)`);
}

async function run(phases: string[], seconds: number): Promise<void> {
  const lab = await current();
  const ztunnels = lab.components.filter((c) => c.kind === 'ztunnel');
  for (const z of ztunnels) await pinProcess(z.pid, PROXY_CPU);
  const host = lab.serverIp('mesh');
  const target: Target = { netns: lab.netns('mesh', 'client'), host, port: ORIGIN_PORT };
  for (const name of phases) {
    const before = await Promise.all(ztunnels.map((z) => usage(z.pid)));
    const { text, count } = await phase(name, target, `http://${host}:${ORIGIN_PORT}/`, seconds, lab);
    const after = await Promise.all(ztunnels.map((z) => usage(z.pid)));
    const cpu = after.map((a, i) => a.cpu - (before[i]?.cpu ?? 0));
    const each = count > 0 ? `, ${cpu.map((c) => ((c / count) * 1e6).toFixed(1)).join(' / ')} CPU-us each` : '';
    const nodes = ztunnels.map((z) => z.node).join(' / ');
    console.log(`${name}: ${text}; ztunnels (${nodes}) ${cpu.map((c) => c.toFixed(2)).join(' / ')} CPU-s${each}; RSS ${after.map((a) => a.rssMb.toFixed(0)).join(' / ')} MB`);
  }
}

async function restart(): Promise<void> {
  const before = (await current()).components.filter((c) => c.kind === 'ztunnel').map((c) => c.pid);
  for (const pid of before) process.kill(pid, 'SIGTERM');
  const until = Date.now() + 60_000;
  for (let i = 0; i < 120 && Date.now() < until; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lab = await current().catch(() => undefined);
    const now = lab?.components.filter((c) => c.kind === 'ztunnel') ?? [];
    if (!lab || now.length !== before.length || now.some((c) => before.includes(c.pid))) continue;
    const probe = await runIn(lab.netns('mesh', 'client'), 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '2', `http://${lab.serverIp('mesh')}:${ORIGIN_PORT}/`], { timeoutMs: 5000 });
    if (probe.stdout === '200') {
      console.log(`ztunnels restarted: ${now.map((c) => `${c.node} pid ${c.pid}`).join(', ')}`);
      return;
    }
  }
  throw new Error('the ztunnels did not come back within 60 s');
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'up') await up();
else if (command === 'down') await down();
else if (command === 'restart') await restart();
else if (command === 'run') await run((rest[0] ?? 'conn,rps64,lat').split(','), Number(rest[1] ?? 5));
else {
  console.error('usage: node test/bench/ab.ts up | run [phases] [seconds] | restart | down');
  process.exitCode = 2;
}
