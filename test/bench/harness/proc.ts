// Processes of the mesh benchmark: commands run inside a lab pod's network namespace (optionally
// pinned to one core with taskset), every one bounded in time, every long-lived one tracked so the
// harness can stop it by pid in `finally`; plus CPU and RSS of a process read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `taskset -c CPU` prefix, or nothing when the harness does not pin. */
function pinned(cpu: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Runs `ip netns exec NETNS COMMAND ARGS` (pinned to `cpu`) to completion; killed after `timeoutMs`. */
export function runIn(netns: string, command: string, args: readonly string[], options: { cpu?: number | undefined; timeoutMs: number }): Promise<RunResult> {
  const [cmd, argv] = pinned(options.cpu, 'ip', ['netns', 'exec', netns, command, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Long-lived processes the harness started; `stopAll` ends each of them by its own pid. */
export class Processes {
  private readonly children = new Set<ChildProcess>();

  /** Starts `ip netns exec NETNS COMMAND ARGS` in the background (pinned to `cpu`). */
  start(netns: string, command: string, args: readonly string[], cpu?: number): ChildProcess {
    const [cmd, argv] = pinned(cpu, 'ip', ['netns', 'exec', netns, command, ...args]);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-2000)));
    child.once('error', () => undefined);
    child.once('exit', (code) => {
      this.children.delete(child);
      if (code !== 0 && code !== null && err) console.error(`bench: ${command} exited ${code}: ${err.trim()}`);
    });
    this.children.add(child);
    return child;
  }

  async stop(child: ChildProcess, graceMs = 2000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stop(c)));
  }
}

export interface Usage {
  /** user + system CPU seconds since the process started */
  cpu: number;
  rssMb: number;
  /** peak RSS over the process's life (VmHWM) */
  peakMb: number;
}

/** CPU seconds and RSS of a process, from /proc (clock ticks are 100 per second on Linux). */
export async function usage(pid: number): Promise<Usage> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpu: ticks / 100, rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * Watches processes while `work` runs: CPU seconds each spent and the highest RSS seen (sampled
 * every 100 ms), so a phase's cost is measured without the process's earlier history.
 */
export async function watch<T>(pids: readonly number[], work: () => Promise<T>): Promise<{ result: T; cpu: number[]; peakRssMb: number[] }> {
  const before = await Promise.all(pids.map(usage));
  const peak = before.map((u) => u.rssMb);
  const sample = async (): Promise<void> => {
    const now = await Promise.all(pids.map((p) => usage(p).catch(() => undefined)));
    now.forEach((u, i) => {
      if (u && u.rssMb > (peak[i] ?? 0)) peak[i] = u.rssMb;
    });
  };
  const timer = setInterval(() => void sample(), 100);
  try {
    const result = await work();
    await sample();
    const after = await Promise.all(pids.map(usage));
    return { result, cpu: after.map((u, i) => u.cpu - (before[i]?.cpu ?? 0)), peakRssMb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Pins every thread of a running process to one core (`taskset -a -p -c CPU PID`). */
export async function pinProcess(pid: number, cpu: number): Promise<void> {
  const result = await new Promise<number>((resolve) => {
    const child = spawn('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code ?? -1));
  });
  if (result !== 0) throw new Error(`taskset -a -p -c ${cpu} ${pid} failed (exit ${result})`);
}

/** Polls until something listens on TCP `port` inside `netns`; bounded by `timeoutMs`. */
export async function waitListening(netns: string, port: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 500 && Date.now() < end; i++) {
    const ss = await runIn(netns, 'ss', ['-Hltn', `sport = :${port}`], { timeoutMs: 2000 });
    if (ss.stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on port ${port} in ${netns} after ${timeoutMs} ms`);
}
