// The one place that loads @peculiar/x509: the Reflect polyfill must be evaluated first, and the
// library must use Node's WebCrypto. Everything else in this package imports `x509` from here.
import './reflect-polyfill.ts';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { Crypto, EcdsaParams } from './webcrypto-types.ts';

export const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

/** ECDSA P-256 with SHA-256: the only algorithm Ambit issues or accepts. */
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export { x509 };
