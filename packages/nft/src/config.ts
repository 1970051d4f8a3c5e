// The in-pod capture configuration: defaults (Istio's constants) and validation into a resolved
// value that the renderers trust. Every problem is reported at once.
import { isIPv4, isIPv6 } from 'node:net';
import { AmbitError } from '@ambit/core';
import { NftErrorCode } from './errors.ts';

export interface InpodConfig {
  /** The pod's own addresses. IPv4 rules when one is IPv4, IPv6 rules when one is IPv6. */
  podIps: string[];
  /** Every TCP connection the app opens (not to loopback, not marked) is redirected here. Default 15001. */
  outboundPort?: number;
  /** TCP arriving at the pod (not to hbonePort, not marked) is redirected here. Default 15006. */
  inboundPlainPort?: number;
  /** Not redirected: the ztunnel really listens there. Default 15008. */
  hbonePort?: number;
  /** The SO_MARK of the ztunnel's own sockets (low 12 bits compared); they skip capture. Default 0x539. */
  ztunnelMark?: number;
  /** Connection mark of connections the ztunnel makes to the app (low 12 bits). Default 0x111. */
  connMark?: number;
  /** Source of the node's probes (SNATed by the host); never captured. Default 169.254.7.127. */
  probeSource?: string;
  /** The IPv6 probe source. Default fd16:9254:7127:1337:ffff:ffff:ffff:ffff. */
  probeSourceV6?: string;
  /** Redirect inbound plain TCP to inboundPlainPort. Default true. */
  captureInbound?: boolean;
}

export interface ResolvedInpodConfig {
  podIps: { v4: string[]; v6: string[] };
  outboundPort: number;
  inboundPlainPort: number;
  hbonePort: number;
  ztunnelMark: number;
  connMark: number;
  probeSource: string;
  probeSourceV6: string;
  captureInbound: boolean;
}

export const INPOD_DEFAULTS = {
  outboundPort: 15001,
  inboundPlainPort: 15006,
  hbonePort: 15008,
  ztunnelMark: 0x539,
  connMark: 0x111,
  probeSource: '169.254.7.127',
  probeSourceV6: 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff',
  captureInbound: true,
} as const;

/** Marks are compared under this mask, as Istio does (the upper bits stay free for other users). */
export const MARK_MASK = 0xfff;
/** The table and rule priority of the policy route (Istio's values). */
export const ROUTE_TABLE = 100;
export const RULE_PRIORITY = 32764;
/** Our nft table in the pod's namespace. */
export const INPOD_TABLE = 'ambit-inpod';

const KNOWN_KEYS = new Set(['podIps', ...Object.keys(INPOD_DEFAULTS)]);

/** Validates `input` (unknown: it may come from JSON) into a ResolvedInpodConfig, or throws AMBIT_NFT_INVALID_CONFIG listing every problem. */
export function resolveInpodConfig(input: unknown): ResolvedInpodConfig {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid([`config: expected an object, got ${describe(input)}`]);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) problems.push(`${key}: unknown field`);

  const v4: string[] = [];
  const v6: string[] = [];
  if (!Array.isArray(raw.podIps) || raw.podIps.length === 0) {
    problems.push(`podIps: expected a non-empty array of IP addresses, got ${describe(raw.podIps)}`);
  } else {
    raw.podIps.forEach((ip: unknown, i) => {
      if (typeof ip === 'string' && isIPv4(ip)) v4.push(ip);
      else if (typeof ip === 'string' && isIPv6(ip) && !ip.includes('%')) v6.push(ip);
      else problems.push(`podIps[${i}]: expected an IPv4 or IPv6 address, got ${describe(ip)}`);
    });
  }

  const port = (key: 'outboundPort' | 'inboundPlainPort' | 'hbonePort'): number => {
    const value = raw[key] ?? INPOD_DEFAULTS[key];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    problems.push(`${key}: expected an integer port 1-65535, got ${describe(value)}`);
    return 0;
  };
  const mark = (key: 'ztunnelMark' | 'connMark'): number => {
    const value = raw[key] ?? INPOD_DEFAULTS[key];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MARK_MASK) return value;
    problems.push(`${key}: expected an integer mark 0x1-0xfff (marks are compared under the mask 0xfff), got ${describe(value)}`);
    return 0;
  };
  const address = (key: 'probeSource' | 'probeSourceV6', check: (ip: string) => boolean, what: string): string => {
    const value = raw[key] ?? INPOD_DEFAULTS[key];
    if (typeof value === 'string' && check(value)) return value;
    problems.push(`${key}: expected an ${what} address, got ${describe(value)}`);
    return '';
  };

  const resolved: ResolvedInpodConfig = {
    podIps: { v4, v6 },
    outboundPort: port('outboundPort'),
    inboundPlainPort: port('inboundPlainPort'),
    hbonePort: port('hbonePort'),
    ztunnelMark: mark('ztunnelMark'),
    connMark: mark('connMark'),
    probeSource: address('probeSource', isIPv4, 'IPv4'),
    probeSourceV6: address('probeSourceV6', (ip) => isIPv6(ip) && !ip.includes('%'), 'IPv6'),
    captureInbound: true,
  };
  const captureInbound = raw.captureInbound ?? INPOD_DEFAULTS.captureInbound;
  if (typeof captureInbound === 'boolean') resolved.captureInbound = captureInbound;
  else problems.push(`captureInbound: expected a boolean, got ${describe(captureInbound)}`);

  const ports = [resolved.outboundPort, resolved.inboundPlainPort, resolved.hbonePort].filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) {
    problems.push(
      `outboundPort, inboundPlainPort, hbonePort: expected three different ports, got ${resolved.outboundPort}, ${resolved.inboundPlainPort}, ${resolved.hbonePort}`,
    );
  }
  if (resolved.ztunnelMark !== 0 && resolved.ztunnelMark === resolved.connMark) {
    problems.push(`ztunnelMark, connMark: expected two different marks, both are ${hex(resolved.connMark)}`);
  }
  if (problems.length > 0) throw invalid(problems);
  return resolved;
}

export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

function invalid(problems: string[]): AmbitError {
  return new AmbitError(NftErrorCode.INVALID_CONFIG, `invalid in-pod capture config: ${problems.join('; ')}`, {
    details: { problems },
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
