// CNI error codes (SPEC.md "Error" table) and how an AmbitError carries one. The plugin and the
// IPAM binary throw AmbitErrors whose `details.cniCode` says which code goes on the wire; anything
// else that escapes becomes 999 (the reference library's ErrInternal).
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const CNI_CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgain: 11,
  notAvailable: 50,
  limitedConnectivity: 51,
  // Plugin-specific codes (>= 100), documented in the README.
  checkFailed: 100,
  ipamExhausted: 101,
  duplicateAllocation: 102,
  interfaceExists: 103,
  gcIncomplete: 104,
  interfaceMissing: 105,
  internal: 999,
} as const;

export type CniCode = (typeof CNI_CODE)[keyof typeof CNI_CODE];

/** The error object printed on stdout: `{cniVersion, code, msg, details}`. */
export interface CniErrorReply {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** An AmbitError that maps to `cniCode` on the wire. */
export function cniError(cniCode: number, code: string, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, { ...options, details: { ...options.details, cniCode } });
}

export function cniCodeOf(error: unknown): number {
  if (error instanceof AmbitError) {
    const code = error.details?.['cniCode'];
    if (typeof code === 'number' && Number.isInteger(code)) return code;
  }
  return CNI_CODE.internal;
}

export function toErrorReply(error: unknown, cniVersion: string): CniErrorReply {
  const reply: CniErrorReply = { cniVersion, code: cniCodeOf(error), msg: '' };
  if (error instanceof AmbitError) {
    reply.msg = error.message;
    const extra = [error.hint ? `hint: ${error.hint}` : '', `[${error.code}]`].filter(Boolean).join(' ');
    reply.details = extra;
  } else {
    reply.msg = error instanceof Error ? error.message : String(error);
  }
  return reply;
}
