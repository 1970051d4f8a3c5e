// IP addresses and CIDR blocks, IPv4 and IPv6, as Go's net.ParseIP / net.ParseCIDR read them
// (which is what the API server, istiod and Calico use), plus containment for ipBlock.except.
import { ipAddress } from './names.ts';

export interface Cidr {
  family: 4 | 6;
  /** The address as written, host bits included. */
  address: bigint;
  prefix: number;
}

/** The address as a number and its family; undefined when not a valid IPv4 or IPv6 address. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (ipAddress(text)) return undefined;
  if (!text.includes(':')) return { family: 4, value: v4Value(text) };
  const [head = '', tail] = text.split('::');
  const groups = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const v = Number(v4Value(g));
      return [v >>> 16, v & 0xffff];
    });
  };
  const a = groups(head);
  const b = tail === undefined ? [] : groups(tail);
  const all = [...a, ...Array.from({ length: 8 - a.length - b.length }, () => 0), ...b];
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

function v4Value(text: string): bigint {
  return text.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** `address/prefix`; undefined when either part is invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { family: ip.family, address: ip.value, prefix };
}

/** Whether `inner` lies inside `outer` and is strictly smaller (Kubernetes' rule for ipBlock.except). */
export function cidrStrictlyContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix <= outer.prefix) return false;
  const width = outer.family === 4 ? 32n : 128n;
  const shift = width - BigInt(outer.prefix);
  return outer.address >> shift === inner.address >> shift;
}

/** Rule: an IPv4 or IPv6 CIDR block such as 10.0.0.0/16 or fd00::/64. */
export function cidrRule(v: string): string | undefined {
  return parseCidr(v) ? undefined : 'must be a CIDR block such as 10.0.0.0/16 or fd00::/64';
}

/** Rule: an IP address or a CIDR block, IPv4 or IPv6 (istiod's ValidateIPs, Calico's nets). */
export function ipOrCidrRule(v: string): string | undefined {
  return parseIp(v) || parseCidr(v) ? undefined : 'must be an IP address or a CIDR block (IPv4 or IPv6), such as 10.1.2.3, 10.0.0.0/16 or fd00::/64';
}
