// IPv4 addresses as unsigned 32-bit numbers, and CIDR parsing. Ambit is IPv4-only for now.

export interface Ipv4Cidr {
  /** The address as written (host bits may be set). */
  ip: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseCidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { ip, prefix };
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkOf(cidr: Ipv4Cidr): number {
  return (cidr.ip & maskOf(cidr.prefix)) >>> 0;
}

export function broadcastOf(cidr: Ipv4Cidr): number {
  return (networkOf(cidr) | (~maskOf(cidr.prefix) >>> 0)) >>> 0;
}

export function formatCidr(ip: number, prefix: number): string {
  return `${formatIpv4(ip)}/${prefix}`;
}

/** True for anything that looks like an IPv6 address or prefix, to answer "unsupported" rather than "invalid". */
export function looksLikeIpv6(text: string): boolean {
  return text.includes(':');
}
