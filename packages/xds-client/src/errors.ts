// Stable error codes of the xDS client. Each has a row in packages/xds-client/README.md (meaning,
// typical cause, fix); a repository test keeps the two in step. Retired codes are never reused.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const XDS_CLIENT_ERROR_CODES = {
  /** An option is missing or out of range (address, node id, backoff bounds). */
  CONFIG: 'AMBIT_XDS_CLIENT_CONFIG',
  /** The API was used out of order: a type subscribed twice, start() twice, an unknown type updated. */
  USAGE: 'AMBIT_XDS_CLIENT_USAGE',
  /** The client is closed: the call is refused, a pending ready() is rejected. */
  CLOSED: 'AMBIT_XDS_CLIENT_CLOSED',
  /** ready() timed out before every subscribed type had its first response. */
  NOT_READY: 'AMBIT_XDS_CLIENT_NOT_READY',
  /** The stream could not be opened or ended; the client keeps its state and reconnects. */
  STREAM: 'AMBIT_XDS_CLIENT_STREAM',
  /** The per-stream metadata callback threw or rejected; the attempt is retried with backoff. */
  METADATA: 'AMBIT_XDS_CLIENT_METADATA',
  /** Resources of a response were rejected by decode (or were malformed) and NACKed. */
  REJECTED: 'AMBIT_XDS_CLIENT_REJECTED',
  /** A response could not be read at all (undecodable bytes, no nonce); it is dropped. */
  MALFORMED_RESPONSE: 'AMBIT_XDS_CLIENT_MALFORMED_RESPONSE',
  /** A response for a type URL this client never subscribed to; ignored. */
  UNEXPECTED_TYPE: 'AMBIT_XDS_CLIENT_UNEXPECTED_TYPE',
  /** A subscription's onChange threw; the state was applied and ACKed anyway. */
  HANDLER_FAILED: 'AMBIT_XDS_CLIENT_HANDLER_FAILED',
} as const;

export type XdsClientErrorCode = (typeof XDS_CLIENT_ERROR_CODES)[keyof typeof XDS_CLIENT_ERROR_CODES];

export function xdsClientError(code: XdsClientErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
