// Pods as istio.workload.Workload, the way istiod's ambient index builds them: every pod with an
// address is sent (ztunnels need to know unmeshed peers too); enrolled pods speak HBONE.
import { isAmbientEnrolled, resolveContainerPort, selectorMatches, type Pod, type Service } from '@ambit/api';
import type { ConfigIndex } from './index-state.ts';
import { ipToBytes } from './ip.ts';
import type { MeshSettings } from './mesh.ts';
import { waypointFor } from './waypoints.ts';
import { TUNNEL, WORKLOAD_STATUS, WORKLOAD_TYPE, type WorkloadMessage, type WorkloadPort } from './wire.ts';

export function workloadUid(mesh: MeshSettings, pod: Pod): string {
  return `${mesh.clusterId}//Pod/${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

export function isEnrolled(index: ConfigIndex, pod: Pod): boolean {
  return isAmbientEnrolled(pod.metadata.labels, index.namespace(pod.metadata.namespace ?? 'default')?.metadata.labels);
}

export function podIps(pod: Pod): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return [...new Set(ips)];
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The Services selecting a pod, with their ports resolved against the pod's named ports. */
export function serviceMembership(mesh: MeshSettings, pod: Pod, services: readonly Service[]): Record<string, { ports: WorkloadPort[] }> {
  const result: Record<string, { ports: WorkloadPort[] }> = {};
  for (const svc of services) {
    const selector = svc.spec.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    if (!selectorMatches({ matchLabels: selector }, pod.metadata.labels)) continue;
    const ports: WorkloadPort[] = [];
    for (const port of svc.spec.ports) {
      const target = resolveContainerPort(pod, port.targetPort, port.protocol);
      if (target !== undefined && port.protocol === 'TCP') ports.push({ service_port: port.port, target_port: target });
    }
    result[`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${mesh.domainSuffix}`] = { ports };
  }
  return result;
}

export interface WorkloadContext {
  index: ConfigIndex;
  mesh: MeshSettings;
  /** Keys `ns/name` of the ztunnel-enforced policies that select this pod. */
  policiesFor(pod: Pod): string[];
}

export function buildWorkload(ctx: WorkloadContext, pod: Pod): WorkloadMessage | undefined {
  const ips = podIps(pod).map(ipToBytes).filter((b): b is Uint8Array => b !== undefined);
  if (ips.length === 0) return undefined;
  const namespace = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels;
  const sa = pod.spec.serviceAccountName || 'default';
  const owner = labels['app.kubernetes.io/name'] ?? labels['app'];
  const waypoint = waypointFor(ctx.index, ctx.mesh, namespace, labels, 'workload');
  return {
    uid: workloadUid(ctx.mesh, pod),
    name: pod.metadata.name,
    namespace,
    addresses: ips,
    network: ctx.mesh.network,
    tunnel_protocol: isEnrolled(ctx.index, pod) ? TUNNEL.HBONE : TUNNEL.NONE,
    // Istio elides the mesh's own trust domain and the default service account.
    trust_domain: ctx.mesh.trustDomain === 'cluster.local' ? '' : ctx.mesh.trustDomain,
    service_account: sa === 'default' ? '' : sa,
    ...(waypoint ? { waypoint } : {}),
    node: pod.spec.nodeName ?? '',
    canonical_name: labels['service.istio.io/canonical-name'] ?? owner ?? pod.metadata.name,
    canonical_revision: labels['service.istio.io/canonical-revision'] ?? labels['app.kubernetes.io/version'] ?? labels['version'] ?? 'latest',
    workload_type: WORKLOAD_TYPE.POD,
    workload_name: owner ?? pod.metadata.name,
    services: serviceMembership(ctx.mesh, pod, ctx.index.list('Service', namespace)),
    authorization_policies: ctx.policiesFor(pod),
    status: isReady(pod) ? WORKLOAD_STATUS.HEALTHY : WORKLOAD_STATUS.UNHEALTHY,
    cluster_id: ctx.mesh.clusterId,
    capacity: { value: 1 },
  };
}
