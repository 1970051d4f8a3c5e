// Stable error codes of the CNI agent. Each has a row in ../README.md (meaning, typical cause, fix);
// a repository test keeps both in step. A code never changes meaning; retired codes are not reused.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const CNI_AGENT_ERROR_CODES = {
  /** An environment variable is missing or invalid; every problem is listed. */
  CONFIG: 'AMBIT_CNI_AGENT_CONFIG',
  /** A plugin request line is not a valid request (bad JSON, unknown op, missing field, too long). */
  BAD_REQUEST: 'AMBIT_CNI_AGENT_BAD_REQUEST',
  /** The pod is enrolled but no ztunnel acknowledged it within the ADD timeout. */
  NO_ZTUNNEL: 'AMBIT_CNI_AGENT_NO_ZTUNNEL',
  /** The ztunnel answered an AddWorkload or DelWorkload with an error. */
  ZTUNNEL_REJECTED: 'AMBIT_CNI_AGENT_ZTUNNEL_REJECTED',
  /** The in-pod rules could not be installed or removed. */
  CAPTURE_FAILED: 'AMBIT_CNI_AGENT_CAPTURE_FAILED',
  /** The pod's network namespace path is missing or not a network namespace. */
  NETNS_GONE: 'AMBIT_CNI_AGENT_NETNS_GONE',
  /** A hand-off peer broke the protocol (no Hello first, a bad frame, an answer nobody asked for). */
  HANDOFF_PROTOCOL: 'AMBIT_CNI_AGENT_HANDOFF_PROTOCOL',
  /** The hand-off connection closed or was replaced while a request waited for its ack. */
  HANDOFF_CLOSED: 'AMBIT_CNI_AGENT_HANDOFF_CLOSED',
  /** A Unix socket could not be bound (path in use by a live process, directory missing, permissions). */
  LISTEN_FAILED: 'AMBIT_CNI_AGENT_LISTEN_FAILED',
  /** The agent is shutting down; the request was not served. */
  SHUTTING_DOWN: 'AMBIT_CNI_AGENT_SHUTTING_DOWN',
  /** The pod state file could not be read or written. */
  STATE_FILE: 'AMBIT_CNI_AGENT_STATE_FILE',
  /** The control plane's certificate does not carry the expected SPIFFE ID. */
  SERVER_IDENTITY: 'AMBIT_CNI_AGENT_SERVER_IDENTITY',
  /** The node's NetworkPolicy rules could not be loaded into the kernel (the previous ones stay), or not in time for an ADD. */
  NETPOL_NOT_APPLIED: 'AMBIT_CNI_AGENT_NETPOL_NOT_APPLIED',
  /** A pod reached CNI ADD before the control plane's policy view knew it: its isolation cannot be decided yet. */
  POD_UNKNOWN: 'AMBIT_CNI_AGENT_POD_UNKNOWN',
} as const;

export type CniAgentErrorCode = (typeof CNI_AGENT_ERROR_CODES)[keyof typeof CNI_AGENT_ERROR_CODES];

export function agentError(code: CniAgentErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
