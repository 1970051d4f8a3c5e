// ECDSA P-256 key pairs and their PEM forms (PKCS#8 out; PKCS#8 or SEC1 "EC PRIVATE KEY" in).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CODES, spiffeError } from './errors.ts';
import { crypto, EC_ALGORITHM } from './x509.ts';
import { decodePemBlocks, encodePem } from './pem.ts';
import type { Algorithm, CryptoKey, CryptoKeyPair, EcKeyAlgorithm, JsonWebKey } from './webcrypto-types.ts';

const EC_IMPORT = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  if (key.type !== 'private') throw spiffeError(CODES.badKey, `expected a private key, got a ${key.type} key`);
  if (!isP256(key)) throw spiffeError(CODES.badKey, `expected an ECDSA P-256 key, got ${describeKey(key)}`);
  if (!key.extractable) throw spiffeError(CODES.badKey, 'the private key is not extractable', { hint: 'create it with generateKeyPair()' });
  return encodePem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Imports a P-256 private key from PEM (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY"), extractable. */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const blocks = decodePemBlocks(pem, CODES.badKey);
  if (blocks.length !== 1) throw spiffeError(CODES.badKey, `expected exactly one private key PEM block, found ${blocks.length}`);
  const [block] = blocks as [(typeof blocks)[number]];
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    throw spiffeError(CODES.badKey, 'the private key is encrypted', { hint: 'decrypt it first: openssl pkcs8 -in key.pem -out plain.pem' });
  }
  if (block.label !== 'PRIVATE KEY' && block.label !== 'EC PRIVATE KEY') {
    throw spiffeError(CODES.badKey, `expected a "PRIVATE KEY" or "EC PRIVATE KEY" PEM block, found "${block.label}"`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: Buffer.from(block.der), format: 'der', type: block.label === 'PRIVATE KEY' ? 'pkcs8' : 'sec1' });
  } catch (cause) {
    throw spiffeError(CODES.badKey, `the private key could not be parsed: ${(cause as Error).message}`, { cause });
  }
  const curve = keyObject.asymmetricKeyDetails?.namedCurve;
  if (keyObject.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw spiffeError(CODES.badKey, `expected an ECDSA P-256 private key, got ${keyObject.asymmetricKeyType ?? 'unknown'}${curve ? ` on ${curve}` : ''}`, {
      hint: 'Ambit uses ECDSA P-256 everywhere; make one with `openssl ecparam -name prime256v1 -genkey`',
    });
  }
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  return crypto.subtle.importKey('pkcs8', pkcs8, EC_IMPORT, true, ['sign']);
}

/** The public half of an extractable private key. */
export async function publicKeyOf(privateKey: CryptoKey): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const { kty, crv, x, y } = jwk;
  return crypto.subtle.importKey('jwk', { kty, crv, x, y, ext: true } as JsonWebKey, EC_IMPORT, true, ['verify']);
}

export async function spkiOf(publicKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
}

export function isP256(key: CryptoKey): boolean {
  const algorithm = key.algorithm as EcKeyAlgorithm;
  return algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256';
}

export function describeAlgorithm(algorithm: Algorithm): string {
  const a = algorithm as Algorithm & { namedCurve?: unknown; modulusLength?: unknown; hash?: unknown };
  const parts = [a.name];
  if (typeof a.namedCurve === 'string') parts.push(a.namedCurve);
  if (typeof a.modulusLength === 'number') parts.push(`${a.modulusLength} bit`);
  return parts.join(' ');
}

function describeKey(key: CryptoKey): string {
  return describeAlgorithm(key.algorithm);
}
