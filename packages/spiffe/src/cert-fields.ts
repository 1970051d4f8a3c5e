// Strict parsing of X.509 certificates and the few fields Ambit reads from them. Every accessor the
// checks need is touched once inside parseCertificate, so a malformed certificate fails there with
// one clear error instead of later, deep inside a check.
import { X509Certificate as OpenSslCertificate } from 'node:crypto';
import { spiffeError, type SpiffeErrorCode } from './errors.ts';
import { checkDerEnvelope, decodePem } from './pem.ts';
import { describeAlgorithm } from './keys.ts';
import { x509 } from './x509.ts';
import type { CryptoKey, EcKeyAlgorithm, EcKeyImportParams } from './webcrypto-types.ts';

export const MAX_CERT_BYTES = 64 * 1024;

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** Extensions whose meaning we enforce; any other extension marked critical makes a certificate unusable (RFC 5280 4.2). */
const UNDERSTOOD = new Set<string>([OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName, OID.subjectKeyId, OID.authorityKeyId]);

export const KEY_USAGE = { digitalSignature: 1, keyCertSign: 32, cRLSign: 64 } as const;

/** PEM text (one CERTIFICATE block) or DER bytes -> a parsed certificate; throws `code`. */
export function parseCertificate(input: unknown, code: SpiffeErrorCode, what: string): x509.X509Certificate {
  let der: Uint8Array;
  if (typeof input === 'string') {
    if (input.length > MAX_CERT_BYTES * 2) throw spiffeError(code, `${what} is larger than ${MAX_CERT_BYTES} bytes`);
    try {
      der = decodePem(input, 'CERTIFICATE', code);
    } catch (cause) {
      throw spiffeError(code, `${what}: ${(cause as Error).message}`, { cause });
    }
  } else if (input instanceof Uint8Array) {
    der = input;
    checkDerEnvelope(der, code, what);
  } else {
    throw spiffeError(code, `${what} must be PEM text or DER bytes, got ${input === null ? 'null' : typeof input}`);
  }
  if (der.length > MAX_CERT_BYTES) throw spiffeError(code, `${what} is ${der.length} bytes, more than the limit of ${MAX_CERT_BYTES}`);
  try {
    // OpenSSL is the stricter DER parser and the one node:tls uses; a certificate it rejects is never accepted.
    new OpenSslCertificate(Buffer.from(der));
    const cert = new x509.X509Certificate(Uint8Array.from(der));
    void cert.subjectName.toArrayBuffer();
    void cert.issuerName.toArrayBuffer();
    void cert.notBefore;
    void cert.notAfter;
    void cert.publicKey.algorithm;
    void cert.serialNumber;
    for (const extension of cert.extensions) void extension.type;
    return cert;
  } catch (cause) {
    throw spiffeError(code, `${what} could not be parsed as an X.509 certificate: ${(cause as Error).message}`, { cause });
  }
}

/** For messages: the subject, or the serial when the subject is empty (workload certificates). */
export function describeCert(cert: x509.X509Certificate): string {
  return cert.subject ? `"${cert.subject}"` : `(empty subject, serial ${cert.serialNumber})`;
}

export function certPem(cert: x509.X509Certificate): string {
  return cert.toString('pem').replace(/\r\n/g, '\n').trimEnd() + '\n';
}

/** Problems with the extension list itself: duplicates and critical extensions we do not enforce. */
export function extensionProblem(cert: x509.X509Certificate): string | undefined {
  const seen = new Set<string>();
  for (const extension of cert.extensions) {
    if (seen.has(extension.type)) return `certificate ${describeCert(cert)} has extension ${extension.type} twice`;
    seen.add(extension.type);
    if (extension.critical && !UNDERSTOOD.has(extension.type)) {
      return `certificate ${describeCert(cert)} has critical extension ${extension.type}, which Ambit does not enforce`;
    }
  }
  return undefined;
}

export function basicConstraints(cert: x509.X509Certificate): { ca: boolean; pathLength: number | undefined } | undefined {
  const ext = cert.getExtension(x509.BasicConstraintsExtension);
  return ext ? { ca: ext.ca, pathLength: ext.pathLength } : undefined;
}

export function keyUsage(cert: x509.X509Certificate): number | undefined {
  return cert.getExtension(x509.KeyUsagesExtension)?.usages;
}

export function extendedKeyUsages(cert: x509.X509Certificate): string[] | undefined {
  return cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String);
}

/** The subject alternative names, split into URIs and the rest ("dns:example.com" ...). */
export function subjectAltNames(cert: x509.X509Certificate | x509.Pkcs10CertificateRequest): { uris: string[]; others: string[] } {
  const uris: string[] = [];
  const others: string[] = [];
  for (const ext of cert.extensions) {
    if (ext.type !== OID.subjectAltName) continue;
    const names = ext instanceof x509.SubjectAlternativeNameExtension ? ext.names : new x509.SubjectAlternativeNameExtension(ext.rawData).names;
    for (const name of names.items) {
      if (name.type === 'url') uris.push(name.value);
      else others.push(`${name.type}:${name.value}`);
    }
  }
  return { uris, others };
}

export function isP256Key(publicKey: x509.PublicKey): boolean {
  const algorithm = publicKey.algorithm as EcKeyAlgorithm;
  return algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256';
}

export function isEcdsaSha256(algorithm: unknown): boolean {
  const a = algorithm as { name?: unknown; hash?: { name?: unknown } } | undefined;
  return a?.name === 'ECDSA' && a.hash?.name === 'SHA-256';
}

/** undefined when key and signature are ECDSA P-256 / SHA-256, else why not ("has a ... key"). */
export function algorithmProblem(cert: x509.X509Certificate): string | undefined {
  if (!isP256Key(cert.publicKey)) return `has a ${describeAlgorithm(cert.publicKey.algorithm)} key, expected ECDSA P-256`;
  let signature: unknown;
  try {
    signature = cert.signatureAlgorithm;
  } catch {
    return 'has an unknown signature algorithm';
  }
  if (!isEcdsaSha256(signature)) return `is signed with ${describeSignature(signature)}, expected ECDSA with SHA-256`;
  return undefined;
}

function describeSignature(algorithm: unknown): string {
  const a = algorithm as { name?: unknown; hash?: { name?: unknown } } | undefined;
  return `${String(a?.name)}${typeof a?.hash?.name === 'string' ? ` with ${a.hash.name}` : ''}`;
}

const keyCache = new WeakMap<x509.X509Certificate, Promise<CryptoKey>>();

/** The certificate's public key as a WebCrypto key (cached per certificate object). */
export function certificateKey(cert: x509.X509Certificate): Promise<CryptoKey> {
  let key = keyCache.get(cert);
  if (!key) {
    key = cert.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams, ['verify']);
    keyCache.set(cert, key);
  }
  return key;
}

/** Whether `cert` carries a valid ECDSA-SHA256 signature by `issuer`'s key. Never throws. */
export async function isSignedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    if (!isP256Key(issuer.publicKey) || !isEcdsaSha256(cert.signatureAlgorithm)) return false;
    return await cert.verify({ publicKey: await certificateKey(issuer), signatureOnly: true });
  } catch {
    return false;
  }
}

function bytesEqual(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Whether `child` names `parent` as its issuer (exact DER comparison of the names). */
export function namesIssuer(child: x509.X509Certificate, parent: x509.X509Certificate): boolean {
  return bytesEqual(child.issuerName.toArrayBuffer(), parent.subjectName.toArrayBuffer());
}

export function sameCertificate(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return bytesEqual(a.rawData, b.rawData);
}
