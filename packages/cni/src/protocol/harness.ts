// The skeleton both plugin binaries share (the role of the reference library's `skel`): read
// stdin, validate the CNI_* environment, answer VERSION, dispatch the verb, print the result or
// the error JSON on stdout and exit 1 on error. Nothing else ever writes to stdout.
import { readFileSync, writeSync } from 'node:fs';
import { CNI_CODE, cniError, toErrorReply } from './errors.ts';
import { parseCniEnv, type CniEnv, type Verb } from './env.ts';
import { CURRENT_VERSION, versionInfo } from './versions.ts';

export interface CniRequest {
  env: CniEnv;
  /** stdin exactly as received, for delegation. */
  stdin: string;
  /** stdin decoded as JSON. */
  config: unknown;
}

/** A verb handler returns the object to print on stdout, or undefined for no output. */
export type VerbHandler = (request: CniRequest) => Promise<unknown>;
export type VerbHandlers = Partial<Record<Exclude<Verb, 'VERSION'>, VerbHandler>>;

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EOF') return '';
    throw cniError(CNI_CODE.io, 'AMBIT_CNI_IO', `cannot read the configuration from stdin: ${(error as Error).message}`, { cause: error });
  }
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw cniError(CNI_CODE.decode, 'AMBIT_CNI_DECODE', `cannot decode the configuration on stdin as JSON: ${(error as Error).message}`, { cause: error });
  }
}

function tryDecode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function versionOf(config: unknown): string {
  if (typeof config === 'object' && config !== null && 'cniVersion' in config && typeof config.cniVersion === 'string' && config.cniVersion !== '') {
    return config.cniVersion;
  }
  return CURRENT_VERSION;
}

function print(value: unknown): void {
  writeSync(1, `${JSON.stringify(value)}\n`);
}

/** Runs one plugin invocation to completion and exits the process. */
export async function runCni(handlers: VerbHandlers, env: NodeJS.ProcessEnv = process.env): Promise<never> {
  let config: unknown;
  try {
    const stdin = readStdin();
    config = tryDecode(stdin);
    const cniEnv = parseCniEnv(env);
    if (cniEnv.command === 'VERSION') {
      print(versionInfo());
      process.exit(0);
    }
    config = decode(stdin);
    const handler = handlers[cniEnv.command];
    if (!handler) throw cniError(CNI_CODE.invalidEnv, 'AMBIT_CNI_INVALID_ENV', `CNI_COMMAND=${cniEnv.command} is not supported by this plugin`);
    const output = await handler({ env: cniEnv, stdin, config });
    if (output !== undefined) print(output);
    process.exit(0);
  } catch (error) {
    print(toErrorReply(error, versionOf(config)));
    process.exit(1);
  }
}
