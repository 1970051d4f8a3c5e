// Decoding of the struct sockaddr_in / sockaddr_in6 that SO_ORIGINAL_DST returns. Pure.
import { AmbitError } from '@ambit/core';
import { NetnsErrorCode } from './errors.ts';

export interface SocketAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

const AF_INET = 2;
const AF_INET6 = 10;

/**
 * Decodes a Linux sockaddr (family in host byte order, little-endian on every platform Ambit runs
 * on; port in network order). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is returned as IPv4.
 */
export function parseSockaddr(raw: Uint8Array): SocketAddress {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const fail = (why: string): never => {
    throw new AmbitError(NetnsErrorCode.originalDstFailed, `cannot decode socket address (${raw.byteLength} bytes): ${why}`);
  };
  if (raw.byteLength < 2) return fail('too short');
  const family = view.getUint16(0, true);
  if (family === AF_INET) {
    if (raw.byteLength < 8) return fail('too short for sockaddr_in');
    return { address: Array.from(raw.subarray(4, 8)).join('.'), port: view.getUint16(2, false), family: 4 };
  }
  if (family === AF_INET6) {
    if (raw.byteLength < 24) return fail('too short for sockaddr_in6');
    const port = view.getUint16(2, false);
    const bytes = raw.subarray(8, 24);
    const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
    if (mapped) return { address: Array.from(bytes.subarray(12, 16)).join('.'), port, family: 4 };
    return { address: formatIPv6(bytes), port, family: 6 };
  }
  return fail(`unknown address family ${family}`);
}

/** RFC 5952 text form: lower case, leading zeros dropped, the longest run (>= 2) of zero groups as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
