// `ambit certs ...`: offline tooling for Istio's plug-in CA (one root per mesh, one intermediate per
// cluster). Keys are written 0600 and never overwritten.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AmbitError, parseDuration } from '@ambit/core';
import { makeIntermediateCa, makeRootCa, readRootFiles, writeNewPluginFiles, writeRootFiles, PLUGIN_FILES, ROOT_FILES } from '@ambit/spiffe';
import { EXIT } from './exit-codes.ts';

const USAGE = `usage:
  ambit certs root --out DIR [--trust-domain TD] [--ttl 87600h]
  ambit certs intermediate --out DIR --root DIR --cluster NAME [--ttl 17520h]`;

const OPTIONS: Record<'root' | 'intermediate', ParseArgsOptionsConfig> = {
  root: { out: { type: 'string' }, 'trust-domain': { type: 'string' }, ttl: { type: 'string' } },
  intermediate: { out: { type: 'string' }, root: { type: 'string' }, cluster: { type: 'string' }, ttl: { type: 'string' } },
};

class CertsUsageError extends Error {}

function ttlSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new CertsUsageError(`--ttl: invalid duration "${value}" (write e.g. 87600h, 720h, 30m)`);
  }
  if (ms < 1000) throw new CertsUsageError(`--ttl: "${value}" is shorter than one second`);
  return Math.floor(ms / 1000);
}

function required(values: Record<string, string | undefined>, flag: string, verb: string): string {
  const value = values[flag];
  if (value === undefined || value === '') throw new CertsUsageError(`certs ${verb}: --${flag} is required\n${USAGE}`);
  return value;
}

async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help') {
    console.log(USAGE);
    return verb === undefined ? EXIT.usage : EXIT.ok;
  }
  if (verb !== 'root' && verb !== 'intermediate') throw new CertsUsageError(`unknown certs command "${verb}"\n${USAGE}`);
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: rest, options: OPTIONS[verb], strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new CertsUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const out = required(values, 'out', verb);
  const ttl = ttlSeconds(values.ttl);
  if (verb === 'root') {
    const trustDomain = values['trust-domain'];
    const root = await makeRootCa({ ...(trustDomain === undefined ? {} : { trustDomain }), ...(ttl === undefined ? {} : { ttlSeconds: ttl }) });
    await writeRootFiles(out, root);
    console.log(`wrote ${out}/${ROOT_FILES.cert} and ${out}/${ROOT_FILES.key} (mode 0600); keep the key offline`);
    return EXIT.ok;
  }
  const rootDir = required(values, 'root', verb);
  const cluster = required(values, 'cluster', verb);
  const files = await makeIntermediateCa({ root: await readRootFiles(rootDir), cluster, ...(ttl === undefined ? {} : { ttlSeconds: ttl }) });
  await writeNewPluginFiles(out, files);
  console.log(`wrote ${Object.values(PLUGIN_FILES).map((f) => `${out}/${f}`).join(', ')} for cluster "${cluster}"`);
  return EXIT.ok;
}

/** Returns the exit code: 0 done, 2 usage or input error (message on stderr). */
export async function certsCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof CertsUsageError) {
      console.error(`error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof AmbitError) {
      console.error(`error: ${error.describe()}`);
      return EXIT.usage;
    }
    throw error;
  }
}
