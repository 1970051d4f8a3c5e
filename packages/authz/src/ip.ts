// IP addresses without allocation, for the per-connection hot path, and CIDR blocks for policies.
//
// An address is held as big-endian 32-bit words in a caller-owned Uint32Array(4): IPv4 in word 0,
// IPv6 in words 0-3. parseIpInto() returns the family (4 or 6) or 0 when the text is not an address.
//
// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is canonicalized to IPv4 on both sides: a Node server bound
// to `::` reports IPv4 peers that way, and ztunnel compares canonical addresses (std's
// `to_canonical`). A policy block inside ::ffff:0:0/96 (prefix >= 96) therefore becomes the IPv4
// block it spells; ztunnel would keep it as IPv6 and never match it against an IPv4 peer, which is
// never what the author meant. Otherwise an IPv4 address never matches an IPv6 block (ipnet's
// `IpNet::contains` across families is false), so `::/0` does not cover IPv4.
import type { Cidr } from './types.ts';

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_COLON = 58;
const CHAR_PERCENT = 37;

/** Scratch for IPv6 groups; parseIpInto is synchronous, so one per module is enough. */
const groups = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Dotted quad in text[start, end) -> uint32, or -1. Decimal only, no leading zeros (as inet_pton). */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CHAR_0 || c > CHAR_9) break;
      octet = octet * 10 + (c - CHAR_0);
      i++;
      if (i - first > 3) return -1;
    }
    const digits = i - first;
    if (digits === 0 || octet > 255 || (digits > 1 && text.charCodeAt(first) === CHAR_0)) return -1;
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== CHAR_DOT) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** IPv6 text in text[start, end) into `out` (4 words). Returns false when malformed. */
function parseIpv6(text: string, start: number, end: number, out: Uint32Array): boolean {
  let n = 0;
  let gap = -1;
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === CHAR_COLON) {
    if (text.charCodeAt(i + 1) !== CHAR_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n === 8) return false;
    const first = i;
    let value = 0;
    while (i < end && i - first < 5) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    if (i < end && text.charCodeAt(i) === CHAR_DOT) {
      // Embedded IPv4 in the last two groups (::ffff:10.0.0.1, 64:ff9b::1.2.3.4).
      if (n > 6) return false;
      const v4 = parseIpv4(text, first, end);
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - first;
    if (digits === 0 || digits > 4) return false;
    groups[n++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== CHAR_COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === CHAR_COLON) {
      if (gap !== -1) return false;
      gap = n;
      i++;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  if (gap === -1) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false; // `::` stands for at least one group
    const moved = n - gap;
    for (let k = 0; k < moved; k++) groups[7 - k] = groups[n - 1 - k] as number;
    for (let k = gap; k < 8 - moved; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = (((groups[2 * w] as number) << 16) | (groups[2 * w + 1] as number)) >>> 0;
  return true;
}

/**
 * Parses an IPv4 or IPv6 address (an IPv6 zone `%eth0` is ignored) into `out` without allocating.
 * Returns 4 or 6, or 0 when `text` is not an address. IPv4-mapped IPv6 comes back as IPv4.
 */
export function parseIpInto(text: string, out: Uint32Array): 0 | 4 | 6 {
  let end = text.length;
  let colon = false;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === CHAR_COLON) colon = true;
    else if (c === CHAR_PERCENT && colon) {
      if (i === text.length - 1) return 0; // an empty zone
      end = i;
      break;
    }
  }
  if (!colon) {
    const v4 = parseIpv4(text, 0, end);
    if (v4 < 0) return 0;
    out[0] = v4;
    return 4;
  }
  if (!parseIpv6(text, 0, end, out)) return 0;
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3] as number;
    return 4;
  }
  return 6;
}

/** True when the address (`family`, `words` as filled by parseIpInto) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, family: 4 | 6, words: Uint32Array): boolean {
  if (cidr.family !== family) return false;
  const n = cidr.words;
  const m = cidr.masks;
  for (let w = 0; w < n.length; w++) {
    if ((((words[w] as number) ^ (n[w] as number)) & (m[w] as number)) !== 0) return false;
  }
  return true;
}

function maskWord(prefixLength: number, word: number): number {
  const bits = prefixLength - word * 32;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function formatWords(family: 4 | 6, words: Uint32Array): string {
  if (family === 4) {
    const v = words[0] as number;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push((words[w] as number) >>> 16, (words[w] as number) & 0xffff);
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first on a tie.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLength))}`;
}

function makeCidr(family: 4 | 6, address: Uint32Array, prefixLength: number): Cidr {
  let fam = family;
  let len = prefixLength;
  let src = address;
  if (fam === 6 && len >= 96 && address[0] === 0 && address[1] === 0 && address[2] === 0xffff) {
    fam = 4;
    len -= 96;
    src = address.subarray(3, 4);
  }
  const count = fam === 4 ? 1 : 4;
  const words = new Uint32Array(count);
  const masks = new Uint32Array(count);
  for (let w = 0; w < count; w++) {
    masks[w] = maskWord(len, w);
    words[w] = ((src[w] as number) & (masks[w] as number)) >>> 0;
  }
  return { family: fam, prefixLength: len, words, masks, text: `${formatWords(fam, words)}/${len}` };
}

/** istio.security.Address (raw 4 or 16 bytes + prefix length) -> Cidr, or a problem description. */
export function cidrFromBytes(address: Uint8Array, prefixLength: number): Cidr | string {
  if (address.length !== 4 && address.length !== 16) {
    return `address has ${address.length} bytes, expected 4 (IPv4) or 16 (IPv6)`;
  }
  const max = address.length * 8;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    return `prefix length ${prefixLength} is out of range for an IPv${address.length === 4 ? 4 : 6} address (0-${max})`;
  }
  const words = new Uint32Array(address.length / 4);
  for (let w = 0; w < words.length; w++) {
    words[w] = ((address[4 * w] as number) * 0x1000000 + (((address[4 * w + 1] as number) << 16) | ((address[4 * w + 2] as number) << 8) | (address[4 * w + 3] as number))) >>> 0;
  }
  return makeCidr(address.length === 4 ? 4 : 6, words, prefixLength);
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  if (ipText.includes('%')) return undefined;
  const words = new Uint32Array(4);
  // Parse without the IPv4-mapped shortcut so that `::ffff:10.0.0.0/104` keeps its IPv6 prefix length.
  let family: 4 | 6;
  if (ipText.includes(':')) {
    if (!parseIpv6(ipText, 0, ipText.length, words)) return undefined;
    family = 6;
  } else {
    const v4 = parseIpv4(ipText, 0, ipText.length);
    if (v4 < 0) return undefined;
    words[0] = v4;
    family = 4;
  }
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
    prefixLength = Number(lengthText);
    if (prefixLength > max) return undefined;
  }
  return makeCidr(family, family === 4 ? words.subarray(0, 1) : words, prefixLength);
}
