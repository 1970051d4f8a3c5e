// Running the few system tools the lab drives (ip, nft, sysctl). Arguments are always passed as
// an argv array, never through a shell, so names from user YAML cannot inject commands.
import { execFile, spawn } from 'node:child_process';
import { AmbitError } from '@ambit/core';

export interface RunOptions {
  /** Written to the command's stdin (for `ip -batch -` and `nft -f -`). */
  input?: string;
  timeoutMs?: number;
  /** Exit codes other than 0 that still count as success. */
  okCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (code === 0 || options.okCodes?.includes(code)) {
          resolve({ stdout, stderr, code });
          return;
        }
        const what = [command, ...args].join(' ');
        reject(
          new AmbitError('AMBIT_LAB_COMMAND_FAILED', `${what} failed (exit ${code}): ${stderr.trim() || error?.message}`, {
            cause: error,
            details: { command, args: [...args] },
          }),
        );
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs `ip -batch -` in a network namespace (or the current one when netns is undefined). */
export async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  await run('ip', args, { input: lines.join('\n') + '\n' });
}

/** Applies an nft ruleset inside a netns in one atomic transaction. */
export async function nftApply(netns: string, ruleset: string): Promise<void> {
  await run('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: ruleset });
}

/** Spawns a long-lived process; the caller owns its lifecycle. */
export { spawn };
