// Benchmark (not a test): Kubernetes NetworkPolicy in nftables. Prints a Markdown section with
// figures and ratios; it never asserts timings. Needs root.
//   1. compile + `nft -f` load at scale: a synthetic cluster (50 namespaces x 100 pods, one node
//      holding 110 of them) and 0/100/1,000/5,000 policies, through compileNetworkPolicies and
//      applyNetworkPolicies into a throwaway namespace `ambit-bench-netpol`; plus one incremental
//      change (a policy added, a pod's labels changed) = recompile + reload.
//   2. policy change to enforcement in a 2-node lab: `ambit lab apply` of a deny policy until it
//      returns, and until a probe loop (every ~20 ms from the client pod) first sees the flow dropped.
//   3. an allowed flow (client on node-2 -> server on node-1) with 0 and with 1,000 policies:
//      bulk TCP (iperf3) and new TCP connections/s, as ratios.
//   pnpm exec node test/bench/netpol.ts [--quick] [--only=scale|--only=lab]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { NetworkPolicy, NetworkPolicyPort } from '@ambit/api';
import { applyNetworkPolicies, compileNetworkPolicies, type PolicyPod } from '@ambit/nft';
import { ambit, ambitJson, REPO } from '../e2e/helpers.ts';

const quick = process.argv.includes('--quick');
/** `--only=scale` (figure 1, no lab) or `--only=lab` (figures 2 and 3). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const NETNS = 'ambit-bench-netpol';
const NETNS_PATH = `/run/netns/${NETNS}`;
const LAB = 'ambit-npbench';
const RUNS = quick ? 1 : 5;

const out: string[] = [];
const print = (line = ''): void => {
  out.push(line);
  console.log(line);
};
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const now = (): number => performance.timeOrigin + performance.now();

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const max = (v: number[]): number => Math.max(...v);

/** Runs a command to completion, bounded in time. */
function run(command: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => o.push(c));
    child.stderr.on('data', (c: Buffer) => e.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Synthetic cluster, compile and load

const TIERS = ['web', 'api', 'db', 'cache'];

function syntheticPods(namespaces: number, perNamespace: number): { all: PolicyPod[]; local: PolicyPod[] } {
  const all: PolicyPod[] = [];
  for (let n = 0; n < namespaces; n++) {
    const nsName = `ns-${n}`;
    const namespaceLabels = { 'kubernetes.io/metadata.name': nsName, team: `team-${n % 5}`, env: n % 2 === 0 ? 'prod' : 'staging' };
    for (let i = 0; i < perNamespace; i++) {
      const g = n * perNamespace + i;
      all.push({
        key: `${nsName}/pod-${i}`,
        namespace: nsName,
        labels: { app: `app-${g % 25}`, tier: TIERS[g % 4] ?? 'web', version: `v${g % 3}` },
        namespaceLabels,
        ips: [`10.244.${(g >> 8) & 255}.${g & 255}`],
        namedPorts: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      });
    }
  }
  // One node holds ~110 pods, spread over every namespace (every 45th pod), each with a host veth
  // named as packages/cni/src/plugin/host-veth-name.ts names it.
  const localCount = Math.min(110, Math.ceil(all.length / 45));
  const local = all
    .filter((_, g) => g % 45 === 0)
    .slice(0, localCount)
    .map((p) => ({ ...p, hostVeth: `amb${createHash('sha1').update(`cid-${p.key}/eth0`).digest('hex').slice(0, 11)}` }));
  const byKey = new Map(local.map((p) => [p.key, p]));
  return { all: all.map((p) => byKey.get(p.key) ?? p), local };
}

const port = (p: number | string, protocol: 'TCP' | 'UDP' = 'TCP', endPort?: number): NetworkPolicyPort =>
  endPort === undefined ? { protocol, port: p } : { protocol, port: p, endPort };

/** Policy number `j` of a mix: podSelector, namespaceSelector, both in one peer, ipBlock with except, numbered/named/endPort ports, ingress and egress. */
function syntheticPolicy(j: number, namespaces: number, suffix = ''): NetworkPolicy {
  const ns = `ns-${j % namespaces}`;
  const app = `app-${j % 25}`;
  const other = `app-${(j * 7 + 3) % 25}`;
  const kind = j % 10;
  let spec: NetworkPolicy['spec'];
  const sel = { matchLabels: { app } };
  switch (kind) {
    case 0: // ingress from pods of the namespace, numbered port
      spec = { podSelector: sel, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: other } } }], ports: [port(8080)] }] };
      break;
    case 1: // ingress from namespaces, named port
      spec = { podSelector: sel, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: `team-${j % 5}` } } }], ports: [port('http')] }] };
      break;
    case 2: // both selectors in one peer, port range
      spec = { podSelector: { matchLabels: { tier: TIERS[j % 4] ?? 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { tier: 'web' } } }], ports: [port(9000, 'TCP', 9100)] }] };
      break;
    case 3: // egress to an ipBlock with except
      spec = {
        podSelector: sel,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `172.${16 + (j % 16)}.0.0/16`, except: [`172.${16 + (j % 16)}.${j % 256}.0/24`, `172.${16 + (j % 16)}.255.0/24`] } }], ports: [port(443)] }],
      };
      break;
    case 4: // egress to pods and to DNS in kube-system by namespace name
      spec = {
        podSelector: sel,
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: { tier: 'db' } } }], ports: [port(5432)] },
          { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `ns-${(j + 1) % namespaces}` } } }], ports: [port('dns', 'UDP'), port(53, 'TCP')] },
        ],
      };
      break;
    case 5: // default deny both directions for one app
      spec = { podSelector: sel, policyTypes: ['Ingress', 'Egress'] };
      break;
    case 6: // matchExpressions
      spec = {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [app, other] }] },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] } }], ports: [port('metrics'), port(8080)] }],
      };
      break;
    case 7: // ingress from an ipBlock with except and from pods, any port
      spec = {
        podSelector: sel,
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ ipBlock: { cidr: `192.168.${j % 256}.0/24`, except: [`192.168.${j % 256}.128/25`] } }, { podSelector: { matchLabels: { version: `v${j % 3}` } } }] }],
      };
      break;
    case 8: // ingress and egress in one policy, cross-namespace
      spec = {
        podSelector: { matchLabels: { app, tier: TIERS[(j >> 1) % 4] ?? 'web' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: other } } }], ports: [port(8080), port(8443)] }],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { team: `team-${(j + 2) % 5}` } } }], ports: [port(8080, 'TCP', 8090)] }],
      };
      break;
    default: // allow all ingress on a port from anywhere
      spec = { podSelector: sel, policyTypes: ['Ingress'], ingress: [{ ports: [port(80), port('http')] }] };
  }
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${j}${suffix}`, namespace: ns }, spec, source: { file: 'bench', line: j + 1, col: 1 } } as NetworkPolicy;
}

interface Loaded {
  compileMs: number;
  loadMs: number;
  bytes: number;
  lines: number;
  ruleCount: number;
  elements: number;
}

function countElements(ruleset: string): number {
  let inside = false;
  let n = 0;
  for (const line of ruleset.split('\n')) {
    const t = line.trim();
    if (t === 'elements = {') inside = true;
    else if (inside && t === '}') inside = false;
    else if (inside && t !== '') n++;
  }
  return n;
}

async function compileAndLoad(local: PolicyPod[], all: PolicyPod[], policies: NetworkPolicy[]): Promise<Loaded> {
  const c0 = performance.now();
  const compiled = compileNetworkPolicies({ localPods: local, allPods: all, policies });
  const c1 = performance.now();
  await applyNetworkPolicies(NETNS_PATH, compiled.ruleset);
  const c2 = performance.now();
  return { compileMs: c1 - c0, loadMs: c2 - c1, bytes: Buffer.byteLength(compiled.ruleset), lines: compiled.ruleset.split('\n').length, ruleCount: compiled.ruleCount, elements: countElements(compiled.ruleset) };
}

/** Rules and set/map elements as the kernel holds them (`nft -j list table`). */
async function kernelCounts(): Promise<{ rules: number; elements: number }> {
  const listed = await run('ip', ['netns', 'exec', NETNS, 'nft', '-j', 'list', 'table', 'inet', 'ambit-netpol'], 120_000);
  if (listed.code !== 0) throw new Error(`nft list failed: ${listed.stderr}`);
  const items = (JSON.parse(listed.stdout) as { nftables: Array<Record<string, { elem?: unknown[] }>> }).nftables;
  let rules = 0;
  let elements = 0;
  for (const item of items) {
    if ('rule' in item) rules++;
    elements += item['set']?.elem?.length ?? 0;
    elements += item['map']?.elem?.length ?? 0;
  }
  return { rules, elements };
}

async function scaleSection(): Promise<void> {
  const namespaces = quick ? 5 : 50;
  const perNs = quick ? 20 : 100;
  const mainCount = quick ? 100 : 1000;
  const series = quick ? [0, 10, 100] : [0, 100, 1000, 5000];
  const { all, local } = syntheticPods(namespaces, perNs);
  await run('ip', ['netns', 'delete', NETNS]).catch(() => undefined);
  const added = await run('ip', ['netns', 'add', NETNS]);
  if (added.code !== 0) throw new Error(`ip netns add ${NETNS}: ${added.stderr}`);
  try {
    print(`### 1. Compile and load at scale`);
    print();
    print(`${all.length} pods (${namespaces} namespaces x ${perNs}), ${local.length} on the node; policies mix podSelector, namespaceSelector, both in one peer, ipBlock with except, numbered/named/endPort ports, ingress and egress. Each size ${RUNS}x, full replace of the table in a fresh network namespace; median / max. "load" is \`applyNetworkPolicies\` (one \`nft -f -\` through nsenter, process start included).`);
    print();
    print('| policies | compile ms | nft -f load ms | compile + load ms | ruleset KB | lines | rules (compiler / kernel) | set+map elements (text / kernel) |');
    print('|---|---|---|---|---|---|---|---|');
    for (const count of series) {
      const policies = Array.from({ length: count }, (_, j) => syntheticPolicy(j, namespaces));
      const results: Loaded[] = [];
      for (let r = 0; r < RUNS; r++) results.push(await compileAndLoad(local, all, policies));
      const kernel = await kernelCounts();
      const last = results[results.length - 1] as Loaded;
      const c = results.map((x) => x.compileMs);
      const l = results.map((x) => x.loadMs);
      const t = results.map((x) => x.compileMs + x.loadMs);
      print(`| ${count} | ${ms(median(c))} / ${ms(max(c))} | ${ms(median(l))} / ${ms(max(l))} | ${ms(median(t))} / ${ms(max(t))} | ${(last.bytes / 1024).toFixed(0)} | ${last.lines} | ${last.ruleCount} / ${kernel.rules} | ${last.elements} / ${kernel.elements} |`);
    }
    print();

    // One incremental change on top of mainCount policies: recompile everything + reload the table.
    const base = Array.from({ length: mainCount }, (_, j) => syntheticPolicy(j, namespaces));
    await compileAndLoad(local, all, base);
    const addOne: Loaded[] = [];
    for (let r = 0; r < RUNS; r++) addOne.push(await compileAndLoad(local, all, [...base, syntheticPolicy(r * 10 + 8, namespaces, `-added-${r}`)]));
    await compileAndLoad(local, all, base);
    const relabel: Loaded[] = [];
    const target = local[Math.floor(local.length / 2)] as PolicyPod;
    for (let r = 0; r < RUNS; r++) {
      const changed = { ...target, labels: { ...target.labels, app: `app-${(Number(target.labels['app']?.slice(4)) + 1 + r) % 25}`, tier: TIERS[r % 4] ?? 'web' } };
      const local2 = local.map((p) => (p.key === target.key ? changed : p));
      const all2 = all.map((p) => (p.key === target.key ? changed : p));
      relabel.push(await compileAndLoad(local2, all2, base));
    }
    print(`One change on top of ${mainCount} policies (the agent recompiles the node's whole table and replaces it in one transaction), ${RUNS}x, median / max:`);
    print();
    print('| change | compile ms | load ms | total ms |');
    print('|---|---|---|---|');
    for (const [name, rs] of [['one policy added', addOne], [`one local pod's labels changed (${target.key})`, relabel]] as const) {
      const c = rs.map((x) => x.compileMs);
      const l = rs.map((x) => x.loadMs);
      const t = rs.map((x) => x.compileMs + x.loadMs);
      print(`| ${name} | ${ms(median(c))} / ${ms(max(c))} | ${ms(median(l))} / ${ms(max(l))} | ${ms(median(t))} / ${ms(max(t))} |`);
    }
    print();
  } finally {
    const del = await run('ip', ['netns', 'delete', NETNS]);
    if (del.code !== 0) console.error(`bench: ip netns delete ${NETNS}: ${del.stderr}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. The lab

const NS = 'npb';
const podYaml = (name: string, node: string, labels: string, ports = '[{ containerPort: 80 }]'): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${NS}, labels: { ${labels} } }
spec: { nodeName: ${node}, containers: [{ name: c, image: ambit/workload, ports: ${ports} }] }`;

const CLUSTER = [
  `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS}, labels: { team: bench } }`,
  podYaml('client', 'node-2', 'app: client'),
  podYaml('server', 'node-1', 'app: server', '[{ name: http, containerPort: 80 }]'),
  ...[1, 2, 3, 4].map((k) => podYaml(`filler-${k}`, k % 2 ? 'node-1' : 'node-2', `app: filler, shard: s${k % 4}`)),
].join('\n---\n');

const npYaml = (name: string, spec: string): string => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ${name}, namespace: ${NS} }
spec: ${spec}`;

const DENY = npYaml('deny-server', `{ podSelector: { matchLabels: { app: server } }, policyTypes: [Ingress] }`);
/** Isolates client (egress) and server (ingress) and allows client -> server on 80 and 5201; named so it sorts after the others. */
const ALLOW = npYaml(
  'zz-allow-client-server',
  `{ podSelector: { matchExpressions: [{ key: app, operator: In, values: [client, server] }] }, policyTypes: [Ingress, Egress],
  ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }], ports: [{ port: 80 }, { port: 5201 }] }],
  egress: [{ to: [{ podSelector: { matchLabels: { app: server } } }], ports: [{ port: 80 }, { port: 5201 }] }] }`,
);

/** Policies that select the filler pods (not the flow's pods): every kind of peer and port. */
function fillerPolicies(n: number): string {
  return Array.from({ length: n }, (_, k) =>
    npYaml(
      `filler-${k}`,
      `{ podSelector: { matchLabels: { app: filler, shard: s${k % 4} } }, policyTypes: [Ingress, Egress],
  ingress: [{ from: [{ podSelector: { matchLabels: { shard: s${(k + 1) % 4} } } }, { ipBlock: { cidr: 10.${k % 200}.0.0/16, except: [10.${k % 200}.1.0/24] } }], ports: [{ port: ${1000 + k} }, { port: http }] }],
  egress: [{ to: [{ namespaceSelector: { matchLabels: { team: bench } }, podSelector: { matchLabels: { app: filler } } }], ports: [{ port: ${2000 + k}, endPort: ${2010 + k} }] }] }`,
    ),
  ).join('\n---\n');
}

/** Worst case for the flow: policies that all select the server pod (each allowing another source), evaluated before the allow. */
function serverPolicies(n: number): string {
  return Array.from({ length: n }, (_, k) =>
    npYaml(`server-${k}`, `{ podSelector: { matchLabels: { app: server } }, policyTypes: [Ingress], ingress: [{ from: [{ ipBlock: { cidr: 198.18.${k >> 8}.${k & 255}/32 } }], ports: [{ port: ${3000 + k} }] }] }`),
  ).join('\n---\n');
}

interface Attempt {
  t: number;
  ok: boolean;
}

// Runs in the client pod: starts a new connection to HOST:PORT every INTERVAL ms (at most 32 in
// flight; TIMEOUT ms to connect, so a dropped SYN counts as refused), prints "<start epoch ms> <1|0>"
// per attempt as it ends, stops after SECONDS. Attempts overlap, so both edges (allowed -> dropped
// and back) are seen to about INTERVAL ms.
const PROBER = `
import { connect } from 'node:net';
const [host, port, interval, timeout, seconds] = process.argv.slice(1);
const stop = performance.now() + Number(seconds) * 1000;
let inFlight = 0;
const attempt = (start) => {
  inFlight++;
  const s = connect({ host, port: Number(port) });
  let done = false;
  const end = (ok) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.destroy();
    inFlight--;
    process.stdout.write(start.toFixed(2) + ' ' + (ok ? 1 : 0) + '\\n');
  };
  const timer = setTimeout(() => end(false), Number(timeout));
  s.once('connect', () => end(true));
  s.once('error', () => end(false));
};
let next = performance.now();
while (performance.now() < stop) {
  if (inFlight < 32) attempt(performance.timeOrigin + performance.now());
  next += Number(interval);
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
`;

class Prober {
  readonly attempts: Attempt[] = [];
  private readonly child: ChildProcess;
  private buffer = '';

  constructor(netns: string, host: string, seconds: number) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', PROBER, host, '80', '20', '300', String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.once('error', () => undefined);
    this.child.stdout?.on('data', (c: Buffer) => {
      this.buffer += c.toString('utf8');
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [t, ok] = line.split(' ');
        this.attempts.push({ t: Number(t), ok: ok === '1' });
      }
    });
  }

  /** Polls (bounded) until `found` returns a value. */
  async until<T>(found: (a: Attempt[]) => T | undefined, timeoutMs: number): Promise<T> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      const v = found([...this.attempts].sort((a, b) => a.t - b.t));
      if (v !== undefined) return v;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`prober: condition not reached within ${timeoutMs} ms (${this.attempts.length} attempts)`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The start of the first dropped attempt after `t0` that only drops follow, once three are seen (the enforcement moment, to ~20 ms); `a` is sorted by start. */
function firstLastingDrop(a: Attempt[], t0: number): number | undefined {
  const after = a.filter((x) => x.t >= t0);
  let first = 0;
  after.forEach((x, i) => {
    if (x.ok) first = i + 1;
  });
  return after.length - first >= 3 ? after[first]?.t : undefined;
}

interface Status {
  pods: Array<{ namespace: string; name: string; ip: string; netns: string }>;
  nodes: Array<{ name: string; netpolRules?: number | null }>;
}

async function labCli(args: string[], timeoutMs = 300_000): Promise<number> {
  const t = performance.now();
  const r = await ambit(args, timeoutMs);
  if (r.code !== 0) throw new Error(`ambit ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  return performance.now() - t;
}

interface Flow {
  gbps: number;
  conns: number;
  errors: number;
}

const FLOW_SECONDS = quick ? 1 : 3;

async function flow(clientNetns: string, serverNetns: string, serverIp: string): Promise<Flow> {
  const seconds = FLOW_SECONDS;
  const iperfServer = spawn('ip', ['netns', 'exec', serverNetns, 'iperf3', '-s', '-1', '-p', '5201'], { stdio: 'ignore' });
  iperfServer.once('error', () => undefined);
  try {
    let gbps = NaN;
    for (let attempt = 0; attempt < 20 && Number.isNaN(gbps); attempt++) {
      await new Promise((r) => setTimeout(r, 150));
      const r = await run('ip', ['netns', 'exec', clientNetns, 'iperf3', '-c', serverIp, '-p', '5201', '-t', String(seconds), '-J'], (seconds + 20) * 1000);
      if (r.code === 0) gbps = ((JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second) / 1e9;
    }
    const rate = await run('ip', ['netns', 'exec', clientNetns, process.execPath, `${REPO}test/bench/fixtures/conn-rate.ts`, serverIp, '80', String(seconds), '16'], 60_000);
    const parsed = JSON.parse(rate.stdout.trim().split('\n').pop() ?? '{}') as { perSecond?: number; errors?: number };
    return { gbps, conns: parsed.perSecond ?? NaN, errors: parsed.errors ?? NaN };
  } finally {
    if (iperfServer.exitCode === null && iperfServer.signalCode === null) iperfServer.kill('SIGTERM');
  }
}

async function labSection(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-np-'));
  try {
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    const upMs = await labCli(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    const status = await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']);
    const pod = (name: string): Status['pods'][number] => {
      const p = status.pods.find((x) => x.namespace === NS && x.name === name);
      if (!p) throw new Error(`lab ${LAB} has no pod ${NS}/${name}`);
      return p;
    };
    const client = pod('client');
    const server = pod('server');
    // Every new-connection phase leaves ~15,000 client sockets in TIME_WAIT to the same server:80;
    // with the default port range (32768-60999, even ports for connect) the next phase then crawls
    // (measured: 5,257/s, then 352/s with no policy at all). So, in the client pod only: reuse
    // TIME_WAIT ports (timestamps make it safe) and the wide port range.
    for (const setting of ['net.ipv4.tcp_tw_reuse=1', 'net.ipv4.ip_local_port_range=1024 65535']) {
      const r = await run('ip', ['netns', 'exec', client.netns, 'sysctl', '-q', '-w', setting]);
      if (r.code !== 0) throw new Error(`sysctl ${setting} in ${client.netns}: ${r.stderr}`);
    }

    // 2. Policy change to enforcement.
    const reps = quick ? 2 : 10;
    const file = join(dir, 'deny.yaml');
    const applyMs: number[] = [];
    const enforcedMs: number[] = [];
    const deleteMs: number[] = [];
    const reopenedMs: number[] = [];
    for (let r = 0; r < reps; r++) {
      const prober = new Prober(client.netns, server.ip, 60);
      try {
        await prober.until((a) => (a.some((x) => x.ok) ? true : undefined), 15_000);
        const t0 = now();
        await writeFile(file, DENY);
        await labCli(['lab', 'apply', '--name', LAB, '-f', file]);
        applyMs.push(now() - t0);
        enforcedMs.push((await prober.until((a) => firstLastingDrop(a, t0), 15_000)) - t0);
        const t1 = now();
        await labCli(['lab', 'delete', '--name', LAB, '-f', file]);
        deleteMs.push(now() - t1);
        reopenedMs.push((await prober.until((a) => a.find((x) => x.ok && x.t >= t1)?.t, 15_000)) - t1);
      } finally {
        await prober.stop();
      }
    }
    print(`### 2. Policy change to enforcement (lab, 2 nodes)`);
    print();
    print(`Lab \`${LAB}\`: 2 nodes, 6 pods (lab up ${(upMs / 1000).toFixed(1)} s). Flow: ${NS}/client (node-2) -> ${NS}/server (node-1) TCP 80, a new connection started every 20 ms from the client pod, overlapping (300 ms connect timeout: a dropped SYN counts as refused). t0 = just before writing the policy file; the CLI is a new \`ambit\` process each time (Node start-up included). "enforced" = start of the first dropped attempt after t0 that is followed only by drops; "allow restored" = start of the first successful attempt after the delete began (both to ~20 ms). ${reps} repetitions: apply a deny-all-ingress policy for the server, then delete it.`);
    print();
    print('| measure | median | p90 | max |');
    print('|---|---|---|---|');
    for (const [name, v] of [
      ['`lab apply` returned (control plane + every node agent has the rules in the kernel), ms', applyMs],
      ['first dropped probe after t0 (deny enforced), ms', enforcedMs],
      ['`lab delete` returned, ms', deleteMs],
      ['first successful probe after the delete started (allow restored), ms', reopenedMs],
    ] as const) {
      print(`| ${name} | ${ms(median(v))} | ${ms(quantile(v, 0.9))} | ${ms(max(v))} |`);
    }
    print();

    // 3. Throughput of an allowed flow with 0 and with 1,000 policies. Other engineers' suites
    // share the 2 cores, so the three configurations are measured in rounds (none, elsewhere, on
    // the path, none, ...) and each round's ratios are against that round's no-policy figures.
    const count = quick ? 100 : 1000;
    const rounds = quick ? 1 : 3;
    const allowFile = join(dir, 'allow.yaml');
    const fillersFile = join(dir, 'fillers.yaml');
    const serverFile = join(dir, 'server.yaml');
    await writeFile(allowFile, ALLOW);
    await writeFile(fillersFile, fillerPolicies(count - 1));
    await writeFile(serverFile, serverPolicies(count - 1));
    const rulesPerNode = async (): Promise<string> => (await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json'])).nodes.map((n) => `${n.name} ${n.netpolRules ?? '?'}`).join(', ');
    const none: Flow[] = [];
    const elsewhere: Flow[] = [];
    const onPath: Flow[] = [];
    const applyFillersMs: number[] = [];
    const applyServerMs: number[] = [];
    let fillerRules = '';
    let serverRules = '';
    for (let r = 0; r < rounds; r++) {
      none.push(await flow(client.netns, server.netns, server.ip));
      applyFillersMs.push(await labCli(['lab', 'apply', '--name', LAB, '-f', fillersFile, '-f', allowFile]));
      fillerRules = await rulesPerNode();
      elsewhere.push(await flow(client.netns, server.netns, server.ip));
      await labCli(['lab', 'delete', '--name', LAB, '-f', fillersFile]);
      applyServerMs.push(await labCli(['lab', 'apply', '--name', LAB, '-f', serverFile]));
      serverRules = await rulesPerNode();
      onPath.push(await flow(client.netns, server.netns, server.ip));
      await labCli(['lab', 'delete', '--name', LAB, '-f', serverFile, '-f', allowFile]);
    }

    print(`### 3. An allowed flow with 0 and with ${count.toLocaleString('en')} policies`);
    print();
    print(`Same lab, same pods, same run. Bulk: \`iperf3 -t ${FLOW_SECONDS}\` client pod -> server pod (one connection). New connections: test/bench/fixtures/conn-rate.ts (16 workers, ${FLOW_SECONDS} s, connect + line + answer + close each) to the workload server on TCP 80; the client pod has \`tcp_tw_reuse=1\` and ports 1024-65535 so earlier phases' TIME_WAIT sockets do not throttle later ones. "policies elsewhere": ${count - 1} policies selecting the 4 filler pods (pod/namespace selectors, ipBlock with except, numbered, named and ranged ports, both directions; rules per node: ${fillerRules}) plus one policy isolating client (egress) and server (ingress) and allowing this flow; \`lab apply\` of these ${count}: median ${(median(applyFillersMs) / 1000).toFixed(1)} s. "policies on the path": instead of those, ${count - 1} policies selecting the server itself (each admitting another /32 on another port), all evaluated before the allow, which sorts last, so every new connection's first packet walks them (rules per node: ${serverRules}; \`lab apply\` median ${(median(applyServerMs) / 1000).toFixed(1)} s). ${rounds} round${rounds > 1 ? 's' : ''} of (none, elsewhere, on the path); figures are medians over rounds, ratios the median of each round's ratio to that round's no-policy figure.`);
    print();
    const ratios = (xs: Flow[], key: 'gbps' | 'conns'): string => {
      const per = xs.map((x, i) => x[key] / (none[i]?.[key] ?? NaN));
      return `${median(per).toFixed(2)}x${per.length > 1 ? ` (${per.map((v) => v.toFixed(2)).join(', ')})` : ''}`;
    };
    const values = (xs: Flow[], key: 'gbps' | 'conns', digits: number): string => `${median(xs.map((x) => x[key])).toFixed(digits)}${xs.length > 1 ? ` (${xs.map((x) => x[key].toFixed(digits)).join(', ')})` : ''}`;
    print(`| measure | no policy | ${count} policies elsewhere + allow | ratio | ${count} policies on the server + allow | ratio |`);
    print('|---|---|---|---|---|---|');
    print(`| bulk TCP (iperf3), Gbit/s | ${values(none, 'gbps', 2)} | ${values(elsewhere, 'gbps', 2)} | ${ratios(elsewhere, 'gbps')} | ${values(onPath, 'gbps', 2)} | ${ratios(onPath, 'gbps')} |`);
    print(`| new TCP connections/s | ${values(none, 'conns', 0)} | ${values(elsewhere, 'conns', 0)} | ${ratios(elsewhere, 'conns')} | ${values(onPath, 'conns', 0)} | ${ratios(onPath, 'conns')} |`);
    const errors = (xs: Flow[]): number => xs.reduce((sum, x) => sum + x.errors, 0);
    print(`| connection errors (all rounds) | ${errors(none)} | ${errors(elsewhere)} | - | ${errors(onPath)} | - |`);
    print();
  } finally {
    const down = await ambit(['lab', 'down', '--name', LAB], 120_000);
    if (down.code !== 0) console.error(`bench: lab down --name ${LAB} exited ${down.code}: ${down.stderr}`);
    await rm(dir, { recursive: true, force: true });
  }
}

const startLoad = loadavg()[0] ?? 0;
const started = new Date();
print(`## NetworkPolicy in nftables (\`pnpm exec node test/bench/netpol.ts${quick ? ' --quick' : ''}\`)`);
print();
const nftVersion = (await run('nft', ['--version'])).stdout.trim();
print(`${started.toISOString().slice(0, 10)}; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${nftVersion}; kernel ${(await run('uname', ['-r'])).stdout.trim()}. 1-minute loadavg at start: ${startLoad.toFixed(2)}${startLoad > 1 ? ' (other work was running: figures are upper bounds)' : ''}.`);
print();
try {
  if (only !== 'lab') await scaleSection();
  if (only !== 'scale') await labSection();
} finally {
  const endLoad = loadavg()[0] ?? 0;
  print(`1-minute loadavg at the end: ${endLoad.toFixed(2)}; run took ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s.`);
}
