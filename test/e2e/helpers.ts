// Shared helpers of the end-to-end suites: run the real `ambit` CLI as a process on the pinned
// runtime, exactly as a user would, and clean up every lab a test starts.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO}packages/cli/src/main.ts`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ambit ARGS...`; bounded in time so a hung command fails the test instead of the suite. */
export function ambit(args: readonly string[], timeoutMs = 300_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/**
 * `ambit ... -o json`, parsed. Exit 1 is accepted when JSON was printed: a probe that did not
 * connect reports its verdict and exits 1, as DESIGN.md says.
 */
export async function ambitJson<T>(args: readonly string[]): Promise<T> {
  const result = await ambit(args);
  if (result.code !== 0 && !(result.code === 1 && result.stdout.trim().startsWith('{'))) {
    throw new Error(`ambit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** A lab name unique to this test process (lab names are at most 20 characters). */
export function labName(suffix: string): string {
  return `t${process.pid % 100000}${suffix}`.slice(0, 20);
}

export function commandOutput(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('exit', () => resolve(Buffer.concat(out).toString('utf8')));
  });
}

/** Everything a lab could leave on the host, as text lines naming the lab's prefix. */
export async function leftovers(lab: string): Promise<string[]> {
  const prefix = `ambit-${lab}`;
  const found: string[] = [];
  const netns = await commandOutput('ip', ['netns', 'list']);
  found.push(...netns.split('\n').filter((l) => l === prefix || l.startsWith(`${prefix} `) || l.startsWith(`${prefix}.`)).map((l) => `netns ${l}`));
  const links = await commandOutput('ip', ['-o', 'link']);
  found.push(...links.split('\n').filter((l) => l.includes(prefix)).map((l) => `link ${l}`));
  const tables = await commandOutput('nft', ['list', 'tables']);
  found.push(...tables.split('\n').filter((l) => l.includes('ambit')).map((l) => `nft ${l}`));
  const mounts = await commandOutput('cat', ['/proc/mounts']);
  found.push(...mounts.split('\n').filter((l) => l.includes(prefix) || l.includes(`/run/ambit/${lab} `) || l.includes(`/run/ambit/${lab}/`)).map((l) => `mount ${l}`));
  const etc = await commandOutput('ls', ['-1', '/etc/netns']).catch(() => '');
  found.push(...etc.split('\n').filter((l) => l.startsWith(prefix)).map((l) => `/etc/netns/${l}`));
  const ps = await commandOutput('ps', ['-eo', 'pid,args']);
  found.push(...ps.split('\n').filter((l) => l.includes(`--name ${lab}`) || l.includes(`${prefix}.`) || l.includes(`/run/ambit/${lab}/`)).map((l) => `process ${l.trim()}`));
  const state = await commandOutput('ls', ['-d', `/run/ambit/${lab}`]).catch(() => '');
  if (state.trim()) found.push(`state dir ${state.trim()}`);
  return found;
}

/** Runs a fixture of test/e2e/fixtures inside a lab pod's network namespace (`NS/POD`). */
export function spawnInPod(lab: string, pod: string, script: string, args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): ChildProcess {
  const [ns, name] = pod.split('/');
  return spawn('ip', ['netns', 'exec', `ambit-${lab}.p.${ns}.${name}`, process.execPath, `${REPO}test/e2e/fixtures/${script}`, ...args], { stdio });
}

/** A fixture script running in a pod, its stdout read as JSON lines. */
export class PodFixture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(lab: string, pod: string, script: string, args: string[]) {
    this.child = spawnInPod(lab, pod, script, args, ['pipe', 'pipe', 'inherit']);
    const rl = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    rl.on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        this.lines.push({ unparsed: l });
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Ends its stdin and returns its last line (bounded). */
  async stop(timeoutMs: number): Promise<Record<string, unknown>> {
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    return this.lines.at(-1) ?? {};
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
