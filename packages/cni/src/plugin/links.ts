// The kernel objects of one attachment: the veth pair, addresses and routes, read and written
// with iproute2. The pod side lives in the pod netns (a path), the host side in the plugin's own.
import { writeFileSync, readFileSync } from 'node:fs';
import { ip, ipBatch, ipJson, isNoSuchDevice } from './ip-tool.ts';

export { hostVethName } from './host-veth-name.ts';

export interface LinkInfo {
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function linkInfo(name: string, netns?: string): LinkInfo | undefined {
  let rows: unknown[];
  try {
    rows = ipJson(['link', 'show', 'dev', name], netns);
  } catch (error) {
    if (isNoSuchDevice(error)) return undefined;
    throw error;
  }
  const row = rows[0];
  if (!isObject(row)) return undefined;
  const flags = Array.isArray(row['flags']) ? row['flags'] : [];
  return {
    name,
    mac: typeof row['address'] === 'string' ? row['address'] : '',
    mtu: typeof row['mtu'] === 'number' ? row['mtu'] : 0,
    up: flags.includes('UP'),
  };
}

/** IPv4 addresses on a link as `a.b.c.d/len`. */
export function linkAddresses(name: string, netns?: string): string[] {
  const out: string[] = [];
  for (const row of ipJson(['-4', 'addr', 'show', 'dev', name], netns)) {
    if (!isObject(row) || !Array.isArray(row['addr_info'])) continue;
    for (const a of row['addr_info'] as unknown[]) {
      if (isObject(a) && typeof a['local'] === 'string' && typeof a['prefixlen'] === 'number') out.push(`${a['local']}/${a['prefixlen']}`);
    }
  }
  return out;
}

export interface RouteInfo {
  /** CIDR; `0.0.0.0/0` for default. */
  dst: string;
  gateway?: string;
  dev: string;
  scope: string;
}

export function routes(netns?: string): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const row of ipJson(['-4', 'route', 'show', 'table', 'main'], netns)) {
    if (!isObject(row) || typeof row['dst'] !== 'string') continue;
    const dst = row['dst'] === 'default' ? '0.0.0.0/0' : row['dst'].includes('/') ? row['dst'] : `${row['dst']}/32`;
    const route: RouteInfo = { dst, dev: typeof row['dev'] === 'string' ? row['dev'] : '', scope: typeof row['scope'] === 'string' ? row['scope'] : 'global' };
    if (typeof row['gateway'] === 'string') route.gateway = row['gateway'];
    out.push(route);
  }
  return out;
}

/** Deletes a link; false when it did not exist. Deleting either end of a veth removes both. */
export function deleteLink(name: string, netns?: string): boolean {
  try {
    ip(['link', 'del', 'dev', name], netns);
    return true;
  } catch (error) {
    if (isNoSuchDevice(error)) return false;
    throw error;
  }
}

export interface VethSpec {
  /** Pod netns path. */
  netns: string;
  podIfname: string;
  hostIfname: string;
  mtu?: number;
}

/**
 * Creates the pair from inside the pod netns and sends the peer to the plugin's own netns by pid
 * (the plugin process lives in the runtime netns), so the pod side never appears on the host.
 */
export function createVeth(spec: VethSpec): void {
  const mtu = spec.mtu === undefined ? [] : ['mtu', String(spec.mtu)];
  ipBatch([['link', 'add', spec.podIfname, ...mtu, 'type', 'veth', 'peer', 'name', spec.hostIfname, ...mtu, 'netns', String(process.pid)]], spec.netns);
}

export interface PodRoute {
  dst: string;
  gw: string;
}

/** Pod side: `<ip>/32`, lo and the interface up, a link route to the gateway, then the routes via it. */
export function configurePod(netns: string, ifname: string, address: string, gateway: string, podRoutes: readonly PodRoute[]): void {
  ipBatch([
    ['link', 'set', 'lo', 'up'],
    ['addr', 'add', `${address}/32`, 'dev', ifname],
    ['link', 'set', ifname, 'up'],
    ['route', 'add', `${gateway}/32`, 'dev', ifname, 'scope', 'link'],
    ...podRoutes.map((r) => ['route', 'add', r.dst, 'via', r.gw, 'dev', ifname]),
  ], netns);
}

/** Host side: the gateway as /32 (answers the pod's ARP), up, and a /32 route to the pod. */
export function configureHost(hostIfname: string, address: string, gateway: string): void {
  ipBatch([
    ['addr', 'add', `${gateway}/32`, 'dev', hostIfname],
    ['link', 'set', hostIfname, 'up'],
    ['route', 'add', `${address}/32`, 'dev', hostIfname, 'scope', 'link'],
  ]);
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Turns on IPv4 forwarding in the plugin's own (runtime) netns. */
export function enableIpForward(): void {
  if (readFileSync(IP_FORWARD, 'utf8').trim() !== '1') writeFileSync(IP_FORWARD, '1');
}

