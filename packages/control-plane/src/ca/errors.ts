// Stable error codes of the control plane's CA; each has a row in packages/control-plane/README.md
// ("CA error codes"). Refusals carry their code at the end of the gRPC status message
// (`message (hint: ...) [AMBIT_CA_...]`), so a ztunnel log says exactly why a CSR was refused.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const CA_CODES = {
  /** nodes.json (the hashed node credentials) is missing, unreadable or not the expected shape. */
  credentialsFile: 'AMBIT_CA_CREDENTIALS_FILE',
  /** issueNodeCredentials was given a node name that cannot be a file name. */
  /** No credential, or one the control plane does not know (gRPC UNAUTHENTICATED). */
  unauthenticated: 'AMBIT_CA_UNAUTHENTICATED',
  /** The CSR is malformed, oversized, badly signed or not ECDSA P-256 (gRPC INVALID_ARGUMENT). */
  badCsr: 'AMBIT_CA_BAD_CSR',
  /** The request's other fields are unusable: ImpersonatedIdentity, validity_duration (INVALID_ARGUMENT). */
  badRequest: 'AMBIT_CA_BAD_REQUEST',
  /** The caller may not obtain a certificate for that identity (gRPC PERMISSION_DENIED). */
  denied: 'AMBIT_CA_DENIED',
  /** Signing failed on the CA side (gRPC INTERNAL); the CA keeps serving. */
  signFailed: 'AMBIT_CA_SIGN_FAILED',
  /** The control plane could not obtain its own serving certificate for port 15012. */
  servingCert: 'AMBIT_CA_SERVING_CERT',
  /** A CA setting is out of range (TTLs, size limit). */
  config: 'AMBIT_CA_CONFIG',
  /** A root rotation could not start or finish (wrong trust domain, nothing to finish). */
  rotation: 'AMBIT_CA_ROTATION',
} as const;

export type CaErrorCode = (typeof CA_CODES)[keyof typeof CA_CODES];

export function caError(code: CaErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
