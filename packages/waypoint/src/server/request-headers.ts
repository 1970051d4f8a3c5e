// Pure header work on a downstream request: the header list the filters see, hop-by-hop removal
// before forwarding (RFC 9110 7.6.1), x-request-id and W3C traceparent (start one when absent).
import { randomFillSync, randomUUID } from 'node:crypto';
import type { HeaderList } from '../contracts.ts';

/**
 * Connection-specific headers never forwarded (RFC 9110 7.6.1, plus HTTP/2's prohibited ones), and
 * `expect`: the waypoint answers 100-continue itself, as Envoy does by default, and sends the body on.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'host', 'http2-settings', 'expect']);

/** Node's rawHeaders ([name, value, ...]) as a lower-case header list, pseudo-headers dropped. */
export function headersFromRaw(raw: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!name.startsWith(':')) out.push([name, raw[i + 1] as string]);
  }
  return out;
}

export function getHeader(headers: HeaderList, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}

export function setHeader(headers: HeaderList, name: string, value: string): void {
  removeHeader(headers, name);
  headers.push([name, value]);
}

export function removeHeader(headers: HeaderList, name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if ((headers[i] as [string, string])[0] === name) headers.splice(i, 1);
}

/**
 * Headers safe to forward: hop-by-hop ones and those the Connection header names are dropped;
 * `te: trailers` is kept (gRPC needs it and HTTP/2 allows exactly that value).
 */
export function forwardable(headers: HeaderList): HeaderList {
  const named = new Set<string>();
  for (const [name, value] of headers) if (name === 'connection') for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  return headers.filter(([name, value]) => (name === 'te' ? value.trim().toLowerCase() === 'trailers' : !HOP_BY_HOP.has(name) && !named.has(name)));
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A valid traceparent header value (W3C Trace Context level 1), or undefined. */
export function validTraceparent(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, parentId] = m as unknown as [string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return value.trim();
}

/**
 * Random bytes for new traces, filled 4 KiB at a time: one randomBytes call per request was a
 * visible share of the request path (bench/request-path.ts), one per 170 traces is not.
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.allocUnsafe(RANDOM_POOL_BYTES);
let randomAt = RANDOM_POOL_BYTES;

function randomHex(bytes: number): string {
  if (randomAt + bytes > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const hex = randomPool.toString('hex', randomAt, randomAt + bytes);
  randomAt += bytes;
  return hex;
}

/** A new trace: version 00, random trace id, random span id, sampled. */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/**
 * Ensures x-request-id (kept when the client sent one, generated when absent and the HCM
 * generates ids) and traceparent (propagated when valid; a new trace when absent or malformed,
 * replacing a malformed one as a W3C participant must). Returns both values.
 */
export function ensureTracing(headers: HeaderList, generateRequestId: boolean): { requestId: string; traceparent: string } {
  let requestId = getHeader(headers, 'x-request-id');
  if (requestId === undefined || requestId === '') {
    requestId = generateRequestId ? randomUUID() : '';
    if (requestId !== '') setHeader(headers, 'x-request-id', requestId);
  }
  let traceparent = validTraceparent(getHeader(headers, 'traceparent'));
  if (traceparent === undefined) {
    traceparent = newTraceparent();
    setHeader(headers, 'traceparent', traceparent);
    removeHeader(headers, 'tracestate');
  }
  return { requestId, traceparent };
}

export function isGrpc(headers: HeaderList): boolean {
  return (getHeader(headers, 'content-type') ?? '').toLowerCase().startsWith('application/grpc');
}
