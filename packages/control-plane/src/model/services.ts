// Services as istio.workload.Service: hostname, VIPs and ports; endpoints are not listed here but
// carried by each Workload's `services` map, as in Istio.
import type { Service } from '@ambit/api';
import type { ConfigIndex } from './index-state.ts';
import { ipToBytes } from './ip.ts';
import type { MeshSettings } from './mesh.ts';
import { waypointFor } from './waypoints.ts';
import { APP_PROTOCOL, type ServiceMessage, type WorkloadPort } from './wire.ts';

export function serviceName(mesh: MeshSettings, svc: Service): string {
  const ns = svc.metadata.namespace ?? 'default';
  return `${ns}/${svc.metadata.name}.${ns}.svc.${mesh.domainSuffix}`;
}

function appProtocol(name: string | undefined, appProto: string | undefined): number | undefined {
  const p = (appProto ?? name?.split('-')[0] ?? '').toLowerCase();
  if (p === 'http' || p === 'http1' || p === 'kubernetes.io/h2c') return p === 'kubernetes.io/h2c' ? APP_PROTOCOL.HTTP2 : APP_PROTOCOL.HTTP11;
  if (p === 'http2' || p === 'h2c') return APP_PROTOCOL.HTTP2;
  if (p === 'grpc') return APP_PROTOCOL.GRPC;
  if (p === 'tcp') return APP_PROTOCOL.TCP;
  if (p === 'tls' || p === 'https') return APP_PROTOCOL.TLS;
  return undefined;
}

export function buildService(index: ConfigIndex, mesh: MeshSettings, svc: Service): ServiceMessage | undefined {
  const ns = svc.metadata.namespace ?? 'default';
  const vip = svc.spec.clusterIP && svc.spec.clusterIP !== 'None' ? ipToBytes(svc.spec.clusterIP) : undefined;
  const ports: WorkloadPort[] = svc.spec.ports
    .filter((p) => p.protocol === 'TCP')
    .map((p) => {
      const app = appProtocol(p.name, p.appProtocol);
      return { service_port: p.port, target_port: typeof p.targetPort === 'number' ? p.targetPort : 0, ...(app !== undefined ? { app_protocol: app } : {}) };
    });
  const waypoint = waypointFor(index, mesh, ns, svc.metadata.labels, 'service');
  return {
    name: svc.metadata.name,
    namespace: ns,
    hostname: `${svc.metadata.name}.${ns}.svc.${mesh.domainSuffix}`,
    addresses: vip ? [{ network: mesh.network, address: vip }] : [],
    ports,
    ...(waypoint ? { waypoint } : {}),
  };
}
