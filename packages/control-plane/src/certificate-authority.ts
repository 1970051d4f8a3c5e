// Which CA the control plane signs with: a plug-in CA when its files are present (Istio's layout,
// as `ambit certs intermediate` writes it), else the self-signed root it made on a previous start,
// else a new self-signed root, kept for the next start.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CertificateAuthority } from '@ambit/spiffe';
import type { Logger } from '@ambit/core';

const PLUGIN_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'];

/** True when the plug-in CA files are present (they win over the self-signed root). */
export function usesPluginCa(dir: string): boolean {
  return PLUGIN_FILES.every((f) => existsSync(join(dir, f)));
}

export async function loadOrCreateAuthority(dir: string, trustDomain: string, logger: Logger): Promise<CertificateAuthority> {
  if (usesPluginCa(dir)) {
    logger.info({ dir }, 'using the plug-in CA');
    return CertificateAuthority.fromFiles(dir, { trustDomain });
  }
  const selfSigned = join(dir, 'self-signed');
  if (existsSync(selfSigned)) {
    logger.info({ dir: selfSigned }, 'using the self-signed root made on an earlier start');
    return CertificateAuthority.load(selfSigned);
  }
  await mkdir(selfSigned, { recursive: true, mode: 0o700 });
  const authority = await CertificateAuthority.createSelfSigned({ trustDomain });
  await authority.save(selfSigned);
  logger.info({ dir: selfSigned }, 'made a new self-signed root');
  return authority;
}
