// IPv4/IPv6 addresses and CIDR blocks as numbers, for ipBlock matching (explain) and for writing
// normalized set elements (nft refuses nothing here, but host bits in a CIDR are cleared so that
// equal blocks render equally).
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  value: bigint;
}

export interface ParsedCidr {
  family: Family;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
}

/** Undefined when `text` is not a plain IPv4 or IPv6 address (no zone, no prefix). */
export function parseIp(text: string): ParsedIp | undefined {
  const family = isIP(text);
  if (family === 4) return { family: 4, value: text.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  if (family !== 6 || text.includes('%')) return undefined;
  let body = text;
  let tailV4: bigint[] = [];
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIp(last);
    if (v4 === undefined) return undefined;
    tailV4 = [v4.value >> 16n, v4.value & 0xffffn];
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', tail] = body.split('::');
  const groups = (s: string): bigint[] => (s === '' ? [] : s.split(':').map((g) => BigInt(parseInt(g, 16))));
  const a = groups(head);
  const b = tail === undefined ? [] : groups(tail);
  const all = [...a, ...Array.from({ length: 8 - a.length - b.length }, () => 0n), ...b];
  if (tailV4.length === 2) all.splice(6, 2, ...tailV4);
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

/** Undefined when `text` is not `address/prefix` with a prefix valid for the family. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const prefix = Number(bitsText);
  const width = ip.family === 4 ? 32 : 128;
  if (prefix > width) return undefined;
  const hostBits = BigInt(width - prefix);
  return { family: ip.family, network: (ip.value >> hostBits) << hostBits, prefix };
}

export function cidrContains(cidr: ParsedCidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return ip.value >> hostBits === cidr.network >> hostBits;
}

/** The address in canonical text (RFC 5952 for IPv6: the longest run of two or more zero groups is `::`). */
export function formatIp(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (value >> BigInt((7 - i) * 16)) & 0xffffn);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLength, 8)}`;
}

export function formatCidr(cidr: ParsedCidr): string {
  return `${formatIp(cidr.family, cidr.network)}/${cidr.prefix}`;
}
