// Benchmark (not a test): how long `ambit lab up` takes for 2 nodes / 9 pods (the x/y/z cluster)
// and for 4 nodes / 100 pods, and how long the probe matrix takes on each. Runs the real CLI as a
// user would and prints a Markdown table. Needs root.
//   node test/bench/lab-up.ts [--quick]     (--quick: only the 9-pod case)
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { ambit, REPO } from '../e2e/helpers.ts';

function hundredPods(): string {
  const docs = ['apiVersion: v1\nkind: Namespace\nmetadata: { name: bench }'];
  for (const [name, replicas] of [
    ['web', 50],
    ['api', 30],
    ['db', 20],
  ] as const) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: bench }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: c
          image: ambit/workload
          ports: [{ containerPort: 80 }, { containerPort: 80, protocol: UDP }]`);
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: bench }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80 }]`);
  }
  return docs.join('\n---\n') + '\n';
}

async function timed(args: string[]): Promise<number> {
  return (await timedOutput(args)).ms;
}

async function timedOutput(args: string[]): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const result = await ambit(args, 900_000);
  if (result.code !== 0) throw new Error(`ambit ${args.join(' ')} failed: ${result.stderr}`);
  return { ms: performance.now() - start, stdout: result.stdout };
}

interface Row {
  shape: string;
  up: number;
  matrix: number;
  probes: number;
  connected: number;
  down: number;
}

async function measure(shape: string, nodes: number, file: string, pods: number): Promise<Row> {
  const lab = `bench${process.pid % 10000}`;
  try {
    const up = await timed(['lab', 'up', '--name', lab, '--nodes', String(nodes), '-f', file]);
    const matrix = await timedOutput(['lab', 'probe', '--name', lab, '--matrix', '--port', '80', '--timeout', '2s', '-o', 'json']);
    const rows = Object.values((JSON.parse(matrix.stdout) as { matrix: Record<string, Record<string, boolean>> }).matrix);
    const connected = rows.reduce((n, row) => n + Object.values(row).filter(Boolean).length, 0);
    const down = await timed(['lab', 'down', '--name', lab]);
    return { shape, up, matrix: matrix.ms, probes: pods * (pods - 1), connected, down };
  } finally {
    await ambit(['lab', 'down', '--name', lab]);
  }
}

const quick = process.argv.includes('--quick');
const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-'));
try {
  const rows: Row[] = [await measure('2 nodes, 9 pods (x/y/z)', 2, `${REPO}examples/xyz/cluster.yaml`, 9)];
  if (!quick) {
    const file = join(dir, 'hundred.yaml');
    await writeFile(file, hundredPods());
    rows.push(await measure('4 nodes, 100 pods', 4, file, 100));
  }
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown cpu'}; node ${process.version}`);
  console.log('| lab shape | lab up | per pod | probe matrix (TCP 80) | probes connected | per probe | lab down |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const pods = r.shape.startsWith('2') ? 9 : 100;
    console.log(`| ${r.shape} | ${s(r.up)} | ${(r.up / pods).toFixed(0)} ms | ${s(r.matrix)} | ${r.connected}/${r.probes} | ${(r.matrix / r.probes).toFixed(2)} ms | ${s(r.down)} |`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
