// The network-namespace harness shared by privileged tests (this package's and @ambit/nft's, via
// the `@ambit/netns/test-harness` export). Everything it creates lives in namespaces named
// ambit-t<pid>-<tag><suffix>, deleted in cleanup() (also on SIGINT/SIGTERM; namespaces of test
// processes that died are swept at start). It never adds addresses or routes to the host
// namespace: veth pairs are created directly between two test namespaces.
import { spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';

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
  nft(ruleset: string): void {
    run('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], ruleset);
  }
  /** Packet count of the rule carrying `comment` in an nft table. */
  counter(family: string, table: string, comment: string): number {
    const out = JSON.parse(this.exec('nft', '-j', 'list', 'table', family, table)) as {
      nftables: Array<{ rule?: { comment?: string; expr: Array<{ counter?: { packets: number } }> } }>;
    };
    for (const item of out.nftables) {
      if (item.rule?.comment !== comment) continue;
      for (const expr of item.rule.expr) if (expr.counter) return expr.counter.packets;
    }
    throw new Error(`no counter with comment ${comment} in ${family} ${table}`);
  }
}

export class NetnsHarness {
  readonly prefix: string;
  private readonly namespaces: Netns[] = [];
  private readonly children: ChildProcess[] = [];

  /**
   * `tag` names this test's namespaces; `stale` matches the names of the calling package's test
   * namespaces (group 1: the name, group 2: the pid that made it), so only those are swept.
   */
  constructor(tag: string, stale: RegExp) {
    this.prefix = `ambit-t${process.pid}-${tag}`;
    sweepStale(stale);
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

  /** Kills `child` in cleanup() if it is still running. */
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

function sweepStale(stale: RegExp): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const match = stale.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch {
      spawnSync('ip', ['netns', 'delete', match[1]]);
    }
  }
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
