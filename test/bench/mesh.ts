// Benchmark (not a test), the one command for the mesh's data-plane figures: (a) direct pod to pod,
// (b) through the two ztunnels (HBONE), (c) ztunnels + waypoint (the client calls a Service bound to
// an istio-waypoint Gateway; no bulk figures), (d) a haproxy mutual-TLS pair between the same pods;
// bulk throughput (1 and 8 connections), new connections/s, requests/s at 1/16/64 connections with
// 1 KiB bodies, latency at a fixed rate, CPU and RSS of each proxy (ztunnels, waypoint, haproxy),
// idle RSS of each component; then the control-plane and CA benchmarks.
// Needs root and Debian's h2load, wrk, iperf3 and haproxy (scripts/setup.sh installs them).
//
//   pnpm exec node test/bench/mesh.ts                 full run, 3 rounds (about 10 minutes)
//   pnpm exec node test/bench/mesh.ts --quick         1 round of 2 s phases, no control plane (about 1 minute)
//   options: --rounds N --seconds S --latency-seconds S --no-pin --no-control-plane
//            --append-results (append the section to test/bench/RESULTS.md, chart to harness/results.svg)
//            --note "text" (a sentence for the report, e.g. what else ran on the machine)
//
// Writes test/bench/out/mesh.md and test/bench/out/mesh.svg (not committed) and prints the section.
import { spawn } from 'node:child_process';
import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { REPO } from '../e2e/helpers.ts';
import { renderMarkdown, renderSvg, type Extra } from './harness/report.ts';
import { runBench } from './harness/run.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    'latency-seconds': { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-control-plane': { type: 'boolean', default: false },
    'append-results': { type: 'boolean', default: false },
    note: { type: 'string', default: '' },
    name: { type: 'string', default: 'bench' },
  },
});
const quick = args.quick;
const number = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Number(text));

function output(command: string, argv: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...argv], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: String(e) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function machine(): Promise<string> {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const debian = (await readFile('/etc/debian_version', 'utf8').catch(() => '?')).trim();
  return `${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Debian ${debian}, kernel ${release()}, Node ${process.version}`;
}

async function tools(): Promise<string> {
  const first = async (cmd: string, a: string[]): Promise<string> => {
    const r = await output(cmd, a, 10_000);
    return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim())?.trim() ?? `${cmd} ?`;
  };
  return [
    await first('haproxy', ['-v']),
    await first('h2load', ['--version']),
    await first('iperf3', ['--version']),
    (await first('wrk', ['-v'])).replace(/ \[.*$/, ''),
  ].join('; ');
}

const started = Date.now();
const loadBefore = loadavg()[0] ?? 0;
const seconds = number(args.seconds, quick ? 2 : 5);
const results = await runBench({
  labName: args.name,
  seconds,
  latencySeconds: number(args['latency-seconds'], quick ? 2 : 10),
  latencyRate: 1000,
  rounds: number(args.rounds, quick ? 1 : 3),
  smoke: false,
  pin: !args['no-pin'],
  log: (line) => console.error(`bench: ${line}`),
});

const controlPlane: Extra['controlPlane'] = [];
if (!quick && !args['no-control-plane']) {
  const node = 'node_modules/node/bin/node';
  const runs: Array<[string, string[]]> = [
    [node, ['--expose-gc', 'packages/control-plane/bench/model.ts']],
    [node, ['packages/control-plane/bench/xds-push.ts']],
    ['taskset', ['-c', '0', node, 'packages/control-plane/bench/ca-sign.ts', '2', '3']],
  ];
  for (const [cmd, argv] of runs) {
    const t = Date.now();
    const shown = [cmd, ...argv].join(' ');
    console.error(`bench: ${shown}`);
    const r = await output(cmd === node ? process.execPath : cmd, cmd === node ? argv : argv.map((a) => (a === node ? process.execPath : a)), 600_000);
    controlPlane.push({ command: shown, output: r.code === 0 ? r.stdout : `exit ${r.code}\n${r.stdout}\n${r.stderr.slice(-2000)}`, seconds: (Date.now() - t) / 1000 });
  }
}

const shownArgs = process.argv.slice(2).filter((a) => a !== '--append-results');
const extra: Extra = {
  machine: await machine(),
  tools: await tools(),
  command: ['pnpm exec node test/bench/mesh.ts', ...shownArgs].join(' '),
  durationS: (Date.now() - started) / 1000,
  controlPlane,
  note: `${args.note ? `${args.note} ` : ''}Load average (1 min) ${loadBefore.toFixed(1)} at the start and ${(loadavg()[0] ?? 0).toFixed(1)} at the end of the run on ${cpus().length} cores: above about 1.5, other work shared the machine and absolute figures are low; ratios within the run still compare paths.`,
};
const out = `${REPO}test/bench/out`;
await mkdir(out, { recursive: true });
await writeFile(`${out}/mesh.svg`, renderSvg(results));
const markdown = renderMarkdown(results, extra, args['append-results'] ? 'harness/results.svg' : 'mesh.svg');
await writeFile(`${out}/mesh.md`, markdown);
if (args['append-results']) {
  await copyFile(`${out}/mesh.svg`, `${REPO}test/bench/harness/results.svg`);
  await appendFile(`${REPO}test/bench/RESULTS.md`, `\n${markdown}`);
}
console.log(markdown);
