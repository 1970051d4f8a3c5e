// This package's test helpers, on the shared network-namespace harness (harness.ts): the peer
// fixture, fd and namespace checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NetnsHarness, type Netns } from './harness.ts';

export const PEER = fileURLToPath(new URL('./fixtures/peer.ts', import.meta.url));
export const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));

export { requireRoot, run, Netns, readAll } from './harness.ts';

/** The namespace of the calling (main) thread, e.g. net:[4026531840]. */
export function threadNetns(): string {
  return readlinkSync('/proc/thread-self/ns/net');
}

/** This package's test namespaces are ambit-t<pid>-n<tag><suffix> with tags ns* and nc*. */
export class Harness extends NetnsHarness {
  constructor(tag: string) {
    super(tag, /^(ambit-t(\d+)-n[sc][a-z])(\s|$)/);
  }

  /** Starts the peer fixture inside `ns` on the pinned runtime. */
  spawnPeer(ns: Netns, ...args: string[]): ChildProcess {
    return this.track(spawn('ip', ['netns', 'exec', ns.name, process.execPath, PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Runs the peer fixture inside `ns` to completion; returns its exit code and stdout. */
  async runPeer(ns: Netns, ...args: string[]): Promise<{ status: number | null; stdout: string }> {
    const child = this.spawnPeer(ns, ...args);
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { status, stdout };
  }

  /** Starts a server fixture in `ns` and waits for its "ready" line. */
  async startServer(ns: Netns, ...args: string[]): Promise<ChildProcess> {
    const child = this.spawnPeer(ns, ...args);
    await waitForLine(child, (line) => line === 'ready', 5000);
    return child;
  }
}

/** Resolves with the first stdout line matching `match`; rejects on exit or after timeoutMs. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => finish(new Error(`no matching line within ${timeoutMs}ms; stdout: ${buffered} stderr: ${stderr}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) if (match(line.trim())) return finish(undefined, line.trim());
    };
    const onErr = (chunk: Buffer): void => void (stderr += chunk.toString('utf8'));
    const onExit = (code: number | null): void => finish(new Error(`process exited (${code}) before a matching line; stderr: ${stderr}`));
    function finish(error: Error | undefined, line?: string): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(line ?? '');
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** Entries in /proc/self/fd: a leak check for error paths. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
