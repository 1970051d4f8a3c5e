// Test PKI made with @ambit/spiffe: a self-signed mesh CA and workload credentials for any identity.
import { CertificateAuthority, createCsr, exportPrivateKeyPem, generateKeyPair, inspectCsr, istioIdentity, type TrustBundle } from '@ambit/spiffe';
import type { HboneCredentials } from '../src/index.ts';

export const TD = 'cluster.local';
export const CLIENT_ID = istioIdentity(TD, 'default', 'client');
export const SERVER_ID = istioIdentity(TD, 'default', 'server');

export async function newCa(trustDomain = TD): Promise<CertificateAuthority> {
  return CertificateAuthority.createSelfSigned({ trustDomain, commonName: `Test Root ${trustDomain}` });
}

/** Workload credentials the way a ztunnel gets them: key pair, CSR, the CA's gate, signing. */
export async function issue(ca: CertificateAuthority, identity: string, bundle: TrustBundle = ca.bundle): Promise<HboneCredentials> {
  const keys = await generateKeyPair();
  const csr = await createCsr({ identity, keys });
  const info = await inspectCsr(csr);
  const signed = await ca.sign({ publicKey: info.publicKey, identity: info.identities[0] as string, ttlSeconds: 3600 });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), certChainPem: signed.certChain, trustBundle: bundle };
}
