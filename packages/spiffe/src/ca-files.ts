// Reading and writing Istio's plug-in CA directory (ca-cert.pem, ca-key.pem, cert-chain.pem,
// root-cert.pem) plus Ambit's ambit-ca.json (the trust domain). Writes are atomic; the key is 0600.
import { access, mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { CODES, spiffeError } from './errors.ts';

export interface PluginCaFiles {
  caCertPem: string;
  caKeyPem: string;
  certChainPem: string;
  rootCertPem: string;
  trustDomain?: string | undefined;
}

export const PLUGIN_FILES = { caCert: 'ca-cert.pem', caKey: 'ca-key.pem', certChain: 'cert-chain.pem', rootCert: 'root-cert.pem' } as const;
const META = 'ambit-ca.json';
const MAX_FILE_BYTES = 1024 * 1024;

async function readText(dir: string, name: string, optional: boolean): Promise<string | undefined> {
  try {
    const data = await readFile(join(dir, name));
    if (data.length > MAX_FILE_BYTES) throw spiffeError(CODES.caFiles, `${join(dir, name)} is larger than ${MAX_FILE_BYTES} bytes`);
    return data.toString('utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && optional) return undefined;
    if ((cause as { code?: unknown }).code === CODES.caFiles) throw cause;
    throw spiffeError(CODES.caFiles, `cannot read ${join(dir, name)}: ${(cause as Error).message}`, {
      cause,
      hint: `a plug-in CA directory holds ${Object.values(PLUGIN_FILES).join(', ')} (make one with certs/make-plugin-ca.ts)`,
    });
  }
}

export async function readPluginFiles(dir: string): Promise<PluginCaFiles> {
  const [caCertPem, caKeyPem, certChainPem, rootCertPem, meta] = await Promise.all([
    readText(dir, PLUGIN_FILES.caCert, false),
    readText(dir, PLUGIN_FILES.caKey, false),
    readText(dir, PLUGIN_FILES.certChain, true),
    readText(dir, PLUGIN_FILES.rootCert, false),
    readText(dir, META, true),
  ]);
  let trustDomain: string | undefined;
  if (meta !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(meta);
    } catch (cause) {
      throw spiffeError(CODES.caFiles, `${join(dir, META)} is not JSON: ${(cause as Error).message}`, { cause });
    }
    const value = (parsed as { trustDomain?: unknown } | null)?.trustDomain;
    if (typeof value !== 'string') throw spiffeError(CODES.caFiles, `${join(dir, META)}: "trustDomain" must be a string`);
    trustDomain = value;
  }
  return { caCertPem: caCertPem ?? '', caKeyPem: caKeyPem ?? '', certChainPem: certChainPem ?? '', rootCertPem: rootCertPem ?? '', trustDomain };
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

export async function writePluginFiles(dir: string, files: PluginCaFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAtomic(join(dir, PLUGIN_FILES.caKey), files.caKeyPem, 0o600);
  await writeAtomic(join(dir, PLUGIN_FILES.caCert), files.caCertPem, 0o644);
  await writeAtomic(join(dir, PLUGIN_FILES.certChain), files.certChainPem, 0o644);
  await writeAtomic(join(dir, PLUGIN_FILES.rootCert), files.rootCertPem, 0o644);
  if (files.trustDomain !== undefined) await writeAtomic(join(dir, META), `${JSON.stringify({ trustDomain: files.trustDomain }, null, 2)}\n`, 0o644);
}

export const ROOT_FILES = { cert: 'root-cert.pem', key: 'root-key.pem' } as const;

async function refuseExisting(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const exists = await access(join(dir, name)).then(
      () => true,
      () => false,
    );
    if (exists) throw spiffeError(CODES.caFiles, `${join(dir, name)} already exists; refusing to overwrite CA material`, { hint: 'choose another output directory or remove the old files first' });
  }
}

/** Writes root-cert.pem and root-key.pem (0600) for later intermediates; never overwrites. */
export async function writeRootFiles(dir: string, root: { certPem: string; keyPem: string }): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await refuseExisting(dir, [ROOT_FILES.cert, ROOT_FILES.key]);
  await writeAtomic(join(dir, ROOT_FILES.key), root.keyPem, 0o600);
  await writeAtomic(join(dir, ROOT_FILES.cert), root.certPem, 0o644);
}

export async function readRootFiles(dir: string): Promise<{ certPem: string; keyPem: string }> {
  const [certPem, keyPem] = await Promise.all([readText(dir, ROOT_FILES.cert, false), readText(dir, ROOT_FILES.key, false)]);
  return { certPem: certPem ?? '', keyPem: keyPem ?? '' };
}

/** Writes Istio's four plug-in CA files (ca-key.pem 0600); never overwrites. */
export async function writeNewPluginFiles(dir: string, files: PluginCaFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await refuseExisting(dir, Object.values(PLUGIN_FILES));
  await writePluginFiles(dir, files);
}
