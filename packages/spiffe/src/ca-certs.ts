// The certificates a CA makes: self-signed roots, intermediates (Istio's plug-in CA) and workload
// leaves (X.509-SVIDs). Validity is always whole seconds, notBefore backdated for clock skew but
// never before the issuer's, notAfter capped by the issuer's.
import { randomBytes } from 'node:crypto';
import { CODES, spiffeError } from './errors.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';
import type { CryptoKey, CryptoKeyPair } from './webcrypto-types.ts';

export const CLOCK_SKEW_MS = 60_000;
export const ROOT_TTL_SECONDS = 10 * 365 * 86_400;
export const INTERMEDIATE_TTL_SECONDS = 2 * 365 * 86_400;

const CA_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

/** A positive 127-bit serial number (RFC 5280: positive, at most 20 octets; CA/B: at least 64 random bits). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function floorSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

export function checkTtl(ttlSeconds: unknown, what: string): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < 1) {
    throw spiffeError(CODES.badRequest, `${what} must be a positive number of seconds, got ${String(ttlSeconds)}`);
  }
  return ttlSeconds;
}

/** The validity window of a new certificate under `issuer` (undefined for a self-signed one). */
export function validity(ttlSeconds: number, issuer: x509.X509Certificate | undefined, now = Date.now()): { notBefore: Date; notAfter: Date } {
  let notBefore = now - CLOCK_SKEW_MS;
  let notAfter = now + ttlSeconds * 1000;
  if (issuer) {
    if (issuer.notAfter.getTime() <= now) {
      throw spiffeError(CODES.caExpired, `the signing certificate "${issuer.subject}" expired at ${issuer.notAfter.toISOString()}`, {
        hint: 'rotate the CA (docs/adr/0004-ca-root-rotation.md)',
      });
    }
    if (issuer.notBefore.getTime() > now) {
      throw spiffeError(CODES.caExpired, `the signing certificate "${issuer.subject}" is not valid before ${issuer.notBefore.toISOString()}`, {
        hint: "check this machine's clock",
      });
    }
    notBefore = Math.max(notBefore, issuer.notBefore.getTime());
    notAfter = Math.min(notAfter, issuer.notAfter.getTime());
  }
  return { notBefore: floorSeconds(notBefore), notAfter: floorSeconds(notAfter) };
}

function caName(trustDomain: string, extra: Array<[string, string]>): x509.JsonName {
  return [{ O: [trustDomain] }, ...extra.map(([type, value]) => ({ [type]: [value] }))];
}

export async function createRootCertificate(options: {
  keys: CryptoKeyPair;
  trustDomain: string;
  commonName?: string | undefined;
  ttlSeconds: number;
}): Promise<x509.X509Certificate> {
  const { notBefore, notAfter } = validity(options.ttlSeconds, undefined);
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name(caName(options.trustDomain, options.commonName ? [['CN', options.commonName]] : [])),
    keys: options.keys,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(options.keys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${options.trustDomain}` }]),
    ],
  });
}

async function authorityKeyId(issuer: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

export async function createIntermediateCertificate(options: {
  issuer: x509.X509Certificate;
  issuerKey: CryptoKey;
  publicKey: CryptoKey;
  trustDomain: string;
  cluster: string;
  ttlSeconds: number;
}): Promise<x509.X509Certificate> {
  const { notBefore, notAfter } = validity(options.ttlSeconds, options.issuer);
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name(caName(options.trustDomain, [['L', options.cluster], ['CN', 'Intermediate CA']])),
    issuer: options.issuer.subjectName,
    publicKey: options.publicKey,
    signingKey: options.issuerKey,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(options.publicKey),
      await authorityKeyId(options.issuer),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${options.trustDomain}` }]),
    ],
  });
}

/** An X.509-SVID: empty subject, one critical URI SAN, not a CA, digitalSignature, serverAuth+clientAuth. */
export async function createLeafCertificate(options: {
  issuer: x509.X509Certificate;
  issuerKey: CryptoKey;
  publicKey: CryptoKey;
  identity: string;
  ttlSeconds: number;
  /** Extra SANs for a server certificate (the control plane's 15012 certificate); workloads have none. */
  dnsNames?: readonly string[] | undefined;
  ipAddresses?: readonly string[] | undefined;
}): Promise<x509.X509Certificate> {
  const { notBefore, notAfter } = validity(options.ttlSeconds, options.issuer);
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([]),
    issuer: options.issuer.subjectName,
    publicKey: options.publicKey,
    signingKey: options.issuerKey,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await authorityKeyId(options.issuer),
      new x509.SubjectAlternativeNameExtension(
        [
          { type: 'url', value: options.identity },
          ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
          ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
        ],
        true,
      ),
    ],
  });
}
