// Network-namespace harness for this package's privileged tests. Everything it creates lives in
// namespaces named ambit-t<pid>-<tag> that it deletes in cleanup(); it never adds addresses or
// routes to the host namespace, and the tests only send traffic inside those namespaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const PEER = fileURLToPath(new URL('./fixtures/peer.ts', import.meta.url));
export const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));

export function requireRoot(): void {
  // A privileged test that cannot run must fail, not skip.
  assert.equal(process.getuid?.(), 0, 'these tests create network namespaces and must run as root');
}

/** Runs a command without a shell; throws with its stderr when it fails. */
export function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** The namespace of the calling (main) thread, e.g. net:[4026531840]. */
export function threadNetns(): string {
  return readlinkSync('/proc/thread-self/ns/net');
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
  nft(ruleset: string): void {
    run('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], ruleset);
  }
  /** Packet count of the rule carrying `comment` in an nft table. */
  counter(family: string, table: string, comment: string): number {
    const out = JSON.parse(run('ip', ['netns', 'exec', this.name, 'nft', '-j', 'list', 'table', family, table])) as {
      nftables: Array<{ rule?: { comment?: string; expr: Array<{ counter?: { packets: number } }> } }>;
    };
    for (const item of out.nftables) {
      if (item.rule?.comment !== comment) continue;
      for (const expr of item.rule.expr) if (expr.counter) return expr.counter.packets;
    }
    throw new Error(`no counter with comment ${comment} in ${family} ${table}`);
  }
}

export class Harness {
  readonly prefix: string;
  private readonly namespaces: Netns[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    this.prefix = `ambit-t${process.pid}-${tag}`;
    sweepStale();
    // after() does not run when the runner is interrupted: clean up on the usual signals too.
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

  /**
   * A veth pair created directly between two namespaces (never in the host namespace), with an
   * IPv4 /24 and an IPv6 /64 (nodad, so usable at once) on each end.
   */
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

  /** Starts the peer fixture inside `ns` on the pinned runtime. */
  spawnPeer(ns: Netns, ...args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
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

  track(child: ChildProcess): ChildProcess {
    this.children.push(child);
    return child;
  }

  cleanup(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'delete', ns.name]);
    this.namespaces.length = 0;
  }
}

/**
 * Deletes namespaces left by this package's test processes that no longer exist. Only names this
 * harness makes (ambit-t<pid>-n<tag><suffix>, tags of this package) are touched.
 */
function sweepStale(): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const match = /^(ambit-t(\d+)-n[sc][a-z])(\s|$)/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch {
      spawnSync('ip', ['netns', 'delete', match[1]]);
    }
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

/** Reads a socket until the peer ends it. */
export function readAll(socket: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** Entries in /proc/self/fd: a leak check for error paths. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
