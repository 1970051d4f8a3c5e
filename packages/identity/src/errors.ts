// Error codes of the ztunnel's identity layer (documented in packages/ztunnel/README.md, "Identity").
// CA_* codes come from one CreateCertificate exchange; CERT_* codes from the certificate manager.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const IDENTITY_CODES = {
  /** The CA did not accept the node credential (gRPC UNAUTHENTICATED). */
  caUnauthenticated: 'AMBIT_ZTUNNEL_CA_UNAUTHENTICATED',
  /** The CA refused to issue for this identity (gRPC PERMISSION_DENIED). */
  caDenied: 'AMBIT_ZTUNNEL_CA_DENIED',
  /** The CA found the request malformed (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE). */
  caRejected: 'AMBIT_ZTUNNEL_CA_REJECTED',
  /** No connection to the CA (UNAVAILABLE: refused, TLS failure, server identity not accepted). */
  caUnavailable: 'AMBIT_ZTUNNEL_CA_UNAVAILABLE',
  /** The CA did not answer within the deadline (DEADLINE_EXCEEDED). */
  caTimeout: 'AMBIT_ZTUNNEL_CA_TIMEOUT',
  /** Any other gRPC failure (INTERNAL, UNKNOWN, UNIMPLEMENTED, ...). */
  caError: 'AMBIT_ZTUNNEL_CA_ERROR',
  /** The node credential could not be read or is empty. */
  caToken: 'AMBIT_ZTUNNEL_CA_TOKEN',
  /** This client cannot ask for that: not a SPIFFE ID, another trust domain, bad TTL. */
  caBadRequest: 'AMBIT_ZTUNNEL_CA_BAD_REQUEST',
  /** The reply is unusable: no chain, unparsable PEM, a root that is not a CA, a leaf for another key. */
  caBadResponse: 'AMBIT_ZTUNNEL_CA_BAD_RESPONSE',
  /** The leaf does not carry exactly the identity that was asked for. */
  caWrongIdentity: 'AMBIT_ZTUNNEL_CA_WRONG_IDENTITY',
  /** The leaf does not chain to the root the CA sent (or is not valid now). */
  caUntrusted: 'AMBIT_ZTUNNEL_CA_UNTRUSTED',
  /** The client was closed. */
  caClosed: 'AMBIT_ZTUNNEL_CA_CLOSED',
  /** acquire()/wait() with something that is not a SPIFFE ID. */
  certBadIdentity: 'AMBIT_ZTUNNEL_CERT_BAD_IDENTITY',
  /** wait() for an identity no pod on this node holds (never acquired, or released meanwhile). */
  certUnknownIdentity: 'AMBIT_ZTUNNEL_CERT_UNKNOWN_IDENTITY',
  /** wait() ran out of time before a valid certificate arrived. */
  certTimeout: 'AMBIT_ZTUNNEL_CERT_TIMEOUT',
  /** The CA returned a certificate that has already expired (or is not valid yet) by our clock. */
  certExpired: 'AMBIT_ZTUNNEL_CERT_EXPIRED',
  /** The certificate manager was closed. */
  certClosed: 'AMBIT_ZTUNNEL_CERT_CLOSED',
} as const;

export type IdentityErrorCode = (typeof IDENTITY_CODES)[keyof typeof IDENTITY_CODES];

/** An error of one CreateCertificate call; `grpcCode` is the gRPC status when the call itself failed. */
export class CaError extends AmbitError {
  readonly grpcCode: number | undefined;
  constructor(code: IdentityErrorCode, message: string, options: AmbitErrorOptions & { grpcCode?: number } = {}) {
    super(code, message, options);
    this.name = 'CaError';
    this.grpcCode = options.grpcCode;
  }
}

export function identityError(code: IdentityErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
