// ClusterLoadAssignment (EDS) -> the Endpoints the upstream layer dials. ADR 0007: one locality,
// pod IP and target port, health_status, and `filter_metadata["ambit.hbone"] = { identity, port }`
// on meshed pods (reached over HBONE with the waypoint's certificate; the rest over plain TCP).
import { isIP } from 'node:net';
import { HBONE_ENDPOINT_METADATA, type envoy, type google } from '@ambit/xds-types';
import type { Endpoint } from '../contracts.ts';
import { configError } from '../matchers.ts';

/** Envoy leaves these out of load balancing (DEGRADED hosts still serve). */
const NOT_HEALTHY: ReadonlySet<string> = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

export function endpointsFromAssignment(cla: envoy.ClusterLoadAssignment): Endpoint[] {
  const where = `ClusterLoadAssignment ${JSON.stringify(cla.cluster_name)}`;
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  cla.endpoints.forEach((locality, i) => {
    // Priorities are failover levels; the control plane sends one, and a second would need
    // Envoy's priority spill-over, which the waypoint does not implement.
    if (locality.priority !== 0) configError(`${where} endpoints[${i}].priority`, `only priority 0 is supported, got ${locality.priority}`);
    locality.lb_endpoints.forEach((lb, j) => {
      const at = `${where} endpoints[${i}].lb_endpoints[${j}]`;
      const sa = lb.endpoint?.address?.socket_address;
      if (!sa) return configError(`${at}.endpoint.address.socket_address`, 'is required');
      if (isIP(sa.address) === 0) configError(`${at}.endpoint.address.socket_address.address`, `must be an IP address, got ${JSON.stringify(sa.address)}`);
      if (!Number.isInteger(sa.port_value) || sa.port_value < 1 || sa.port_value > 65535) configError(`${at}.endpoint.address.socket_address.port_value`, `must be 1-65535, got ${sa.port_value}`);
      const key = isIP(sa.address) === 6 ? `[${sa.address}]:${sa.port_value}` : `${sa.address}:${sa.port_value}`;
      if (seen.has(key)) configError(at, `endpoint ${key} is listed twice`);
      seen.add(key);
      const weight = lb.load_balancing_weight?.value ?? 1;
      if (weight < 1) configError(`${at}.load_balancing_weight`, `must be at least 1, got ${weight}`);
      const health = typeof lb.health_status === 'number' ? String(lb.health_status) : lb.health_status;
      out.push({
        key,
        ip: sa.address,
        port: sa.port_value,
        hbone: hboneOf(lb.metadata?.filter_metadata[HBONE_ENDPOINT_METADATA], `${at}.metadata.filter_metadata["${HBONE_ENDPOINT_METADATA}"]`),
        healthy: !NOT_HEALTHY.has(health),
        weight,
      });
    });
  });
  return out;
}

function hboneOf(meta: google.Struct | undefined, where: string): Endpoint['hbone'] {
  if (!meta) return undefined;
  const identity = meta.fields['identity'];
  const port = meta.fields['port'];
  if (identity?.kind !== 'stringValue' || !identity.stringValue?.startsWith('spiffe://')) {
    configError(`${where}.identity`, `must be a SPIFFE ID string, got ${JSON.stringify(identity ?? null)}`);
  }
  const n = port?.kind === 'numberValue' ? port.numberValue : undefined;
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 65535) configError(`${where}.port`, `must be a port number 1-65535, got ${JSON.stringify(port ?? null)}`);
  return { identity: identity.stringValue, port: n };
}
