// Stable error codes of @ambit/spiffe; each has a row in packages/spiffe/README.md.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const CODES = {
  badId: 'AMBIT_SPIFFE_BAD_ID',
  badPem: 'AMBIT_SPIFFE_BAD_PEM',
  badKey: 'AMBIT_SPIFFE_BAD_KEY',
  badCsr: 'AMBIT_SPIFFE_BAD_CSR',
  badCert: 'AMBIT_SPIFFE_BAD_CERT',
  badBundle: 'AMBIT_SPIFFE_BAD_BUNDLE',
  badRequest: 'AMBIT_SPIFFE_BAD_REQUEST',
  caFiles: 'AMBIT_SPIFFE_CA_FILES',
  caKeyMismatch: 'AMBIT_SPIFFE_CA_KEY_MISMATCH',
  caChain: 'AMBIT_SPIFFE_CA_CHAIN',
  caExpired: 'AMBIT_SPIFFE_CA_EXPIRED',
  // Peer verification results (returned in PeerCheck.code, never thrown).
  untrusted: 'AMBIT_SPIFFE_UNTRUSTED',
  expired: 'AMBIT_SPIFFE_EXPIRED',
  notYetValid: 'AMBIT_SPIFFE_NOT_YET_VALID',
  san: 'AMBIT_SPIFFE_SAN',
  wrongTrustDomain: 'AMBIT_SPIFFE_WRONG_TRUST_DOMAIN',
  wrongIdentity: 'AMBIT_SPIFFE_WRONG_IDENTITY',
  badChain: 'AMBIT_SPIFFE_BAD_CHAIN',
} as const;

export type SpiffeErrorCode = (typeof CODES)[keyof typeof CODES];

export function spiffeError(code: SpiffeErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}

/** Shortens hostile input before it goes into a message or a log line. */
export function quote(value: string, max = 120): string {
  const clipped = value.length > max ? `${value.slice(0, max)}...(${value.length} chars)` : value;
  return JSON.stringify(clipped);
}
