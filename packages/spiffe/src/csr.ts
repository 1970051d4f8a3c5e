// PKCS#10 certificate signing requests: what a ztunnel sends to the CA (one URI SAN, empty subject,
// ECDSA P-256). inspectCsr is the CA's gate for hostile input.
import { CODES, quote, spiffeError } from './errors.ts';
import { decodePem, encodePem } from './pem.ts';
import { describeAlgorithm, isP256 } from './keys.ts';
import { isEcdsaSha256, OID, subjectAltNames } from './cert-fields.ts';
import { parseSpiffeId } from './spiffe-id.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';
import type { AmbitError } from '@ambit/core';
import type { CryptoKey, CryptoKeyPair, EcKeyAlgorithm, EcKeyImportParams } from './webcrypto-types.ts';

export interface CsrInfo {
  /** The URI SANs; inspectCsr accepts only exactly one, a valid SPIFFE ID. */
  identities: string[];
  publicKey: CryptoKey;
  publicKeyAlgorithm: string;
  /** Always true: a CSR whose signature does not verify is refused with AMBIT_SPIFFE_BAD_CSR. */
  signatureValid: boolean;
}

export const DEFAULT_MAX_CSR_BYTES = 16 * 1024;
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export async function createCsr(options: { identity: string; keys: CryptoKeyPair }): Promise<string> {
  const id = parseSpiffeId(options.identity);
  if (!isP256(options.keys.publicKey) || !isP256(options.keys.privateKey)) {
    throw spiffeError(CODES.badKey, `CSR keys must be ECDSA P-256, got ${describeAlgorithm(options.keys.publicKey.algorithm)}`);
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: '',
    keys: options.keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: id.uri }], true)],
  });
  return encodePem(csr.rawData, 'CERTIFICATE REQUEST');
}

function bad(message: string, hint?: string, cause?: unknown): AmbitError {
  return spiffeError(CODES.badCsr, `invalid CSR: ${message}`, {
    ...(hint === undefined ? {} : { hint }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Parses and checks a PEM CSR: size, P-256 key, ECDSA-SHA256 signature that verifies, exactly one SPIFFE URI SAN. */
export async function inspectCsr(pem: string, limits: { maxBytes?: number } = {}): Promise<CsrInfo> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_CSR_BYTES;
  if (typeof pem !== 'string') throw bad(`expected PEM text, got ${typeof pem}`);
  const size = Buffer.byteLength(pem, 'utf8');
  if (size > maxBytes) throw bad(`${size} bytes is more than the limit of ${maxBytes}`);
  let der: Uint8Array;
  try {
    der = decodePem(pem, 'CERTIFICATE REQUEST', CODES.badCsr);
  } catch (cause) {
    throw bad((cause as Error).message, 'send one PEM block "-----BEGIN CERTIFICATE REQUEST-----"', cause);
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Uint8Array.from(der));
    void csr.publicKey.algorithm;
    for (const extension of csr.extensions) void extension.type;
  } catch (cause) {
    throw bad(`not a PKCS#10 request: ${(cause as Error).message}`, undefined, cause);
  }
  const keyAlgorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (keyAlgorithm.name !== 'ECDSA' || keyAlgorithm.namedCurve !== 'P-256') {
    throw bad(`public key is ${describeAlgorithm(keyAlgorithm)}, expected ECDSA P-256`, 'Ambit issues certificates for ECDSA P-256 keys only');
  }
  let signatureAlgorithm: unknown;
  try {
    signatureAlgorithm = csr.signatureAlgorithm;
  } catch (cause) {
    throw bad('unknown signature algorithm', undefined, cause);
  }
  if (!isEcdsaSha256(signatureAlgorithm)) throw bad('signature algorithm is not ECDSA with SHA-256');
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) throw bad('the signature does not verify with the public key in the request', 'the CSR was altered or signed with another key');
  if (csr.getAttributes(EXTENSION_REQUEST).length > 1) throw bad('more than one extensionRequest attribute');
  const types = csr.extensions.map((e) => e.type);
  if (new Set(types).size !== types.length) throw bad('an extension appears twice');
  if (!types.includes(OID.subjectAltName)) throw bad('no subject alternative name', 'put the SPIFFE ID in a URI SAN');
  let names: { uris: string[]; others: string[] };
  try {
    names = subjectAltNames(csr);
  } catch (cause) {
    throw bad(`unreadable subject alternative names: ${(cause as Error).message}`, undefined, cause);
  }
  if (names.others.length > 0) throw bad(`unexpected subject alternative names ${quote(names.others.join(', '))}; only one URI SAN is allowed`);
  if (names.uris.length !== 1) throw bad(`${names.uris.length} URI SANs, expected exactly one SPIFFE ID`);
  const uri = names.uris[0] as string;
  try {
    parseSpiffeId(uri);
  } catch (cause) {
    throw bad(`URI SAN: ${(cause as Error).message}`, undefined, cause);
  }
  const publicKey = await csr.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams, ['verify']);
  return { identities: [uri], publicKey, publicKeyAlgorithm: 'ECDSA P-256', signatureValid };
}
