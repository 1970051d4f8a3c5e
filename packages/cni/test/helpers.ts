// Test harness for the plugin binaries: a "node" netns (the runtime netns the plugins run in, never
// the host's), pod netns, a temp dir with a CNI bin dir, and a way to call the binaries exactly as
// a kubelet does. Everything is named `ambit-t<pid>-...` and removed by `cleanup()`.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO = resolve(import.meta.dirname, '../../..');
export const NODE = join(REPO, 'node_modules/node/bin/node');
export const PACKAGE_BIN = join(REPO, 'packages/cni/bin');
export const DEBIAN_CNI = '/usr/lib/cni';

const execFileAsync = promisify(execFile);

export function requireRoot(): void {
  assert.equal(process.getuid?.(), 0, 'these integration tests create network namespaces and must run as root');
}

export function requireDebianPlugins(): void {
  assert.ok(existsSync(join(DEBIAN_CNI, 'bridge')) && existsSync(join(DEBIAN_CNI, 'host-local')),
    'Debian containernetworking-plugins are missing: apt-get install -y containernetworking-plugins');
}

export function run(program: string, args: readonly string[]): string {
  return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PluginRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout decoded, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

export class TestNode {
  readonly prefix: string;
  readonly tmp: string;
  /** CNI bin dir with symlinks to the package's wrappers (as a lab installs them). */
  readonly binDir: string;
  readonly dataDir: string;
  readonly node: string;
  readonly #netns = new Set<string>();

  constructor(tag: string) {
    requireRoot();
    this.prefix = `ambit-t${process.pid}-${tag}`;
    this.tmp = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    this.binDir = join(this.tmp, 'bin');
    this.dataDir = join(this.tmp, 'data');
    mkdirSync(this.binDir);
    for (const name of ['ambit-cni', 'ambit-ipam']) symlinkSync(join(PACKAGE_BIN, name), join(this.binDir, name));
    this.node = this.addNetns('node');
    run('ip', ['-n', this.node, 'link', 'set', 'lo', 'up']);
  }

  /** Creates netns `<prefix>-<name>` and returns its name. */
  addNetns(name: string): string {
    const full = `${this.prefix}-${name}`;
    run('ip', ['netns', 'add', full]);
    this.#netns.add(full);
    return full;
  }

  deleteNetns(full: string): void {
    run('ip', ['netns', 'del', full]);
    this.#netns.delete(full);
  }

  path(netns: string): string {
    return `/run/netns/${netns}`;
  }

  /** `ip ARGS` inside a netns. */
  ip(netns: string, args: readonly string[]): string {
    return run('ip', ['-n', netns, ...args]);
  }

  /** Link names in a netns. */
  links(netns: string): string[] {
    const rows = JSON.parse(this.ip(netns, ['-j', 'link', 'show'])) as Array<{ ifname: string }>;
    return rows.map((r) => r.ifname);
  }

  /** Reserved IPs in the ambit-ipam store of `network`. */
  reservations(network: string, dataDir = this.dataDir): string[] {
    const dir = join(dataDir, 'ipam', network);
    return existsSync(dir) ? readdirSync(dir).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)).sort() : [];
  }

  attachments(dataDir = this.dataDir): string[] {
    const dir = join(dataDir, 'attachments');
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : [];
  }

  /** Calls a plugin binary as a kubelet would, with the node netns as its runtime netns. */
  async plugin(type: string, env: Record<string, string>, config: unknown, binDirs: readonly string[] = [this.binDir]): Promise<PluginRun> {
    const bin = binDirs.map((d) => join(d, type)).find((p) => existsSync(p)) ?? join(this.binDir, type);
    return new Promise((resolveRun, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.node, bin], {
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: binDirs.join(':'), ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (status) => {
        let json: Record<string, unknown> | undefined;
        try {
          json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>);
        } catch {
          json = undefined;
        }
        resolveRun({ status, stdout, stderr, json });
      });
      child.stdin.end(typeof config === 'string' ? config : JSON.stringify(config));
    });
  }

  /** Starts a TCP server in `netns` on ip:port that answers with `reply`; resolves once listening. */
  async server(netns: string, ip: string, port: number, reply: string): Promise<{ stop(): void }> {
    const code = `require('node:net').createServer((s) => s.end(${JSON.stringify(reply)})).listen(${port}, ${JSON.stringify(ip)}, () => console.log('ready'))`;
    const child = spawn('ip', ['netns', 'exec', netns, NODE, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolveReady, reject) => {
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('ready')) resolveReady();
      });
      child.on('exit', (status) => reject(new Error(`server exited with ${String(status)}: ${err}`)));
    });
    return { stop: () => child.kill('SIGKILL') };
  }

  /** Connects from `netns` to ip:port and returns what the server sent. */
  async connect(netns: string, ip: string, port: number): Promise<string> {
    const code = `const s = require('node:net').connect(${port}, ${JSON.stringify(ip)}); let d = ''; s.on('data', (b) => d += b); s.on('end', () => { process.stdout.write(d); process.exit(0); }); s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
    const { stdout } = await execFileAsync('ip', ['netns', 'exec', netns, NODE, '-e', code], { timeout: 10_000 });
    return stdout;
  }

  cleanup(): void {
    for (const netns of [...this.#netns].reverse()) {
      try {
        run('ip', ['netns', 'del', netns]);
      } catch {
        // already gone
      }
    }
    this.#netns.clear();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The CNI_* env of one attachment. */
export function attachmentEnv(command: string, containerId: string, netnsPath: string, ifname = 'eth0', args = ''): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netnsPath, CNI_IFNAME: ifname, CNI_ARGS: args };
}
