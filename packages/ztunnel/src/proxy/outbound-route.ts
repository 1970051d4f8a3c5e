// Where an outbound connection goes (reference 1.3, ztunnel src/proxy/outbound.rs::build_request):
// a Service VIP picks an endpoint (weighted by capacity, healthy only) unless the Service has a
// waypoint; a pod address goes to that pod (or its workload waypoint); meshed destinations are
// reached over HBONE on 15008 with the inner target as :authority, others by plain TCP; an address
// the mesh does not know is passed through untouched.
import type { ProxyState } from '../state/store.ts';
import type { Service, WaypointRef, Workload } from '../state/types.ts';

export const HBONE_PORT = 15008;

export interface Destination {
  workload?: Workload;
  service?: Service;
}

export type Route =
  | { kind: 'hbone'; address: string; port: number; authority: string; identities: string[]; destination: Destination; waypoint: boolean }
  | { kind: 'passthrough'; address: string; port: number; destination: Destination }
  | { kind: 'reject'; reason: string; destination: Destination };

/** Weighted random choice by capacity (ztunnel's load balancing; "round robin" in the docs is not what the code does). */
export function pickWeighted<T extends { workload: Workload }>(candidates: readonly T[], random: () => number): T | undefined {
  const total = candidates.reduce((sum, c) => sum + Math.max(0, c.workload.capacity), 0);
  if (total <= 0) return candidates[Math.floor(random() * candidates.length)];
  let point = random() * total;
  for (const c of candidates) {
    point -= Math.max(0, c.workload.capacity);
    if (point < 0) return c;
  }
  return candidates[candidates.length - 1];
}

function addressFor(w: Workload, likeIp: string): string | undefined {
  const v6 = likeIp.includes(':');
  return w.addresses.find((a) => a.includes(':') === v6) ?? w.addresses[0];
}

function formatAuthority(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Whether the source is itself one of the waypoint's pods (its traffic must not loop back to it). */
function isWaypointItself(state: ProxyState, waypoint: WaypointRef, source: Workload): boolean {
  if (waypoint.address) return source.addresses.includes(waypoint.address);
  const key = waypoint.service ? `${waypoint.service.namespace}/${waypoint.service.hostname}` : '';
  return source.services.has(key);
}

function viaWaypoint(state: ProxyState, waypoint: WaypointRef, original: { ip: string; port: number }, destination: Destination, random: () => number): Route {
  if (waypoint.address) {
    const w = state.workloadByAddress('', waypoint.address);
    return { kind: 'hbone', address: waypoint.address, port: waypoint.port, authority: formatAuthority(original.ip, original.port), identities: w ? [w.identity] : [], destination, waypoint: true };
  }
  const key = waypoint.service ? `${waypoint.service.namespace}/${waypoint.service.hostname}` : '';
  const svc = state.service(key);
  const candidates = svc ? state.endpointsOf(svc, waypoint.port).filter((e) => e.workload.healthy) : [];
  const chosen = pickWeighted(candidates, random);
  const address = chosen ? addressFor(chosen.workload, original.ip) : undefined;
  if (!chosen || !address) return { kind: 'reject', reason: `unknown waypoint ${key}`, destination };
  return { kind: 'hbone', address, port: HBONE_PORT, authority: formatAuthority(original.ip, original.port), identities: [chosen.workload.identity], destination, waypoint: true };
}

function toWorkload(workload: Workload, port: number, service: Service | undefined, likeIp: string): Route {
  const address = addressFor(workload, likeIp);
  const destination: Destination = service ? { workload, service } : { workload };
  if (!address) return { kind: 'reject', reason: `workload ${workload.uid} has no address`, destination };
  if (workload.protocol === 'HBONE') {
    return { kind: 'hbone', address, port: HBONE_PORT, authority: formatAuthority(address, port), identities: [workload.identity, ...(service?.subjectAltNames ?? [])], destination, waypoint: false };
  }
  return { kind: 'passthrough', address, port, destination };
}

export function routeOutbound(state: ProxyState, source: Workload, original: { ip: string; port: number }, random: () => number = Math.random): Route {
  const network = source.network;
  const service = state.serviceByAddress(network, original.ip);
  if (service) {
    if (service.waypoint && !isWaypointItself(state, service.waypoint, source)) return viaWaypoint(state, service.waypoint, original, { service }, random);
    const endpoints = state.endpointsOf(service, original.port).filter((e) => e.workload.healthy);
    const chosen = pickWeighted(endpoints, random);
    if (!chosen) return { kind: 'reject', reason: `no healthy upstream for ${service.hostname}:${original.port}`, destination: { service } };
    return toWorkload(chosen.workload, chosen.port, service, original.ip);
  }
  const workload = state.workloadByAddress(network, original.ip);
  if (!workload) return { kind: 'passthrough', address: original.ip, port: original.port, destination: {} };
  if (workload.waypoint && !isWaypointItself(state, workload.waypoint, source)) return viaWaypoint(state, workload.waypoint, original, { workload }, random);
  return toWorkload(workload, original.port, undefined, original.ip);
}
