// The CONNECT target: `:authority` is the inner destination `ip:port` (IPv6 in brackets). Host
// names are refused: in-mesh HBONE always names an address (Istio's double HBONE through an
// east-west gateway, which carries host names, is not supported).
import { isIPv4, isIPv6 } from 'node:net';
import { CODES, hboneError, quote } from './errors.ts';

export interface Authority {
  ip: string;
  port: number;
  family: 4 | 6;
}

export type AuthorityResult = ({ ok: true } & Authority) | { ok: false; reason: string };

/** Longest accepted authority: `[` + 45-char IPv6 text + `]:65535`. */
export const MAX_AUTHORITY_LENGTH = 64;

const PORT = /^[1-9][0-9]{0,4}$/;

function parsePort(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** Parses `a.b.c.d:port` or `[v6]:port`. Never throws; hostile input gets a reason. */
export function parseAuthority(text: unknown): AuthorityResult {
  if (typeof text !== 'string' || text.length === 0) return { ok: false, reason: 'the authority is missing' };
  if (text.length > MAX_AUTHORITY_LENGTH) return { ok: false, reason: `the authority is ${text.length} characters long, more than ${MAX_AUTHORITY_LENGTH}` };
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return { ok: false, reason: `${quote(text)} is not [ipv6]:port` };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIPv6(host) || host.includes('%')) return { ok: false, reason: `${quote(host)} is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { ok: false, reason: `${quote(text)} has no port (expected ip:port)` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (!isIPv4(host)) {
      return { ok: false, reason: isIPv6(host) ? `IPv6 address ${quote(host)} must be in brackets: [ip]:port` : `${quote(host)} is not an IP address` };
    }
  }
  const port = parsePort(portText);
  if (port === undefined) return { ok: false, reason: `${quote(portText)} is not a port number 1-65535` };
  return { ok: true, ip: host.toLowerCase(), port, family: host.includes(':') ? 6 : 4 };
}

/** `ip:port`, or `[ip]:port` for IPv6. Throws AMBIT_HBONE_BAD_AUTHORITY on an invalid address or port. */
export function formatAuthority(ip: string, port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw hboneError(CODES.badAuthority, `port ${String(port)} is not an integer 1-65535`);
  if (isIPv4(ip)) return `${ip}:${port}`;
  if (isIPv6(ip) && !ip.includes('%')) return `[${ip.toLowerCase()}]:${port}`;
  throw hboneError(CODES.badAuthority, `${quote(String(ip))} is not an IPv4 or IPv6 address`, { hint: 'HBONE targets are addresses, not host names' });
}
