// This package's test helpers, on the network-namespace harness shared with @ambit/netns.
import { spawn } from 'node:child_process';
import { NetnsHarness, type Netns } from '@ambit/netns/test-harness';

export { requireRoot, run, Netns, readAll } from '@ambit/netns/test-harness';

const TAG = 'nft';

/** This package's test namespaces are ambit-t<pid>-nft<suffix>. */
export class Harness extends NetnsHarness {
  constructor() {
    super(TAG, new RegExp(`^(ambit-t(\\d+)-${TAG}[a-z]+)(\\s|$)`));
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
