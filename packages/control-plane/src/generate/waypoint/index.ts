// Everything the control plane serves waypoints (ADR 0007), built from the whole config index:
// per waypoint Gateway a Listener, per Service port bound to a waypoint a RouteConfiguration, and
// per Service port in the mesh a Cluster and a ClusterLoadAssignment. Clusters and assignments
// exist for every Service port (not only those some route or ext_authz provider names): at lab
// scale that costs little and a route added later never waits on a missing cluster.
import type { AuthorizationPolicy, DestinationRule, ExtensionProvider, Gateway, Pod, Service, ServicePort } from '@ambit/api';
import type { Init, envoy } from '@ambit/xds-types';
import type { ConfigIndex } from '../../model/index-state.ts';
import type { MeshSettings } from '../../model/mesh.ts';
import { waypointFor } from '../../model/waypoints.ts';
import { isEnrolled, podIps } from '../../model/workloads.ts';
import { waypointAuthzFilters } from './authz.ts';
import { cluster, clusterName } from './clusters.ts';
import { clusterLoadAssignment, type EndpointPod } from './endpoints.ts';
import { isTcpPort, listenerName, routeName, waypointListener, type ChainInput } from './listener.ts';
import { routeConfiguration } from './routes.ts';

export const WAYPOINT_CLASS = 'istio-waypoint';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface WaypointInputs {
  index: ConfigIndex;
  mesh: MeshSettings;
  /** From the mesh config (the `istio` ConfigMap's `mesh` key). */
  extensionProviders: ExtensionProvider[];
}

export interface WaypointResources {
  listeners: Map<string, Init<envoy.Listener>>;
  routes: Map<string, Init<envoy.RouteConfiguration>>;
  clusters: Map<string, Init<envoy.Cluster>>;
  endpoints: Map<string, Init<envoy.ClusterLoadAssignment>>;
  /** Status messages by `Kind/namespace/name` (the policy or route they concern). */
  warnings: Map<string, string>;
}

export function serviceHost(mesh: MeshSettings, svc: Service): string {
  return `${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${mesh.domainSuffix}`;
}

function clusterIpOf(svc: Service): string | undefined {
  const ip = svc.spec.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

/** TCP ports only: the waypoint carries HBONE, which tunnels TCP. */
function tcpPorts(svc: Service): ServicePort[] {
  return svc.spec.ports.filter((p) => p.protocol === 'TCP');
}

function waypointGateways(index: ConfigIndex): Gateway[] {
  return index.list('Gateway').filter((g) => g.spec.gatewayClassName === WAYPOINT_CLASS);
}

/** A waypoint's own Service (`NS/GW` beside its Gateway) is never bound to a waypoint, as in Istio. */
function isWaypointService(index: ConfigIndex, svc: Service): boolean {
  const gw = index.get(`Gateway/${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`);
  return gw?.kind === 'Gateway' && gw.spec.gatewayClassName === WAYPOINT_CLASS;
}

/** The waypoint (`namespace/name`) handling a Service's service-addressed traffic, if any. */
export function boundWaypoint(index: ConfigIndex, mesh: MeshSettings, svc: Service): string | undefined {
  if (isWaypointService(index, svc)) return undefined;
  const ns = svc.metadata.namespace ?? 'default';
  const address = waypointFor(index, mesh, ns, svc.metadata.labels, 'service');
  if (!address?.hostname) return undefined;
  // The binding names the waypoint by its Service host `GW.NS.svc.<suffix>`.
  const gwName = address.hostname.hostname.split('.')[0] ?? '';
  return listenerName(address.hostname.namespace, gwName);
}

/** Whether a policy's targetRefs name `kind` `name` (in `group`s). */
function targets(policy: AuthorizationPolicy, kind: string, groups: readonly string[], name: string): boolean {
  return (policy.spec.targetRefs ?? []).some((ref) => ref.kind === kind && groups.includes(ref.group) && ref.name === name);
}

/**
 * The policies one filter chain enforces (reference section 5): those in the Gateway's namespace
 * targeting the Gateway, those in the Service's namespace targeting the Service, and those in the
 * root namespace targeting the GatewayClass istio-waypoint (every waypoint).
 */
export function chainPolicies(policies: readonly AuthorizationPolicy[], rootNamespace: string, gateway: { namespace: string; name: string }, svc: Service): AuthorizationPolicy[] {
  const svcNs = svc.metadata.namespace ?? 'default';
  return policies.filter((p) => {
    const ns = p.metadata.namespace ?? 'default';
    return (
      (ns === gateway.namespace && targets(p, 'Gateway', [GATEWAY_GROUP], gateway.name)) ||
      (ns === svcNs && targets(p, 'Service', ['', 'core'], svc.metadata.name)) ||
      (ns === rootNamespace && targets(p, 'GatewayClass', [GATEWAY_GROUP], WAYPOINT_CLASS))
    );
  });
}

/**
 * The DestinationRule for a host, as istiod looks one up for a service: rules in the Service's
 * namespace first, then rules in the root namespace (rules elsewhere do not apply); within a
 * namespace an exact host (an FQDN, or a short name resolved in the rule's own namespace) before
 * the longest matching `*.` wildcard.
 */
export function destinationRuleFor(rules: readonly DestinationRule[], host: string, serviceNamespace: string, mesh: MeshSettings): DestinationRule | undefined {
  const fqdn = (r: DestinationRule): string => {
    const h = r.spec.host;
    if (h.startsWith('*') || h.endsWith(`.svc.${mesh.domainSuffix}`)) return h;
    const labels = h.split('.');
    if (labels.length === 1) return `${h}.${r.metadata.namespace ?? 'default'}.svc.${mesh.domainSuffix}`;
    if (labels.length === 2) return `${h}.svc.${mesh.domainSuffix}`;
    return h;
  };
  const score = (r: DestinationRule): number => {
    const h = fqdn(r);
    const ns = r.metadata.namespace ?? 'default';
    const scope = ns === serviceNamespace ? 2 : ns === mesh.rootNamespace ? 1 : 0;
    if (scope === 0) return -1;
    if (h === host) return scope * 1000 + 999;
    if (h === '*') return scope * 1000;
    if (h.startsWith('*.') && host.endsWith(h.slice(1))) return scope * 1000 + h.length;
    return -1;
  };
  let best: DestinationRule | undefined;
  let bestScore = -1;
  for (const r of [...rules].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))) {
    const s = score(r);
    if (s > bestScore) [best, bestScore] = [r, s];
  }
  return best;
}

function endpointPods(index: ConfigIndex, mesh: MeshSettings): Map<string, EndpointPod[]> {
  const byNamespace = new Map<string, EndpointPod[]>();
  for (const pod of index.list('Pod')) {
    const ip = podIps(pod)[0];
    if (ip === undefined) continue;
    const ns = pod.metadata.namespace ?? 'default';
    const sa = pod.spec.serviceAccountName || 'default';
    const entry: EndpointPod = {
      pod,
      ip,
      ready: isReady(pod),
      hboneIdentity: isEnrolled(index, pod) ? `spiffe://${mesh.trustDomain}/ns/${ns}/sa/${sa}` : undefined,
    };
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), entry]);
  }
  return byNamespace;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Every Service port's ClusterLoadAssignment; what a pod change alone can alter. */
export function waypointEndpoints(inputs: Pick<WaypointInputs, 'index' | 'mesh'>): Map<string, Init<envoy.ClusterLoadAssignment>> {
  const { index, mesh } = inputs;
  const pods = endpointPods(index, mesh);
  const out = new Map<string, Init<envoy.ClusterLoadAssignment>>();
  for (const svc of index.list('Service')) {
    const host = serviceHost(mesh, svc);
    for (const port of tcpPorts(svc)) {
      const name = clusterName(port.port, host);
      out.set(name, clusterLoadAssignment(name, svc, port, pods.get(svc.metadata.namespace ?? 'default') ?? []));
    }
  }
  return out;
}

function addWarning(warnings: Map<string, string>, key: string, message: string): void {
  const previous = warnings.get(key);
  if (previous === undefined) warnings.set(key, message);
  else if (!previous.split('; ').includes(message)) warnings.set(key, `${previous}; ${message}`);
}

/** Every waypoint resource. Pure: the same index gives the same resources. */
export function waypointResources(inputs: WaypointInputs): WaypointResources {
  const { index, mesh, extensionProviders } = inputs;
  const result: WaypointResources = { listeners: new Map(), routes: new Map(), clusters: new Map(), endpoints: waypointEndpoints(inputs), warnings: new Map() };
  const services = index.list('Service');
  const policies = index.list('AuthorizationPolicy').filter((p) => (p.spec.targetRefs?.length ?? 0) > 0);
  const httpRoutes = index.list('HTTPRoute');
  const destinationRules = index.list('DestinationRule');

  for (const svc of services) {
    const host = serviceHost(mesh, svc);
    const destinationRule = destinationRuleFor(destinationRules, host, svc.metadata.namespace ?? 'default', mesh);
    for (const port of tcpPorts(svc)) result.clusters.set(clusterName(port.port, host), cluster({ service: svc, port, host, destinationRule }));
  }

  const chains = new Map<string, ChainInput[]>();
  for (const gw of waypointGateways(index)) chains.set(listenerName(gw.metadata.namespace ?? 'default', gw.metadata.name), []);
  for (const svc of services) {
    const waypoint = boundWaypoint(index, mesh, svc);
    const list = waypoint !== undefined ? chains.get(waypoint) : undefined;
    const clusterIp = clusterIpOf(svc);
    if (!list || waypoint === undefined || clusterIp === undefined) continue;
    const [gwNamespace = '', gwName = ''] = waypoint.split('/');
    const host = serviceHost(mesh, svc);
    const applying = chainPolicies(policies, mesh.rootNamespace, { namespace: gwNamespace, name: gwName }, svc);
    for (const port of tcpPorts(svc)) {
      const tcp = isTcpPort(port);
      let authzFilters: ChainInput['authzFilters'] = [];
      if (!tcp) {
        const authz = waypointAuthzFilters({ policies: applying, extensionProviders, trustDomain: mesh.trustDomain });
        authzFilters = authz.filters;
        for (const w of authz.warnings) addWarning(result.warnings, w.policy.includes('/') ? `AuthorizationPolicy/${w.policy}` : w.policy, w.message);
        const routes = routeConfiguration({ service: svc, port, host, httpRoutes, services: (ns, name) => index.service(ns, name), domainSuffix: mesh.domainSuffix });
        result.routes.set(routeName(host, port.port), routes.config);
        for (const w of routes.warnings) addWarning(result.warnings, w.route.includes('/') ? `HTTPRoute/${w.route}` : w.route, w.message);
      }
      list.push({ host, port: port.port, clusterIp, tcp, authzFilters });
    }
  }
  for (const [name, list] of chains) {
    const [ns = '', gw = ''] = name.split('/');
    result.listeners.set(name, waypointListener(ns, gw, list));
  }
  return result;
}
