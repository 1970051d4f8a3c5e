// Builds certificates for the tests with @peculiar/x509 directly, never with the code under test,
// so a bug in the CA cannot hide the same bug in the verifier.
import { webcrypto } from 'node:crypto';
import '../src/reflect-polyfill.ts';
import * as x509 from '@peculiar/x509';
import type { Crypto, CryptoKey, CryptoKeyPair } from '../src/webcrypto-types.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const TD = 'cluster.local';
export const ID = 'spiffe://cluster.local/ns/default/sa/web';
export const HOUR = 3_600_000;
const KU = x509.KeyUsageFlags;

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  der: Buffer;
}

export interface CertSpec {
  subject?: string;
  /** Omit for self-signed. */
  issuer?: Issued;
  keys?: CryptoKeyPair;
  /** undefined: no basicConstraints extension. */
  ca?: boolean | undefined;
  pathLength?: number;
  /** null: no keyUsage extension. */
  keyUsage?: number | null;
  /** null: no SAN extension. */
  sans?: x509.JsonGeneralNames | null;
  eku?: string[] | null;
  notBefore?: Date;
  notAfter?: Date;
  extra?: x509.Extension[];
}

export function newKeys(curve: 'P-256' | 'P-384' = 'P-256'): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function makeCert(spec: CertSpec): Promise<Issued> {
  const keys = spec.keys ?? (await newKeys());
  const extensions: x509.Extension[] = [];
  if (spec.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(spec.ca, spec.pathLength, true));
  if (spec.keyUsage !== null && spec.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(spec.keyUsage, true));
  if (spec.eku) extensions.push(new x509.ExtendedKeyUsageExtension(spec.eku));
  if (spec.sans) extensions.push(new x509.SubjectAlternativeNameExtension(spec.sans, spec.subject === undefined || spec.subject === ''));
  extensions.push(...(spec.extra ?? []));
  const now = Date.now();
  const common = {
    notBefore: spec.notBefore ?? new Date(now - HOUR),
    notAfter: spec.notAfter ?? new Date(now + HOUR),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  };
  const cert = spec.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: spec.subject ?? '',
        issuer: spec.issuer.cert.subjectName,
        publicKey: keys.publicKey,
        signingKey: spec.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: spec.subject ?? '', keys });
  return wrap(cert, keys);
}

function wrap(cert: x509.X509Certificate, keys: CryptoKeyPair): Issued {
  return { cert, keys, pem: cert.toString('pem'), der: Buffer.from(cert.rawData) };
}

export function root(subject = 'O=cluster.local, CN=Test Root', extra: Partial<CertSpec> = {}): Promise<Issued> {
  return makeCert({ subject, ca: true, keyUsage: KU.keyCertSign | KU.cRLSign, ...extra });
}

export function intermediate(issuer: Issued, subject = 'O=cluster.local, CN=Test Intermediate', extra: Partial<CertSpec> = {}): Promise<Issued> {
  return makeCert({ subject, issuer, ca: true, keyUsage: KU.keyCertSign | KU.cRLSign, ...extra });
}

export function leaf(issuer: Issued, extra: Partial<CertSpec> = {}): Promise<Issued> {
  return makeCert({
    issuer,
    ca: false,
    keyUsage: KU.digitalSignature,
    eku: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    sans: [{ type: 'url', value: ID }],
    ...extra,
  });
}

/** The same DER with one bit flipped near the end (inside the signature value). */
export function tamper(issued: Issued): Buffer {
  const der = Buffer.from(issued.der);
  der[der.length - 3] = (der[der.length - 3] as number) ^ 0x01;
  return der;
}

export type { CryptoKey };
export { KU };
