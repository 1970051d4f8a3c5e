// The metadata HBONE carries in CONNECT headers: `baggage` (W3C, describes the source workload),
// `forwarded` (RFC 7239, the original client address and the service host) and `traceparent`
// (W3C trace context, random per outbound connection). Parsers never throw on hostile input.
import { randomFillSync } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { CODES, hboneError, quote } from './errors.ts';

export interface ConnectHeaders {
  baggage?: string;
  forwarded?: string;
  traceparent?: string;
}

/** Per header value: larger values are dropped by the server and refused by the client. */
export const MAX_HEADER_VALUE_LENGTH = 8192;
const HEADER_VALUE = /^[\x20-\x7e\t]*$/;

/** The client's check before headers go on the wire (node:http2 would throw on CR/LF). */
export function checkHeaderValue(name: string, value: unknown): string {
  if (typeof value !== 'string') throw hboneError(CODES.badHeader, `header ${name} must be a string, got ${typeof value}`);
  if (value.length > MAX_HEADER_VALUE_LENGTH) throw hboneError(CODES.badHeader, `header ${name} is ${value.length} characters long, more than ${MAX_HEADER_VALUE_LENGTH}`);
  if (!HEADER_VALUE.test(value)) throw hboneError(CODES.badHeader, `header ${name} holds a control or non-ASCII character: ${quote(value)}`);
  return value;
}

/** A header as the server received it: one printable string within the limit, else undefined. */
export function headerText(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (typeof text !== 'string' || text.length > MAX_HEADER_VALUE_LENGTH || !HEADER_VALUE.test(text)) return undefined;
  return text;
}

// ---- baggage ---------------------------------------------------------------------------------

export interface BaggageSource {
  clusterName?: string;
  namespace?: string;
  /** deployment | cronjob | job | pod (ztunnel's `k8s.<type>.name`). */
  workloadType?: 'deployment' | 'cronjob' | 'job' | 'pod';
  workloadName?: string;
  serviceName?: string;
  serviceVersion?: string;
  region?: string;
  zone?: string;
}

/** W3C baggage-octet: printable ASCII except space, `"`, `,`, `;`, `\` (and `%`, which starts an escape). */
function encodeBaggageValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ok = byte >= 0x21 && byte <= 0x7e && byte !== 0x22 && byte !== 0x2c && byte !== 0x3b && byte !== 0x5c && byte !== 0x25;
    out += ok ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `k8s.cluster.name=...,k8s.namespace.name=...,k8s.deployment.name=...,service.name=...,...` in ztunnel's order; empty fields are left out. */
export function buildBaggage(source: BaggageSource): string {
  const pairs: [string, string | undefined][] = [
    ['k8s.cluster.name', source.clusterName],
    ['k8s.namespace.name', source.namespace],
    [`k8s.${source.workloadType ?? 'deployment'}.name`, source.workloadName],
    ['service.name', source.serviceName],
    ['service.version', source.serviceVersion],
    ['cloud.region', source.region],
    ['cloud.availability_zone', source.zone],
  ];
  return pairs
    .filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '')
    .map(([k, v]) => `${k}=${encodeBaggageValue(v)}`)
    .join(',');
}

const BAGGAGE_KEY = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const MAX_BAGGAGE_ENTRIES = 64;

/** Key/value pairs of a baggage header (properties after `;` dropped, values percent-decoded); malformed members are skipped. */
export function parseBaggage(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (typeof text !== 'string' || text.length > MAX_HEADER_VALUE_LENGTH) return out;
  let count = 0;
  for (const member of text.split(',')) {
    if (count >= MAX_BAGGAGE_ENTRIES) break;
    const pair = member.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    if (!BAGGAGE_KEY.test(key)) continue;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      continue;
    }
    out[key] = value;
    count++;
  }
  return out;
}

// ---- forwarded -------------------------------------------------------------------------------

/** `for="<ip:port>"` plus `;host=<service FQDN>` when the target was a known Service (ztunnel's shape). */
export function buildForwarded(options: { forIp: string; forPort?: number; host?: string }): string {
  const node = isIPv6(options.forIp) ? `[${options.forIp}]` : options.forIp;
  const forValue = options.forPort === undefined ? node : `${node}:${options.forPort}`;
  let out = `for="${forValue.replace(/["\\]/g, '')}"`;
  if (options.host) out += `;host=${forwardedValue(options.host)}`;
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function forwardedValue(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export type ForwardedElement = Record<string, string>;
const MAX_FORWARDED_ELEMENTS = 16;

/**
 * RFC 7239 `Forwarded`: a list of elements (`,`), each a list of `name=value` pairs (`;`), value a
 * token or a quoted string. Names are lower-cased; a malformed element ends the parse (what was
 * read before it is kept).
 */
export function parseForwarded(text: string | undefined): ForwardedElement[] {
  const elements: ForwardedElement[] = [];
  if (typeof text !== 'string' || text.length > MAX_HEADER_VALUE_LENGTH) return elements;
  let i = 0;
  let current: ForwardedElement = Object.create(null) as ForwardedElement;
  const skipSpace = (): void => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  while (i < text.length) {
    skipSpace();
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) break;
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) break;
    } else {
      const start = i;
      while (i < text.length && text[i] !== ';' && text[i] !== ',' && text[i] !== ' ' && text[i] !== '\t') i++;
      value = text.slice(start, i);
      if (!TOKEN.test(value) && !/^[\x21-\x7e]+$/.test(value)) break;
    }
    current[name] = value;
    skipSpace();
    if (text[i] === ';') {
      i++;
    } else if (text[i] === ',' || i >= text.length) {
      elements.push(current);
      current = Object.create(null) as ForwardedElement;
      if (elements.length >= MAX_FORWARDED_ELEMENTS) return elements;
      i++;
    } else {
      break;
    }
  }
  return elements;
}

// ---- traceparent -----------------------------------------------------------------------------

const HEX = '0123456789abcdef';
const randomPool = Buffer.allocUnsafe(24 * 256);
let randomOffset = randomPool.length;

function hex(bytes: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    out += (HEX[b >> 4] as string) + (HEX[b & 15] as string);
  }
  return out;
}

/** W3C `00-<32 hex trace id>-<16 hex parent id>-00`, random (never all zeros). */
export function newTraceparent(): string {
  for (;;) {
    if (randomOffset + 24 > randomPool.length) {
      randomFillSync(randomPool);
      randomOffset = 0;
    }
    const at = randomOffset;
    randomOffset += 24;
    const traceId = hex(randomPool, at, at + 16);
    const parentId = hex(randomPool, at + 16, at + 24);
    if (/[^0]/.test(traceId) && /[^0]/.test(parentId)) return `00-${traceId}-${parentId}-00`;
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export interface Traceparent {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
}

/** A valid W3C traceparent, or undefined (version ff, all-zero ids, wrong lengths, upper case). */
export function parseTraceparent(text: string | undefined): Traceparent | undefined {
  if (typeof text !== 'string' || text.length > 512) return undefined;
  const m = TRACEPARENT.exec(text);
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (!/[^0]/.test(traceId) || !/[^0]/.test(parentId)) return undefined;
  return { version, traceId, parentId, flags };
}
