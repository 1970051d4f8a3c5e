// Stable error codes of @ambit/hbone; each has a row in packages/hbone/README.md.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const CODES = {
  badAuthority: 'AMBIT_HBONE_BAD_AUTHORITY',
  badHeader: 'AMBIT_HBONE_BAD_HEADER',
  credentials: 'AMBIT_HBONE_CREDENTIALS',
  dial: 'AMBIT_HBONE_DIAL',
  tls: 'AMBIT_HBONE_TLS',
  identity: 'AMBIT_HBONE_IDENTITY',
  timeout: 'AMBIT_HBONE_TIMEOUT',
  stream: 'AMBIT_HBONE_STREAM',
  keepalive: 'AMBIT_HBONE_KEEPALIVE',
  poolClosed: 'AMBIT_HBONE_POOL_CLOSED',
  refused400: 'AMBIT_HBONE_REFUSED_400',
  refused401: 'AMBIT_HBONE_REFUSED_401',
  refused503: 'AMBIT_HBONE_REFUSED_503',
  refused: 'AMBIT_HBONE_REFUSED',
} as const;

export type HboneErrorCode = (typeof CODES)[keyof typeof CODES];

export function hboneError(code: HboneErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}

/** The peer answered the CONNECT with a status other than 200. */
export class HboneRefusedError extends AmbitError {
  readonly status: number;

  constructor(status: number, authority: string, options: AmbitErrorOptions = {}) {
    super(refusedCode(status), `HBONE CONNECT to ${authority} was refused with status ${status}`, {
      ...options,
      hint: REFUSED_HINTS[status] ?? 'the peer is not an HBONE server of this mesh or could not serve the request',
      details: { ...options.details, status, authority },
    });
    this.name = 'HboneRefusedError';
    this.status = status;
  }
}

const REFUSED_HINTS: Record<number, string> = {
  400: 'the peer could not parse the request (authority must be ip:port) or it arrived at the wrong address',
  401: 'an authorization policy at the destination denied the connection',
  503: 'the destination could not reach the target port or has no such service',
};

export function refusedCode(status: number): HboneErrorCode {
  if (status === 400) return CODES.refused400;
  if (status === 401) return CODES.refused401;
  if (status === 503) return CODES.refused503;
  return CODES.refused;
}

/** Shortens hostile input before it goes into a message or a log line. */
export function quote(value: string, max = 80): string {
  const clipped = value.length > max ? `${value.slice(0, max)}...(${value.length} chars)` : value;
  return JSON.stringify(clipped);
}
