// Credentials of one HBONE end: key, certificate chain (leaf first) and the mesh trust bundle.
// Each credential object gets one tls.createSecureContext, reused by every connection made with
// it; a different object (renewal, root rotation) gets a new one. Building a context per
// connection would cost a key parse and a chain load per handshake.
import { createHash, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { TrustBundle, tryParseSpiffeId } from '@ambit/spiffe';
import { CODES, hboneError } from './errors.ts';

export interface HboneCredentials {
  /** PEM private key (PKCS#8 or SEC1), ECDSA P-256. */
  keyPem: string;
  /** PEM certificates, leaf first (intermediates after it; the root may be included). */
  certChainPem: string[];
  /** The mesh roots: peers must chain to one of them. */
  trustBundle: TrustBundle;
}

export interface PreparedCredentials {
  credentials: HboneCredentials;
  context: SecureContext;
  /** The SPIFFE ID in our own leaf. */
  identity: string;
  trustDomain: string;
  /** Equal for two credential objects with the same content. */
  fingerprint: string;
}

/** TLS 1.3 only, both ends (ztunnel's default; TLS 1.2 is not offered). */
export const TLS_VERSIONS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;

export function secureContextOptions(credentials: HboneCredentials): SecureContextOptions {
  return {
    key: credentials.keyPem,
    cert: credentials.certChainPem.join('\n'),
    ca: [...credentials.trustBundle.roots],
    ...TLS_VERSIONS,
  };
}

const prepared = new WeakMap<HboneCredentials, PreparedCredentials>();

/** Validates and builds the secure context once per credential object. Throws AMBIT_HBONE_CREDENTIALS. */
export function prepareCredentials(credentials: HboneCredentials): PreparedCredentials {
  const cached = prepared.get(credentials);
  if (cached) return cached;
  if (!credentials || typeof credentials.keyPem !== 'string' || !Array.isArray(credentials.certChainPem) || credentials.certChainPem.length === 0) {
    throw hboneError(CODES.credentials, 'HBONE credentials need keyPem (string) and certChainPem (non-empty array of PEM strings)');
  }
  if (!(credentials.trustBundle instanceof TrustBundle)) throw hboneError(CODES.credentials, 'HBONE credentials need a TrustBundle from @ambit/spiffe');
  const leafPem = credentials.certChainPem[0] as string;
  let uris: string[];
  try {
    const leaf = new X509Certificate(leafPem);
    uris = (leaf.subjectAltName ?? '')
      .split(', ')
      .filter((n) => n.startsWith('URI:'))
      .map((n) => n.slice(4));
  } catch (cause) {
    throw hboneError(CODES.credentials, 'the first certificate of certChainPem does not parse', { cause });
  }
  const id = uris.length === 1 ? tryParseSpiffeId(uris[0] as string) : undefined;
  if (!id) throw hboneError(CODES.credentials, `our own leaf certificate must carry exactly one SPIFFE URI SAN, found ${JSON.stringify(uris)}`, { hint: 'use an X.509-SVID from the mesh CA' });
  let context: SecureContext;
  try {
    context = createSecureContext(secureContextOptions(credentials));
  } catch (cause) {
    throw hboneError(CODES.credentials, `cannot build a TLS context from the credentials of ${id.uri}: ${(cause as Error).message}`, {
      cause,
      hint: 'the key must match the leaf certificate',
    });
  }
  const hash = createHash('sha256').update(credentials.keyPem);
  for (const pem of credentials.certChainPem) hash.update('\0').update(pem);
  hash.update('\0').update(credentials.trustBundle.toPem());
  const result: PreparedCredentials = { credentials, context, identity: id.uri, trustDomain: id.trustDomain, fingerprint: hash.digest('base64url') };
  prepared.set(credentials, result);
  return result;
}
