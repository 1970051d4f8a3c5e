// Offline tooling for Istio's plug-in CA: one root per mesh, one intermediate per cluster.
// Used by certs/make-plugin-ca.ts and `ambit certs`.
import { CODES, quote, spiffeError } from './errors.ts';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, publicKeyOf, spkiOf } from './keys.ts';
import { basicConstraints, certPem, describeCert, KEY_USAGE, keyUsage, parseCertificate, subjectAltNames } from './cert-fields.ts';
import { checkTtl, createIntermediateCertificate, createRootCertificate, INTERMEDIATE_TTL_SECONDS, ROOT_TTL_SECONDS } from './ca-certs.ts';
import { checkTrustDomain, tryParseSpiffeId } from './spiffe-id.ts';
import { DEFAULT_TRUST_DOMAIN } from './ca.ts';

const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export async function makeRootCa(options: { trustDomain?: string; ttlSeconds?: number; commonName?: string } = {}): Promise<{ certPem: string; keyPem: string }> {
  const trustDomain = checkTrustDomain(options.trustDomain ?? DEFAULT_TRUST_DOMAIN);
  const keys = await generateKeyPair();
  const cert = await createRootCertificate({
    keys,
    trustDomain,
    commonName: options.commonName ?? 'Ambit Root CA',
    ttlSeconds: checkTtl(options.ttlSeconds ?? ROOT_TTL_SECONDS, 'ttlSeconds'),
  });
  return { certPem: certPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** Exactly Istio's plug-in CA files for one cluster, signed by `root`. */
export async function makeIntermediateCa(options: {
  root: { certPem: string; keyPem: string };
  cluster: string;
  ttlSeconds?: number;
}): Promise<{ caCertPem: string; caKeyPem: string; certChainPem: string; rootCertPem: string }> {
  if (typeof options.cluster !== 'string' || !CLUSTER_NAME.test(options.cluster)) {
    throw spiffeError(CODES.badRequest, `invalid cluster name ${quote(String(options.cluster))}: use letters, digits, ".", "-" and "_" (at most 63)`);
  }
  const root = parseCertificate(options.root.certPem, CODES.badCert, 'root certificate');
  const rootKey = await importPrivateKeyPem(options.root.keyPem);
  if (!Buffer.from(await spkiOf(await publicKeyOf(rootKey))).equals(Buffer.from(root.publicKey.rawData))) {
    throw spiffeError(CODES.caKeyMismatch, `the root key is not the private key of the root certificate ${describeCert(root)}`);
  }
  const usage = keyUsage(root);
  if (!basicConstraints(root)?.ca || (usage !== undefined && (usage & KEY_USAGE.keyCertSign) === 0)) {
    throw spiffeError(CODES.caChain, `the root certificate ${describeCert(root)} is not a CA that may sign certificates`);
  }
  const trustDomain =
    subjectAltNames(root)
      .uris.map((u) => tryParseSpiffeId(u))
      .find((id) => id !== undefined && id.path === '')?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const keys = await generateKeyPair();
  const cert = await createIntermediateCertificate({
    issuer: root,
    issuerKey: rootKey,
    publicKey: keys.publicKey,
    trustDomain,
    cluster: options.cluster,
    ttlSeconds: checkTtl(options.ttlSeconds ?? INTERMEDIATE_TTL_SECONDS, 'ttlSeconds'),
  });
  const caCertPem = certPem(cert);
  const rootCertPem = certPem(root);
  return { caCertPem, caKeyPem: await exportPrivateKeyPem(keys.privateKey), certChainPem: caCertPem + rootCertPem, rootCertPem };
}
