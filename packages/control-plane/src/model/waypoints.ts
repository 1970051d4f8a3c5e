// Waypoint binding (DESIGN.md, reference section 4.3 and 5): `istio.io/use-waypoint` on a pod or
// Service beats the namespace label; `none` opts out; the Gateway must be of class
// istio-waypoint and serve the traffic type (`istio.io/waypoint-for`: service by default).
import type { ConfigIndex } from './index-state.ts';
import { LABEL, type MeshSettings } from './mesh.ts';
import { HBONE_PORT, type GatewayAddress } from './wire.ts';

export type TrafficType = 'service' | 'workload';

export function waypointFor(index: ConfigIndex, mesh: MeshSettings, namespace: string, labels: Record<string, string>, traffic: TrafficType): GatewayAddress | undefined {
  const nsLabels = index.namespace(namespace)?.metadata.labels ?? {};
  const own = labels[LABEL.useWaypoint];
  const name = own ?? nsLabels[LABEL.useWaypoint];
  if (name === undefined || name === 'none') return undefined;
  const gwNamespace = (own !== undefined ? labels[LABEL.useWaypointNamespace] : nsLabels[LABEL.useWaypointNamespace]) ?? namespace;
  const gateway = index.get(`Gateway/${gwNamespace}/${name}`);
  if (gateway?.kind !== 'Gateway' || gateway.spec.gatewayClassName !== 'istio-waypoint') return undefined;
  const serves = gateway.metadata.labels[LABEL.waypointFor] ?? 'service';
  if (serves === 'none' || (serves !== 'all' && serves !== traffic)) return undefined;
  return { hostname: { namespace: gwNamespace, hostname: `${name}.${gwNamespace}.svc.${mesh.domainSuffix}` }, hbone_mtls_port: HBONE_PORT };
}
