// ClusterLoadAssignment of one Service port (ADR 0007): every pod the Service selects that has an
// address and the target port, HEALTHY when Ready and UNHEALTHY otherwise (Envoy skips those), and
// for pods in the ambient mesh the `ambit.hbone` metadata that tells the waypoint to reach the pod
// over HBONE with its own certificate instead of plain TCP. A pod port addressed by its pod IP
// (workload-addressed traffic) gets an assignment of that one endpoint, built the same way.
import { resolveContainerPort, selectorMatches, type Pod, type Service, type ServicePort } from '@ambit/api';
import { HBONE_ENDPOINT_METADATA, type Init, type envoy } from '@ambit/xds-types';
import { WAYPOINT_HBONE_PORT } from './listener.ts';

export interface EndpointPod {
  pod: Pod;
  ip: string;
  ready: boolean;
  /** The pod's SPIFFE ID when it is enrolled in ambient (speaks HBONE), else undefined. */
  hboneIdentity: string | undefined;
}

/** Whether the Service selects the pod (same namespace, non-empty selector matching its labels). */
export function selects(service: Service, pod: Pod): boolean {
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  if ((pod.metadata.namespace ?? 'default') !== (service.metadata.namespace ?? 'default')) return false;
  return selectorMatches({ matchLabels: selector }, pod.metadata.labels);
}

function endpoint(ip: string, port: number, p: EndpointPod): Init<envoy.LbEndpoint> {
  return {
    endpoint: { address: { socket_address: { address: ip, port_value: port } } },
    health_status: p.ready ? 'HEALTHY' : 'UNHEALTHY',
    ...(p.hboneIdentity !== undefined
      ? {
          metadata: {
            filter_metadata: {
              [HBONE_ENDPOINT_METADATA]: { fields: { identity: { stringValue: p.hboneIdentity }, port: { numberValue: WAYPOINT_HBONE_PORT } } },
            },
          },
        }
      : {}),
  };
}

/**
 * The assignment named `name` for `port` of `service`. A named targetPort is resolved per pod
 * (pods of one Service may number it differently); a pod without that port is left out, as
 * Kubernetes leaves it out of the EndpointSlice. Endpoints are sorted by address for stable bytes.
 */
export function clusterLoadAssignment(name: string, service: Service, port: ServicePort, pods: readonly EndpointPod[]): Init<envoy.ClusterLoadAssignment> {
  const found: Array<{ ip: string; port: number; pod: EndpointPod }> = [];
  for (const p of pods) {
    if (!selects(service, p.pod)) continue;
    const target = resolveContainerPort(p.pod, port.targetPort, port.protocol);
    if (target === undefined) continue;
    found.push({ ip: p.ip, port: target, pod: p });
  }
  found.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.port - b.port);
  return { cluster_name: name, endpoints: [{ lb_endpoints: found.map((f) => endpoint(f.ip, f.port, f.pod)) }] };
}

/** The assignment named `name` holding the one endpoint `ip:port` of a pod (pod-addressed traffic). */
export function podLoadAssignment(name: string, ip: string, port: number, pod: EndpointPod): Init<envoy.ClusterLoadAssignment> {
  return { cluster_name: name, endpoints: [{ lb_endpoints: [endpoint(ip, port, pod)] }] };
}
