// server-main.ts and probe-main.ts as real child processes on the pinned runtime, as the lab runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { freePort, silentServer } from './helpers.ts';

const NODE = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
const SERVER_MAIN = fileURLToPath(new URL('../src/server-main.ts', import.meta.url));
const PROBE_MAIN = fileURLToPath(new URL('../src/probe-main.ts', import.meta.url));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcessWithoutNullStreams): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function run(script: string, args: string[], stdin?: string): Promise<Finished> {
  const child = spawn(NODE, [script, ...args], { stdio: 'pipe' });
  const finished = collect(child);
  child.stdin.end(stdin);
  return finished;
}

/** Starts server-main and resolves with its ready line; the caller stops it. */
async function startServer(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; ready: { tcp: number[]; udp: number[] }; lines: string[] }> {
  const child = spawn(NODE, [SERVER_MAIN, ...args], { stdio: 'pipe' });
  child.stderr.resume();
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  const first = new Promise<string>((resolve, reject) => {
    reader.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server-main exited with ${code} before its ready line`)));
  });
  reader.on('line', (line) => lines.push(line));
  const line = await first;
  const ready = JSON.parse(line) as { ready: boolean; tcp: number[]; udp: number[] };
  assert.equal(ready.ready, true);
  return { child, ready, lines };
}

test('the pinned runtime is Node 24', async () => {
  const version = await run('--version', []);
  assert.match(version.stdout.trim(), /^v24\./);
});

test('server-main prints one ready line, serves, and exits 0 on SIGTERM', async () => {
  const { child, ready, lines } = await startServer(['--pod', 'lab/web-0', '--node', 'node-1', '--host', '127.0.0.1', '--tcp', '0,0', '--udp', '0']);
  let exited = false;
  try {
    assert.equal(ready.tcp.length, 2);
    assert.equal(ready.udp.length, 1);
    assert.deepEqual(Object.keys(JSON.parse(lines[0] ?? '{}') as object), ['ready', 'tcp', 'udp']);
    const request = JSON.stringify({
      from: 'lab/client',
      probes: [
        { to: `127.0.0.1:${ready.tcp[0]}`, protocol: 'TCP', timeoutMs: 2000 },
        { to: `localhost:${ready.tcp[1]}`, protocol: 'TCP', timeoutMs: 2000, http: { path: '/x?status=403' } },
        { to: `127.0.0.1:${ready.udp[0]}`, protocol: 'UDP', timeoutMs: 2000 },
        { to: `127.0.0.1:${ready.tcp[1]}`, protocol: 'TCP', timeoutMs: 2000, grpc: true },
      ],
    });
    const probe = await run(PROBE_MAIN, [request]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), [
      { from: 'lab/client', to: `127.0.0.1:${ready.tcp[0]}`, protocol: 'TCP', connected: true, status: null, server: 'lab/web-0', error: null },
      { from: 'lab/client', to: `localhost:${ready.tcp[1]}`, protocol: 'TCP', connected: true, status: 403, server: 'lab/web-0', error: null },
      { from: 'lab/client', to: `127.0.0.1:${ready.udp[0]}`, protocol: 'UDP', connected: true, status: null, server: 'lab/web-0', error: null },
      { from: 'lab/client', to: `127.0.0.1:${ready.tcp[1]}`, protocol: 'TCP', connected: true, status: 0, server: 'lab/web-0', error: null },
    ]);
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = (await exit) as [number | null, string | null];
    exited = true;
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.equal(lines.length, 1, 'exactly one line on stdout');
  } finally {
    if (!exited) child.kill('SIGKILL');
  }
});

test('server-main exits non-zero naming a port it cannot bind', async () => {
  const { child, ready } = await startServer(['--pod', 'lab/a', '--node', 'n', '--host', '127.0.0.1', '--tcp', '0']);
  try {
    const busy = ready.tcp[0] ?? 0;
    const second = await run(SERVER_MAIN, ['--pod', 'lab/b', '--node', 'n', '--host', '127.0.0.1', '--tcp', String(busy)]);
    assert.equal(second.code, 1);
    assert.equal(second.stdout, '');
    assert.match(second.stderr, new RegExp(`cannot listen on TCP port ${busy} at 127\\.0\\.0\\.1: address already in use`));
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

test('server-main rejects bad arguments with exit 2 and every problem', async () => {
  const result = await run(SERVER_MAIN, ['--pod', 'nope', '--tcp', 'x']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--pod: "nope" is not NAMESPACE\/NAME/);
  assert.match(result.stderr, /--node NODE is required/);
  assert.match(result.stderr, /--tcp: "x" is not a port/);
});

test('probe-main reads stdin with "-" and bounds the run by the timeout', async () => {
  const silent = await silentServer();
  try {
    const closed = await freePort();
    const request = JSON.stringify({
      from: 'lab/client',
      probes: [
        { to: `127.0.0.1:${silent.port}`, protocol: 'TCP', timeoutMs: 400 },
        { to: `127.0.0.1:${closed}`, protocol: 'TCP', timeoutMs: 400 },
      ],
    });
    const started = Date.now();
    const result = await run(PROBE_MAIN, ['-'], request);
    const elapsed = Date.now() - started;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [
      { from: 'lab/client', to: `127.0.0.1:${silent.port}`, protocol: 'TCP', connected: false, status: null, server: null, error: 'timeout' },
      { from: 'lab/client', to: `127.0.0.1:${closed}`, protocol: 'TCP', connected: false, status: null, server: null, error: 'connection refused' },
    ]);
    assert.ok(elapsed < 400 + 1000 + 1500, `finished within max(timeout) + 1 s plus process start-up (${elapsed}ms)`);
  } finally {
    await silent.close();
  }
});

test('probe-main rejects bad input with exit 2', async () => {
  const notJson = await run(PROBE_MAIN, ['{nope']);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /request is not JSON/);
  const invalid = await run(PROBE_MAIN, [JSON.stringify({ from: 'a/b', probes: [{ to: 'x', protocol: 'ICMP' }] })]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /probes\[0\]\.to: expected HOST:PORT/);
  assert.match(invalid.stderr, /probes\[0\]\.protocol: expected "TCP" or "UDP"/);
  const missing = await run(PROBE_MAIN, []);
  assert.equal(missing.code, 2);
});
