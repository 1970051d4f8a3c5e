// Runs one plugin binary the way libcni's invoke package does: CNI_* variables in the
// environment, the configuration on stdin, the result or error JSON read from stdout. With a
// `hostNetns` the binary runs through `ip netns exec <name>`, so its runtime netns is a lab node.
import { spawn } from 'node:child_process';
import { access, constants as fsConstants } from 'node:fs/promises';
import { join } from 'node:path';
import { AmbitError, type Logger } from '@ambit/core';
import { CNI_CODE } from '../protocol/errors.ts';
import { CniPluginError } from './errors.ts';

export interface PluginInvocation {
  type: string;
  verb: string;
  binDirs: readonly string[];
  /** CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS (unset ones are sent empty). */
  vars?: Readonly<Record<string, string>>;
  stdin: unknown;
  hostNetns?: string;
  timeoutMs: number;
  logger: Logger;
}

/** The plugin binary in the first bin dir that has it, as libcni's FindInPath. */
export async function findPlugin(type: string, binDirs: readonly string[]): Promise<string> {
  for (const dir of binDirs) {
    const candidate = join(dir, type);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new AmbitError('AMBIT_CNI_PLUGIN_NOT_FOUND', `failed to find plugin "${type}" in path ${binDirs.join(':') || '(empty)'}`, {
    hint: 'install the plugin binary into one of binDirs (Debian: containernetworking-plugins in /usr/lib/cni)',
  });
}

function environment(inv: PluginInvocation): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CNI_')) env[k] = v;
  return {
    ...env,
    CNI_COMMAND: inv.verb,
    CNI_CONTAINERID: inv.vars?.['CNI_CONTAINERID'] ?? '',
    CNI_NETNS: inv.vars?.['CNI_NETNS'] ?? '',
    CNI_IFNAME: inv.vars?.['CNI_IFNAME'] ?? '',
    CNI_ARGS: inv.vars?.['CNI_ARGS'] ?? '',
    CNI_PATH: inv.binDirs.join(':'),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs the plugin; resolves to its decoded stdout (undefined when it printed nothing). */
export async function execPlugin(inv: PluginInvocation): Promise<unknown> {
  const binary = await findPlugin(inv.type, inv.binDirs);
  const [program, args] = inv.hostNetns ? ['ip', ['netns', 'exec', inv.hostNetns, binary]] : [binary, []];
  const started = Date.now();
  const { status, signal, stdout, stderr } = await new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(program, args, { env: environment(inv), stdio: ['pipe', 'pipe', 'pipe'], timeout: inv.timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a plugin may exit without reading stdin (VERSION)
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ status: code, signal: sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(JSON.stringify(inv.stdin));
  });
  inv.logger.debug({ plugin: inv.type, verb: inv.verb, status, ms: Date.now() - started }, 'cni plugin ran');
  const text = stdout.trim();
  const output = text === '' ? undefined : parseJson(text);
  if (status === 0) {
    if (text !== '' && output === undefined) {
      throw new CniPluginError({ plugin: inv.type, verb: inv.verb, cniCode: CNI_CODE.decode, cniMsg: `printed something that is not JSON: ${text.slice(0, 200)}` });
    }
    return output;
  }
  const reply = typeof output === 'object' && output !== null ? (output as Record<string, unknown>) : {};
  const fallback = stderr.trim() || text || (signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${inv.timeoutMs}ms?)` : ''}` : `exit status ${String(status)}`);
  throw new CniPluginError({
    plugin: inv.type,
    verb: inv.verb,
    cniCode: typeof reply['code'] === 'number' ? reply['code'] : CNI_CODE.internal,
    cniMsg: typeof reply['msg'] === 'string' ? reply['msg'] : fallback,
    ...(typeof reply['details'] === 'string' && reply['details'] !== '' ? { cniDetails: reply['details'] } : {}),
  });
}
