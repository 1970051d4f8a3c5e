// NetworkPolicy (and Calico policy) conformance in the kernel, modelled on the upstream
// Kubernetes e2e netpol suite: one `ambit lab` with two nodes and the x/y/z cluster
// (examples/xyz/cluster.yaml, pods spread over both nodes so same-node and cross-node pairs are
// both exercised); every case of cases.ts runs in sequence in that one lab. Per step: apply the
// YAML (`lab apply` returns once the control plane and every node's agent have the change in the
// kernel), probe all 72 ordered pairs of different pods by pod IP on TCP/UDP x 80/81 (one probe
// process per source pod, all its probes concurrent), compare with the hand-written table,
// re-probe only the disagreeing cells a bounded number of times, then print the grid of cells
// that still differ. After each case its objects are deleted and changed labels restored.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResources } from '@ambit/api';
import { labApply, labDown, labStatus, labUp, type PodStatusEntry, type ProbeResult, type ProbeSpec } from '@ambit/lab';
import { REPO, ambitJson, labName, leftovers } from '../helpers.ts';
import { CASES, namespaceDoc, podDoc, type CaseEnv, type NetpolCase } from './cases.ts';
import { PODS, PORT_PROTOCOLS, Reachability, diffCells, formatGrid, ppKey, type PortProtocol } from './truth-table.ts';

const LAB = labName('netpol');
/** Allowed connects between pods of this host take well under 5 ms; a denied one runs into this. */
const PROBE_TIMEOUT_MS = 400;
/** Cells that disagree are probed again this many times (upstream retries until its timeout). */
const RETRIES = 3;

let dir = '';
let pods = new Map<string, PodStatusEntry>();
let fileSeq = 0;
const probers = new Map<string, Prober>();

/**
 * One long-lived probe process per source pod, inside its network namespace, running the lab's
 * own probe library (@ambit/workload runProbes, as `ambit lab probe` does) on JSON lines: a fresh
 * process per matrix costs ~0.3 s of CPU each, which on 2 cores dominated a step.
 */
class Prober {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (results: ProbeResult[]) => void>();
  private seq = 0;
  private readonly stderr: string[] = [];

  private readonly pod: PodStatusEntry;

  constructor(pod: PodStatusEntry) {
    this.pod = pod;
    const workload = import.meta.resolve('@ambit/workload');
    const script = [
      `import { runProbes } from ${JSON.stringify(workload)};`,
      "import { createInterface } from 'node:readline';",
      'createInterface({ input: process.stdin }).on("line", (line) => {',
      '  const { id, from, probes } = JSON.parse(line);',
      '  runProbes({ from, probes }, { concurrency: 256 }).then((results) => process.stdout.write(JSON.stringify({ id, results }) + "\\n"));',
      '});',
    ].join('\n');
    this.child = spawn('ip', ['netns', 'exec', pod.netns, process.execPath, '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '16' } });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const { id, results } = JSON.parse(line) as { id: number; results: ProbeResult[] };
      this.pending.get(id)?.(results);
      this.pending.delete(id);
    });
    this.child.stderr.on('data', (c: Buffer) => this.stderr.push(c.toString('utf8')));
  }

  run(probes: ProbeSpec[]): Promise<ProbeResult[]> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`prober of ${this.pod.namespace}/${this.pod.name} did not answer: ${this.stderr.join('').slice(0, 500)}`)), 15_000);
      this.pending.set(id, (results) => {
        clearTimeout(timer);
        resolve(results);
      });
      this.child.stdin.write(`${JSON.stringify({ id, from: `${this.pod.namespace}/${this.pod.name}`, probes })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    await exited;
  }
}

async function yamlFile(text: string): Promise<string> {
  const path = join(dir, `step-${++fileSeq}.yaml`);
  await writeFile(path, text);
  return path;
}

const splitDocs = (yaml: string): string[] => yaml.split(/^---\s*$/m).map((d) => d.trim()).filter((d) => d !== '');

function docKey(doc: string): { key: string; kind: string; name: string; namespace: string | undefined } {
  const { resources, problems } = parseResources([{ path: 'case.yaml', text: doc }]);
  const r = resources[0];
  assert.ok(r, `case document does not parse: ${problems.map((p) => p.message).join('; ')}\n${doc}`);
  return { key: `${r.apiVersion}/${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, kind: r.kind, name: r.metadata.name, namespace: r.metadata.namespace };
}

/**
 * Probes the given cells (all 72 when `cells` is absent) for every (port, protocol) in `pps`:
 * one process per source pod, all of its probes at once, every source in parallel.
 */
async function probe(pps: readonly PortProtocol[], cells?: Array<{ from: string; to: string; pp: PortProtocol }>): Promise<Map<string, boolean>> {
  const wanted = cells ?? PODS.flatMap((from) => PODS.filter((to) => to !== from).flatMap((to) => pps.map((pp) => ({ from, to, pp }))));
  const bySource = new Map<string, typeof wanted>();
  for (const cell of wanted) bySource.set(cell.from, [...(bySource.get(cell.from) ?? []), cell]);
  const results = new Map<string, boolean>();
  await Promise.all(
    [...bySource].map(async ([from, list]) => {
      const prober = probers.get(from);
      assert.ok(prober);
      const specs: ProbeSpec[] = list.map((c) => ({ to: `${pods.get(c.to)?.ip ?? '0.0.0.0'}:${c.pp.port}`, protocol: c.pp.protocol, timeoutMs: PROBE_TIMEOUT_MS }));
      const answers = await prober.run(specs);
      list.forEach((c, i) => results.set(`${ppKey(c.pp)} ${c.from}>${c.to}`, answers[i]?.connected ?? false));
    }),
  );
  return results;
}

interface StepOutcome {
  failures: string[];
  retried: number;
}

async function verify(where: string, expect: (r: Reachability, pp: PortProtocol) => void): Promise<StepOutcome> {
  const expected = new Map(PORT_PROTOCOLS.map((pp) => [ppKey(pp), (() => { const r = new Reachability(); expect(r, pp); return r; })()]));
  const observed = await probe(PORT_PROTOCOLS);
  const table = (pp: PortProtocol): Reachability => {
    const r = new Reachability();
    for (const from of PODS) for (const to of PODS) if (from !== to) r.set(from, to, observed.get(`${ppKey(pp)} ${from}>${to}`) ?? false);
    return r;
  };
  let retried = 0;
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const wrong = PORT_PROTOCOLS.flatMap((pp) => diffCells(expected.get(ppKey(pp)) as Reachability, table(pp)).map((d) => ({ from: d.from, to: d.to, pp })));
    if (wrong.length === 0) break;
    retried += wrong.length;
    const again = await probe(PORT_PROTOCOLS, wrong);
    for (const [key, value] of again) observed.set(key, value);
  }
  const failures: string[] = [];
  for (const pp of PORT_PROTOCOLS) {
    const e = expected.get(ppKey(pp)) as Reachability;
    const o = table(pp);
    const diffs = diffCells(e, o);
    if (diffs.length > 0) failures.push(formatGrid(`${where} ${ppKey(pp)}: ${diffs.length} wrong cell(s) after ${RETRIES} re-probes`, e, o));
  }
  return { failures, retried };
}

async function runCase(c: NetpolCase, log: (line: string) => void): Promise<void> {
  const env: CaseEnv = { ip: (pod) => pods.get(pod)?.ip ?? '0.0.0.0' };
  const live = new Map<string, { doc: string; kind: string }>();
  const relabelled = new Set<string>();
  const failures: string[] = [];
  try {
    for (const [i, step] of c.steps.entries()) {
      const where = `step ${i + 1} (${step.name})`;
      const started = performance.now();
      if (step.apply) {
        const text = step.apply(env);
        for (const doc of splitDocs(text)) {
          const k = docKey(doc);
          if (k.kind === 'Namespace') relabelled.add(`ns:${k.name}`);
          else if (k.kind === 'Pod') relabelled.add(`pod:${k.namespace ?? ''}/${k.name}`);
          else live.set(k.key, { doc, kind: k.kind });
        }
        await labApply(LAB, [await yamlFile(text)], 'apply');
      }
      if (step.delete) {
        const text = step.delete(env);
        for (const doc of splitDocs(text)) live.delete(docKey(doc).key);
        await labApply(LAB, [await yamlFile(text)], 'delete');
      }
      const applied = performance.now();
      const outcome = await verify(where, step.expect);
      failures.push(...outcome.failures);
      log(`${where}: apply ${Math.round(applied - started)} ms, probe ${Math.round(performance.now() - applied)} ms${outcome.retried > 0 ? `, ${outcome.retried} cell(s) re-probed` : ''}`);
    }
  } finally {
    // Policies first, Tiers last; then the original labels of anything relabelled.
    const docs = [...live.values()].sort((a, b) => Number(a.kind === 'Tier') - Number(b.kind === 'Tier')).map((d) => d.doc);
    if (docs.length > 0) await labApply(LAB, [await yamlFile(docs.join('\n---\n'))], 'delete');
    const restore = [...relabelled].map((r) => (r.startsWith('ns:') ? namespaceDoc(r.slice(3)) : podDoc(r.slice(4))));
    if (restore.length > 0) await labApply(LAB, [await yamlFile(restore.join('---\n'))], 'apply');
  }
  if (failures.length > 0) assert.fail(`\n${failures.join('\n\n')}`);
}

describe('NetworkPolicy conformance in an ambit lab (x/y/z, 2 nodes, TCP/UDP 80/81)', () => {
  const suiteStart = performance.now();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-netpol-'));
    const status = await labUp({ name: LAB, nodes: 2, files: [`${REPO}examples/xyz/cluster.yaml`] });
    pods = new Map(status.pods.filter((p) => PODS.includes(`${p.namespace}/${p.name}`)).map((p) => [`${p.namespace}/${p.name}`, p]));
    for (const [key, pod] of pods) probers.set(key, new Prober(pod));
  });

  after(async () => {
    await Promise.all([...probers.values()].map((p) => p.stop()));
    await labDown(LAB).catch(() => undefined);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('the nine pods are ready, with addresses, spread over both nodes', async () => {
    assert.deepEqual([...pods.keys()].sort(), [...PODS]);
    for (const p of pods.values()) assert.ok(p.ready && p.ip, `${p.namespace}/${p.name} ready with an IP`);
    assert.equal(new Set([...pods.values()].map((p) => p.node)).size, 2, 'pods on both nodes: same-node and cross-node pairs');
    const status = await labStatus(LAB);
    assert.ok(status.components.every((c) => c.ready));
  });

  // NETPOL_CASES=substring[,substring] narrows the run while debugging; the default is every case.
  const only = process.env['NETPOL_CASES']?.split(',').filter((s) => s !== '');
  for (const c of CASES.filter((x) => only === undefined || only.some((s) => x.name.includes(s)))) {
    test(`${c.kind}: ${c.name}`, async (t) => {
      const started = performance.now();
      try {
        await runCase(c, (line) => t.diagnostic(line));
      } finally {
        t.diagnostic(`${c.name}: ${Math.round(performance.now() - started)} ms (mirrors: ${c.upstream})`);
      }
    });
  }

  test('`ambit lab probe --matrix` (the CLI users run) shows the same tables for a case', async () => {
    const c = CASES.find((x) => x.name === 'default-deny-ingress');
    const step = c?.steps[0];
    assert.ok(c && step?.apply, 'the default-deny-ingress case exists');
    const env: CaseEnv = { ip: (pod) => pods.get(pod)?.ip ?? '0.0.0.0' };
    const file = await yamlFile(step.apply(env));
    await labApply(LAB, [file], 'apply');
    try {
      for (const pp of [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }] as const) {
        const expected = new Reachability();
        step.expect(expected, pp);
        let diffs: ReturnType<typeof diffCells> = [];
        let observed = new Reachability();
        for (let attempt = 0; attempt < RETRIES; attempt++) {
          const cli = await ambitJson<{ matrix: Record<string, Record<string, boolean>> }>(['lab', 'probe', '--name', LAB, '--matrix', '--port', String(pp.port), '--protocol', pp.protocol, '--namespaces', 'x,y,z', '--timeout', `${PROBE_TIMEOUT_MS}ms`, '-o', 'json']);
          observed = new Reachability();
          for (const from of PODS) for (const to of PODS) if (from !== to) observed.set(from, to, cli.matrix[from]?.[to] ?? false);
          diffs = diffCells(expected, observed);
          if (diffs.length === 0) break;
        }
        assert.deepEqual(diffs, [], formatGrid(`CLI matrix ${ppKey(pp)}`, expected, observed));
      }
    } finally {
      await labApply(LAB, [file], 'delete');
    }
  });

  test('suite time', (t) => {
    t.diagnostic(`all cases: ${Math.round((performance.now() - suiteStart) / 1000)} s`);
  });
});
