// The `ipam` section read by ambit-ipam: a host-local-style single IPv4 range.
//   ipam: { type: "ambit-ipam", subnet: "10.244.1.0/24", rangeStart?, rangeEnd?, gateway?, dataDir?, routes? }
import { isAbsolute } from 'node:path';
import { CNI_CODE } from '../protocol/errors.ts';
import { broadcastOf, formatIpv4, looksLikeIpv6, networkOf, parseCidr, parseIpv4 } from '../protocol/ipv4.ts';
import { isObject, sortProblems, validateNetConf, type ConfigProblem, type NetConf } from '../protocol/net-conf.ts';
import type { CniRoute } from '../protocol/types.ts';
import type { Verb } from '../protocol/env.ts';

export const DEFAULT_IPAM_DATA_DIR = '/var/lib/ambit/cni';

/** A usable range inside a subnet; all addresses are 32-bit numbers. */
export interface IpamRange {
  network: number;
  prefix: number;
  broadcast: number;
  start: number;
  end: number;
  gateway: number;
}

export interface IpamConfig extends NetConf {
  range: IpamRange;
  routes: CniRoute[];
  /** State lives in `<dataDir>/ipam/<network name>/`. */
  dataDir: string;
}

export type IpamConfigResult = { ok: true; config: IpamConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates the full stdin configuration an IPAM plugin receives. `ipam.dataDir` wins over the
 * top-level `dataDir` (the main plugin's), which wins over the default.
 */
export function validateIpamConfig(raw: unknown, verb?: Verb): IpamConfigResult {
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', message: 'the configuration must be a JSON object', cniCode: CNI_CODE.decode }] };
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string, cniCode: number = CNI_CODE.invalidConfig): void => {
    problems.push({ path, message, cniCode });
  };
  const net = validateNetConf(raw, verb, problems);
  const ipam = raw['ipam'];
  if (!isObject(ipam)) {
    add('ipam', 'is missing or not an object');
    return { ok: false, problems: sortProblems(problems) };
  }
  let dataDir = DEFAULT_IPAM_DATA_DIR;
  const dirValue = ipam['dataDir'] ?? raw['dataDir'];
  if (dirValue !== undefined) {
    if (typeof dirValue !== 'string' || !isAbsolute(dirValue)) add(ipam['dataDir'] !== undefined ? 'ipam.dataDir' : 'dataDir', `${JSON.stringify(dirValue)} must be an absolute path`);
    else dataDir = dirValue;
  }
  // STATUS and GC must work without a valid range (GC sees every reservation anyway).
  const needsRange = verb !== 'STATUS' && verb !== 'GC' && verb !== 'DEL';
  const rangeAdd: Add = needsRange ? add : () => {};
  const range = parseRange(ipam, rangeAdd, needsRange);
  const routes = parseRoutes(ipam['routes'], range, rangeAdd);
  sortProblems(problems);
  if (problems.length > 0) return { ok: false, problems };
  const placeholder: IpamRange = { network: 0, prefix: 0, broadcast: 0, start: 0, end: 0, gateway: 0 };
  return { ok: true, config: { ...net, range: range ?? placeholder, routes, dataDir } };
}

type Add = (path: string, message: string, cniCode?: number) => void;

function parseRange(ipam: Record<string, unknown>, add: Add, required: boolean): IpamRange | undefined {
  const subnetText = ipam['subnet'];
  if (subnetText === undefined) {
    if (required) add('ipam.subnet', 'is missing; write a CIDR like "10.244.1.0/24"');
    return undefined;
  }
  if (typeof subnetText !== 'string') {
    add('ipam.subnet', 'must be a string CIDR like "10.244.1.0/24"');
    return undefined;
  }
  if (looksLikeIpv6(subnetText)) {
    add('ipam.subnet', `"${subnetText}": IPv6 is not supported yet (IPv4 only)`, CNI_CODE.unsupportedField);
    return undefined;
  }
  const cidr = parseCidr(subnetText);
  if (!cidr) {
    add('ipam.subnet', `"${subnetText}" is not an IPv4 CIDR like "10.244.1.0/24"`);
    return undefined;
  }
  const network = networkOf(cidr);
  if (network !== cidr.ip) {
    add('ipam.subnet', `"${subnetText}" has host bits set; for a /${cidr.prefix} the network address is ${formatIpv4(network)}`);
    return undefined;
  }
  if (cidr.prefix > 30 || cidr.prefix < 8) {
    add('ipam.subnet', `"${subnetText}": the prefix must be from /8 to /30 (room for a gateway and at least one pod)`);
    return undefined;
  }
  const broadcast = broadcastOf(cidr);
  const inside = (key: string): number | undefined => {
    const v = ipam[key];
    if (v === undefined) return undefined;
    const ip = typeof v === 'string' ? parseIpv4(v) : undefined;
    if (ip === undefined) {
      add(`ipam.${key}`, `${JSON.stringify(v)} is not an IPv4 address`);
      return undefined;
    }
    if (ip <= network || ip >= broadcast) {
      add(`ipam.${key}`, `"${String(v)}" is not a host address of ${subnetText}`);
      return undefined;
    }
    return ip;
  };
  const gateway = inside('gateway') ?? network + 1;
  const start = inside('rangeStart') ?? network + 1;
  const end = inside('rangeEnd') ?? broadcast - 1;
  if (start > end) {
    add('ipam.rangeStart', `${formatIpv4(start)} is after rangeEnd ${formatIpv4(end)}`);
    return undefined;
  }
  if (start === end && start === gateway) {
    add('ipam.rangeStart', `the range ${formatIpv4(start)}-${formatIpv4(end)} holds only the gateway`);
    return undefined;
  }
  return { network, prefix: cidr.prefix, broadcast, start, end, gateway };
}

function parseRoutes(raw: unknown, range: IpamRange | undefined, add: Add): CniRoute[] {
  const gw = range ? formatIpv4(range.gateway) : undefined;
  if (raw === undefined) return gw ? [{ dst: '0.0.0.0/0', gw }] : [];
  if (!Array.isArray(raw)) {
    add('ipam.routes', 'must be an array of {dst, gw?}');
    return [];
  }
  const routes: CniRoute[] = [];
  raw.forEach((item: unknown, i) => {
    const at = `ipam.routes[${i}]`;
    if (!isObject(item) || typeof item['dst'] !== 'string' || !parseCidr(item['dst'])) {
      add(at, 'must be an object with an IPv4 CIDR "dst"');
      return;
    }
    const route: CniRoute = { dst: item['dst'] };
    const via = item['gw'];
    if (via !== undefined && (typeof via !== 'string' || parseIpv4(via) === undefined)) add(`${at}.gw`, `${JSON.stringify(via)} is not an IPv4 address`);
    else if (typeof via === 'string') route.gw = via;
    else if (gw) route.gw = gw;
    routes.push(route);
  });
  return routes;
}
