// Network-namespace harness for this package's privileged tests. Everything it creates lives in
// namespaces named ambit-t<pid>-nft<suffix>, deleted in cleanup() (also on SIGINT/SIGTERM, and
// namespaces of dead test processes are swept at start). It never adds addresses or routes to the
// host namespace; veth pairs are created directly between two test namespaces.
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';

export function requireRoot(): void {
  // A privileged test that cannot run must fail, not skip.
  assert.equal(process.getuid?.(), 0, 'these tests create network namespaces and must run as root');
}

/** Runs a command without a shell; throws with its stderr when it fails. Only for setup: it blocks. */
export function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

export class Netns {
  readonly name: string;
  readonly path: string;
  constructor(name: string) {
    this.name = name;
    this.path = `/run/netns/${name}`;
  }
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }
  exec(command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }
}

const TAG = 'nft';

export class Harness {
  readonly prefix = `ambit-t${process.pid}-${TAG}`;
  private readonly namespaces: Netns[] = [];

  constructor() {
    sweepStale();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.cleanup();
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
    }
  }

  addNetns(suffix: string): Netns {
    const ns = new Netns(`${this.prefix}${suffix}`);
    run('ip', ['netns', 'add', ns.name]);
    this.namespaces.push(ns);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair between two namespaces with an IPv4 /24 and an IPv6 /64 (nodad) on each end. */
  link(a: Netns, aIf: string, aAddrs: [string, string], b: Netns, bIf: string, bAddrs: [string, string]): void {
    a.ip('link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name);
    for (const [ns, ifname, [v4, v6]] of [
      [a, aIf, aAddrs],
      [b, bIf, bAddrs],
    ] as const) {
      ns.ip('addr', 'add', `${v4}/24`, 'dev', ifname);
      ns.ip('-6', 'addr', 'add', `${v6}/64`, 'dev', ifname, 'nodad');
      ns.ip('link', 'set', ifname, 'up');
    }
  }

  cleanup(): void {
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'delete', ns.name]);
    this.namespaces.length = 0;
  }
}

function sweepStale(): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const match = new RegExp(`^(ambit-t(\\d+)-${TAG}[a-z]+)(\\s|$)`).exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch {
      spawnSync('ip', ['netns', 'delete', match[1]]);
    }
  }
}

// A tiny client run by the pinned Node inside a namespace: the "app" of the pod. It connects,
// half-closes, prints what it received, and exits 0 (or prints {"error": code} and exits 1).
const CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), allowHalfOpen: true });
let d = '';
s.setEncoding('utf8');
s.on('connect', () => s.end());
s.on('data', (c) => (d += c));
s.on('end', () => { process.stdout.write(d); process.exit(0); });
s.on('error', (e) => { process.stdout.write(JSON.stringify({ error: e.code }) + '\\n'); process.exit(1); });
setTimeout(() => { process.stdout.write('{"error":"timeout"}\\n'); process.exit(1); }, 5000).unref();
`;

/** Runs the client in `ns` as a separate process (async: the test's own listeners must keep accepting). */
export function clientInNetns(ns: Netns, host: string, port: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', CLIENT, host, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Reads a socket until the peer ends it. */
export function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** The first JSON line of `text`. */
export function firstJson(text: string): Record<string, unknown> {
  const line = text.split('\n')[0] ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`expected a JSON line, got ${JSON.stringify(text)}`);
  }
}

/** `::ffff:10.0.0.1` -> `10.0.0.1` (a dual-stack listener reports IPv4 peers mapped). */
export function unmap(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.)/, '');
}
