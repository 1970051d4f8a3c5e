// istio.workload.Address (decoded by @ambit/xds-types) -> domain types. Anything malformed is an
// error naming the field, so the xDS client NACKs that one resource and keeps the rest.
import type { workload as pb } from '@ambit/xds-types';
import type { Service, WaypointRef, Workload } from './types.ts';

const DEFAULT_TRUST_DOMAIN = 'cluster.local';

export class ConversionError extends Error {}

function ipFromBytes(bytes: Uint8Array, field: string): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    // The URL parser serialises IPv6 in its canonical compressed form (RFC 5952).
    return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
  }
  throw new ConversionError(`${field}: an address must be 4 or 16 bytes, got ${bytes.length}`);
}

function waypointOf(gw: pb.GatewayAddress | null, field: string): WaypointRef | undefined {
  if (!gw) return undefined;
  const port = gw.hbone_mtls_port || 15008;
  if (gw.hostname) {
    if (!gw.hostname.hostname || !gw.hostname.namespace) throw new ConversionError(`${field}.hostname: namespace and hostname are required`);
    return { service: { namespace: gw.hostname.namespace, hostname: gw.hostname.hostname }, port };
  }
  if (gw.address) return { address: ipFromBytes(gw.address.address, `${field}.address.address`), port };
  throw new ConversionError(`${field}: neither hostname nor address is set`);
}

function port(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConversionError(`${field}: ${value} is not a port`);
  return value;
}

export function workloadFromProto(w: pb.Workload): Workload {
  if (!w.uid) throw new ConversionError('workload.uid: required');
  if (!w.namespace) throw new ConversionError('workload.namespace: required');
  if (w.addresses.length === 0 && !w.hostname) throw new ConversionError('workload.addresses: a workload needs an address or a hostname');
  const trustDomain = w.trust_domain || DEFAULT_TRUST_DOMAIN;
  const serviceAccount = w.service_account || 'default';
  const services = new Map<string, Map<number, number>>();
  for (const [key, list] of Object.entries(w.services)) {
    const ports = new Map<number, number>();
    list.ports.forEach((p, i) => ports.set(port(p.service_port, `workload.services[${key}].ports[${i}].service_port`), port(p.target_port, `workload.services[${key}].ports[${i}].target_port`)));
    services.set(key, ports);
  }
  const protocol = w.tunnel_protocol === 'HBONE' || w.tunnel_protocol === 1 ? 'HBONE' : 'TCP';
  return {
    uid: w.uid,
    name: w.name,
    namespace: w.namespace,
    addresses: w.addresses.map((a, i) => ipFromBytes(a, `workload.addresses[${i}]`)),
    network: w.network,
    protocol,
    trustDomain,
    serviceAccount,
    identity: `spiffe://${trustDomain}/ns/${w.namespace}/sa/${serviceAccount}`,
    node: w.node,
    canonicalName: w.canonical_name,
    canonicalRevision: w.canonical_revision,
    workloadName: w.workload_name,
    workloadType: String(w.workload_type).toLowerCase(),
    waypoint: waypointOf(w.waypoint, 'workload.waypoint'),
    services,
    authorizationPolicies: [...w.authorization_policies],
    healthy: w.status !== 'UNHEALTHY' && w.status !== 1,
    clusterId: w.cluster_id,
    capacity: w.capacity ? w.capacity.value : 1,
  };
}

export function serviceFromProto(s: pb.Service): Service {
  if (!s.hostname) throw new ConversionError('service.hostname: required');
  if (!s.namespace) throw new ConversionError('service.namespace: required');
  return {
    key: `${s.namespace}/${s.hostname}`,
    name: s.name,
    namespace: s.namespace,
    hostname: s.hostname,
    vips: s.addresses.map((a, i) => ({ network: a.network, address: ipFromBytes(a.address, `service.addresses[${i}].address`) })),
    ports: s.ports.map((p, i) => ({ port: port(p.service_port, `service.ports[${i}].service_port`), targetPort: port(p.target_port, `service.ports[${i}].target_port`) })),
    waypoint: waypointOf(s.waypoint, 'service.waypoint'),
    subjectAltNames: [...s.subject_alt_names],
  };
}

export type AddressEntry = { kind: 'workload'; workload: Workload } | { kind: 'service'; service: Service };

export function addressFromProto(a: pb.Address): AddressEntry {
  if (a.workload) return { kind: 'workload', workload: workloadFromProto(a.workload) };
  if (a.service) return { kind: 'service', service: serviceFromProto(a.service) };
  throw new ConversionError('address: neither workload nor service is set');
}
