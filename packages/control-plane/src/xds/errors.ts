// Stable error codes of the Delta ADS server. Each has a row in packages/control-plane/README.md
// (meaning, typical cause, fix); a test keeps the two in step. Retired codes are never reused.
import * as grpc from '@grpc/grpc-js';
import { AmbitError } from '@ambit/core';

export const XDS_SERVER_ERROR_CODES = {
  /** A request the server cannot interpret (wrong field types, empty type_url or names). */
  INVALID_REQUEST: 'AMBIT_XDS_SERVER_INVALID_REQUEST',
  /** The first request of a stream carried no node or a node without an id. */
  MISSING_NODE: 'AMBIT_XDS_SERVER_MISSING_NODE',
  /** No, or a rejected, bearer credential while an authenticator is configured. */
  UNAUTHENTICATED: 'AMBIT_XDS_SERVER_UNAUTHENTICATED',
  /** The authenticator itself failed (threw): the stream is refused with UNAVAILABLE. */
  AUTHENTICATOR_FAILED: 'AMBIT_XDS_SERVER_AUTHENTICATOR_FAILED',
  /** The credential is bound to a node other than the one the client claims. */
  NODE_MISMATCH: 'AMBIT_XDS_SERVER_NODE_MISMATCH',
  /** The stream's outbound queue did not drain within the bound: the stream was closed. */
  SLOW_CLIENT: 'AMBIT_XDS_SERVER_SLOW_CLIENT',
  /** The ResourceSource threw while the server asked it for a snapshot. */
  SOURCE_FAILED: 'AMBIT_XDS_SERVER_SOURCE_FAILED',
  /** A client rejected (NACKed) resources; logged, and shown by clients(). */
  NACK: 'AMBIT_XDS_SERVER_NACK',
  /** The server is closing or closed; new streams are refused with UNAVAILABLE. */
  CLOSED: 'AMBIT_XDS_SERVER_CLOSED',
  /** A bug: an exception escaped a stream handler; the stream is ended with INTERNAL. */
  INTERNAL: 'AMBIT_XDS_SERVER_INTERNAL',
} as const;

export type XdsServerErrorCode = (typeof XDS_SERVER_ERROR_CODES)[keyof typeof XDS_SERVER_ERROR_CODES];

/** An AmbitError that also says which gRPC status ends the stream. */
export class XdsStreamError extends AmbitError {
  readonly grpcCode: grpc.status;

  constructor(code: XdsServerErrorCode, grpcCode: grpc.status, message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'XdsStreamError';
    this.grpcCode = grpcCode;
  }
}
