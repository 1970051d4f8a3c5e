// Runs iproute2 (`ip`) in the plugin's own netns or, through `nsenter --net=<path>`, inside a pod's
// netns. Always execFile-style argument vectors, never a shell string. Synchronous: a plugin
// process does one thing at a time and exits.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CNI_CODE, cniError } from '../protocol/errors.ts';

const FALLBACK_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const TIMEOUT_MS = 30_000;
const found = new Map<string, string>();

/** Absolute path of a system tool, from PATH or the usual directories (runtimes may pass no PATH). */
export function systemTool(name: string): string {
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // next
    }
  }
  throw cniError(CNI_CODE.internal, 'AMBIT_CNI_TOOL_MISSING', `cannot find the "${name}" program in PATH or ${FALLBACK_DIRS.join(', ')}`, {
    hint: name === 'nsenter' ? 'install util-linux' : 'install iproute2',
  });
}

export interface IpFailure {
  status: number | null;
  stderr: string;
}

export function isNoSuchDevice(error: unknown): boolean {
  const stderr = (error as { details?: { stderr?: unknown } } | undefined)?.details?.stderr;
  return typeof stderr === 'string' && /does not exist|Cannot find device|No such device/i.test(stderr);
}

/** Runs `ip ARGS` (in `netns` when given) and returns stdout; throws AMBIT_CNI_IP_FAILED with stderr. */
export function ip(args: readonly string[], netns?: string, input?: string): string {
  const argv = netns ? [`--net=${netns}`, systemTool('ip'), ...args] : [...args];
  const program = netns ? systemTool('nsenter') : systemTool('ip');
  const run = spawnSync(program, argv, { input: input ?? '', encoding: 'utf8', timeout: TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] });
  if (run.error || run.status !== 0) {
    const stderr = (run.stderr ?? '').trim() || (run.error?.message ?? `exit status ${String(run.status)}`);
    const where = netns ? ` in netns ${netns}` : '';
    const what = input ? `ip ${args.join(' ')} <<${input.trim().split('\n').join(' ; ')}` : `ip ${args.join(' ')}`;
    throw cniError(CNI_CODE.internal, 'AMBIT_CNI_IP_FAILED', `${what}${where} failed: ${stderr}`, { details: { stderr } });
  }
  return run.stdout;
}

/** Runs several `ip` commands in one process (`ip -batch -`), stopping at the first failure. */
export function ipBatch(commands: ReadonlyArray<readonly string[]>, netns?: string): void {
  if (commands.length === 0) return;
  ip(['-batch', '-'], netns, `${commands.map((c) => c.join(' ')).join('\n')}\n`);
}

/** `ip -j ARGS` parsed; an array (ip prints `[]` or nothing when there is nothing). */
export function ipJson(args: readonly string[], netns?: string): unknown[] {
  const text = ip(['-j', ...args], netns).trim();
  if (text === '') return [];
  const value = JSON.parse(text) as unknown;
  return Array.isArray(value) ? value : [];
}
