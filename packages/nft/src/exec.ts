// Running `nft` and `ip` inside a pod's network namespace: `nsenter --net=<path> <tool> ...`, argv
// arrays only (never a shell), the script on stdin, LC_ALL=C so messages are stable.
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { AmbitError } from '@ambit/core';
import { NftErrorCode } from './errors.ts';

const NSFS_MAGIC = 0x6e736673;
const TIMEOUT_MS = 10_000;

export interface ToolResult {
  /** Exit status; 0 is success. */
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Checks that `netnsPath` is a namespace file (on nsfs), so that nothing is ever run in the wrong
 * namespace, in particular not in the caller's own when the path is wrong.
 */
export async function assertNetns(netnsPath: string): Promise<void> {
  let type: number;
  try {
    type = (await statfs(netnsPath)).type;
  } catch (error) {
    throw notFound(netnsPath, (error as NodeJS.ErrnoException).code ?? String(error), error);
  }
  if (type !== NSFS_MAGIC) throw notFound(netnsPath, `not a namespace file (filesystem type 0x${type.toString(16)}, expected nsfs)`);
}

function notFound(netnsPath: string, why: string, cause?: unknown): AmbitError {
  return new AmbitError(NftErrorCode.NETNS_NOT_FOUND, `network namespace ${netnsPath} cannot be used: ${why}`, {
    hint: 'the pod is gone, or the path is not /run/netns/<name> or /proc/<pid>/ns/net',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Runs `argv` inside the network namespace at `netnsPath` with `input` on stdin. Resolves with the
 * exit status and output (a non-zero status is the caller's to judge); rejects only when the tool
 * cannot run at all (AMBIT_NFT_TOOL_FAILED) or nsenter cannot enter the namespace
 * (AMBIT_NFT_NETNS_NOT_FOUND).
 */
export async function runInNetns(netnsPath: string, argv: readonly string[], input = ''): Promise<ToolResult> {
  await assertNetns(netnsPath);
  const result = await runTool('nsenter', [`--net=${netnsPath}`, '--', ...argv], input);
  if (result.status !== 0 && /^nsenter: /m.test(result.stderr)) {
    throw notFound(netnsPath, result.stderr.trim());
  }
  return result;
}

function runTool(file: string, args: readonly string[], input: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ status: 0, stdout, stderr });
        if (typeof error.code === 'number' && !error.killed) return resolve({ status: error.code, stdout, stderr });
        const why = error.killed ? `timed out after ${TIMEOUT_MS} ms` : String(error.code ?? error.message);
        reject(
          new AmbitError(NftErrorCode.TOOL_FAILED, `cannot run ${[file, ...args].join(' ')}: ${why}`, {
            cause: error,
            hint: 'nsenter (util-linux), nft (nftables) and ip (iproute2) must be on PATH',
          }),
        );
      },
    );
    // A tool that exits before reading all of stdin would make the write fail with EPIPE; the exit
    // status tells the story, so the write error is ignored.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}
