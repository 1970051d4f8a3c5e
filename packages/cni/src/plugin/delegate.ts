// Delegation to the IPAM plugin (spec: "Delegated plugins"): the binary named by `ipam.type`,
// found on CNI_PATH, run with the same environment and the complete stdin configuration.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import type { Verb } from '../protocol/env.ts';

const TIMEOUT_MS = 60_000;

/** The first executable named `type` in `path`; code 2 (unsupported field ipam.type) if none. */
export function findDelegate(type: string, path: readonly string[]): string {
  for (const dir of path) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw cniError(CNI_CODE.unsupportedField, 'AMBIT_CNI_UNKNOWN_IPAM', `unsupported field ipam.type="${type}": no plugin binary "${type}" in CNI_PATH ${path.join(':') || '(empty)'}`, {
    hint: 'install the IPAM plugin into the CNI bin directory or fix ipam.type (ambit-ipam, host-local, ...)',
  });
}

/** Runs the delegate; returns its decoded stdout (undefined when empty) or throws its error with its code. */
export function runDelegate(binary: string, verb: Exclude<Verb, 'VERSION'>, stdin: string): unknown {
  const run = spawnSync(binary, [], {
    input: stdin,
    env: { ...process.env, CNI_COMMAND: verb },
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const name = binary.split('/').at(-1) ?? binary;
  if (run.error) throw cniError(CNI_CODE.internal, 'AMBIT_CNI_DELEGATE_FAILED', `IPAM plugin ${name} ${verb} could not run: ${run.error.message}`, { cause: run.error });
  let output: unknown;
  const text = run.stdout.trim();
  if (text !== '') {
    try {
      output = JSON.parse(text) as unknown;
    } catch {
      output = undefined;
    }
  }
  if (run.status !== 0) {
    const reply = (typeof output === 'object' && output !== null ? output : {}) as Record<string, unknown>;
    const code = typeof reply['code'] === 'number' ? reply['code'] : CNI_CODE.internal;
    const msg = typeof reply['msg'] === 'string' ? reply['msg'] : run.stderr.trim() || text || `exit status ${String(run.status)}`;
    const details = typeof reply['details'] === 'string' && reply['details'] !== '' ? ` (${reply['details']})` : '';
    throw cniError(code, 'AMBIT_CNI_DELEGATE_FAILED', `IPAM plugin ${name} ${verb} failed: ${msg}${details}`);
  }
  if (text !== '' && output === undefined) throw cniError(CNI_CODE.decode, 'AMBIT_CNI_DELEGATE_FAILED', `IPAM plugin ${name} ${verb} printed something that is not JSON: ${text.slice(0, 200)}`);
  return output;
}
