// Error codes of the ztunnel's hand-off client. Each has a row in ../../README.md ("Hand-off");
// a repository test keeps the two in step. Retired codes are never reused.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const HANDOFF_ERROR_CODES = {
  /** The netns path of an AddWorkload names another namespace than the agent's (inode differs). */
  NETNS_MISMATCH: 'AMBIT_ZTUNNEL_HANDOFF_NETNS_MISMATCH',
  /** The netns path of an AddWorkload does not exist or is not a namespace. */
  NETNS_MISSING: 'AMBIT_ZTUNNEL_HANDOFF_NETNS_MISSING',
  /** A request the client cannot use (missing uid, bad address bytes, unknown payload). */
  BAD_REQUEST: 'AMBIT_ZTUNNEL_HANDOFF_BAD_REQUEST',
  /** onAdd / onDel / onSnapshot threw; the ack carries this text. */
  HANDLER_FAILED: 'AMBIT_ZTUNNEL_HANDOFF_HANDLER_FAILED',
  /** The API was used out of order (start() twice). */
  USAGE: 'AMBIT_ZTUNNEL_HANDOFF_USAGE',
} as const;

export type HandoffErrorCode = (typeof HANDOFF_ERROR_CODES)[keyof typeof HANDOFF_ERROR_CODES];

export function handoffError(code: HandoffErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
