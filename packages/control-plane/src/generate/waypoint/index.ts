// Everything the control plane serves waypoints (ADR 0007), built from the whole config index:
// per waypoint Gateway a Listener, per Service port bound to a waypoint a RouteConfiguration, and
// per Service port in the mesh a Cluster and a ClusterLoadAssignment. Clusters and assignments
// exist for every Service port (not only those some route or ext_authz provider names): at lab
// scale that costs little and a route added later never waits on a missing cluster.
// Pods bound to a waypoint for workload traffic (`istio.io/waypoint-for: workload|all`) get, per
// pod IP and declared TCP port, a chain, route, cluster and assignment `inbound-pod|<port>||<ip>`:
// the ztunnel sends pod-addressed traffic there with the CONNECT authority `podIP:port`.
import type { AuthorizationPolicy, DestinationRule, ExtensionProvider, Gateway, Pod, Service, ServicePort } from '@ambit/api';
import type { Init, envoy } from '@ambit/xds-types';
import type { ConfigIndex } from '../../model/index-state.ts';
import type { MeshSettings } from '../../model/mesh.ts';
import { waypointFor } from '../../model/waypoints.ts';
import { isEnrolled, podIps } from '../../model/workloads.ts';
import { waypointAuthzFilters } from './authz.ts';
import { cluster, clusterName } from './clusters.ts';
import { clusterLoadAssignment, podLoadAssignment, type EndpointPod } from './endpoints.ts';
import { isTcpPort, listenerName, podChain, podPortName, routeName, serviceChain, waypointListener, type ChainInput } from './listener.ts';
import { defaultRoute, routeConfiguration } from './routes.ts';

export const WAYPOINT_CLASS = 'istio-waypoint';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** The label the waypoint's Deployment puts on its pods (ADR 0007, as istiod's). */
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

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
  return waypointListenerOf(waypointFor(index, mesh, ns, svc.metadata.labels, 'service'));
}

/** The Listener name of the waypoint a binding names by its Service host `GW.NS.svc.<suffix>`. */
function waypointListenerOf(address: ReturnType<typeof waypointFor>): string | undefined {
  if (!address?.hostname) return undefined;
  const gwName = address.hostname.hostname.split('.')[0] ?? '';
  return listenerName(address.hostname.namespace, gwName);
}

/** A waypoint's own pods (labelled with the name of a waypoint Gateway of their namespace) are never bound to a waypoint. */
function isWaypointPod(index: ConfigIndex, pod: Pod): boolean {
  const gwName = pod.metadata.labels[GATEWAY_NAME_LABEL];
  if (gwName === undefined) return false;
  const gw = index.get(`Gateway/${pod.metadata.namespace ?? 'default'}/${gwName}`);
  return gw?.kind === 'Gateway' && gw.spec.gatewayClassName === WAYPOINT_CLASS;
}

/** One pod port a waypoint serves for pod-addressed traffic. */
export interface WorkloadPortBinding {
  /** The waypoint's Listener name `NS/GW`. */
  waypoint: string;
  /** `inbound-pod|<port>||<ip>`: the chain, route, cluster and assignment name. */
  name: string;
  ip: string;
  port: number;
  /** Declared TCP (containerPort name `tcp`/`tcp-*`): tcp_proxy instead of HTTP. */
  tcp: boolean;
}

/**
 * The pod ports a waypoint serves for workload-addressed traffic: when the pod is bound for
 * `workload` traffic (reference 1.3 step 5, the same binding the ztunnels get), every pod IP times
 * every TCP containerPort it declares (the first declaration of a number wins). Pods without an
 * address, finished pods (their IP may already be another pod's) and the waypoints' own pods get none.
 */
export function workloadPortBindings(index: ConfigIndex, mesh: MeshSettings, pod: Pod): WorkloadPortBinding[] {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || isWaypointPod(index, pod)) return [];
  const waypoint = waypointListenerOf(waypointFor(index, mesh, pod.metadata.namespace ?? 'default', pod.metadata.labels, 'workload'));
  if (waypoint === undefined) return [];
  const ports = new Map<number, boolean>();
  for (const container of pod.spec.containers) {
    for (const p of container.ports) if (p.protocol === 'TCP' && !ports.has(p.containerPort)) ports.set(p.containerPort, isTcpPort(p));
  }
  return podIps(pod).flatMap((ip) => [...ports].map(([port, tcp]) => ({ waypoint, name: podPortName(ip, port), ip, port, tcp })));
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
  return policies.filter(
    (p) => targetsWaypoint(p, rootNamespace, gateway) || ((p.metadata.namespace ?? 'default') === svcNs && targets(p, 'Service', ['', 'core'], svc.metadata.name)),
  );
}

/**
 * The policies a pod-addressed chain enforces: only those targeting the waypoint itself (its
 * Gateway, or the GatewayClass from the root namespace). Service-targeted policies apply to
 * traffic addressed to the Service, and pod-addressed traffic is not (Istio).
 */
export function gatewayPolicies(policies: readonly AuthorizationPolicy[], rootNamespace: string, gateway: { namespace: string; name: string }): AuthorizationPolicy[] {
  return policies.filter((p) => targetsWaypoint(p, rootNamespace, gateway));
}

function targetsWaypoint(p: AuthorizationPolicy, rootNamespace: string, gateway: { namespace: string; name: string }): boolean {
  const ns = p.metadata.namespace ?? 'default';
  return (ns === gateway.namespace && targets(p, 'Gateway', [GATEWAY_GROUP], gateway.name)) || (ns === rootNamespace && targets(p, 'GatewayClass', [GATEWAY_GROUP], WAYPOINT_CLASS));
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

function endpointPod(index: ConfigIndex, mesh: MeshSettings, pod: Pod, ip: string): EndpointPod {
  const ns = pod.metadata.namespace ?? 'default';
  const sa = pod.spec.serviceAccountName || 'default';
  return { pod, ip, ready: isReady(pod), hboneIdentity: isEnrolled(index, pod) ? `spiffe://${mesh.trustDomain}/ns/${ns}/sa/${sa}` : undefined };
}

function endpointPods(index: ConfigIndex, mesh: MeshSettings): Map<string, EndpointPod[]> {
  const byNamespace = new Map<string, EndpointPod[]>();
  for (const pod of index.list('Pod')) {
    const ip = podIps(pod)[0];
    if (ip === undefined) continue;
    const ns = pod.metadata.namespace ?? 'default';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), endpointPod(index, mesh, pod, ip)]);
  }
  return byNamespace;
}

/** Every pod port bound for workload traffic, with its pod; one per name (the first pod wins). */
function workloadPorts(index: ConfigIndex, mesh: MeshSettings): Map<string, { binding: WorkloadPortBinding; pod: Pod }> {
  const out = new Map<string, { binding: WorkloadPortBinding; pod: Pod }>();
  for (const pod of index.list('Pod')) {
    for (const binding of workloadPortBindings(index, mesh, pod)) if (!out.has(binding.name)) out.set(binding.name, { binding, pod });
  }
  return out;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Every Service port's ClusterLoadAssignment and every bound pod port's; what a pod change alone
 * can alter when it leaves the pod's workload port bindings as they were (readiness, enrolment).
 */
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
  for (const [name, { binding, pod }] of workloadPorts(index, mesh)) out.set(name, podLoadAssignment(name, binding.ip, binding.port, endpointPod(index, mesh, pod, binding.ip)));
  return out;
}

/**
 * The Cluster of a pod port: cluster()'s Istio defaults (connect timeout, ROUND_ROBIN, unlimited
 * circuit breakers) under the pod port's name. No DestinationRule applies: rules name hosts, and
 * pod-addressed traffic has none.
 */
/** No DestinationRule applies to pod-addressed traffic: the cluster has the defaults. */
function podCluster(binding: WorkloadPortBinding): Init<envoy.Cluster> {
  return cluster({ name: binding.name, trafficPolicy: undefined });
}

/** The RouteConfiguration of a pod port: no HTTPRoute attaches to a pod, so only istiod's default route. */
function podRouteConfiguration(name: string): Init<envoy.RouteConfiguration> {
  return { name, virtual_hosts: [{ name, domains: ['*'], routes: [defaultRoute(name)] }] };
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
    for (const port of tcpPorts(svc)) result.clusters.set(clusterName(port.port, host), cluster({ name: clusterName(port.port, host), trafficPolicy: destinationRule?.spec.trafficPolicy }));
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
      list.push(serviceChain({ host, port: port.port, clusterIp, tcp, authzFilters }));
    }
  }
  // Pod-addressed traffic: the Gateway's (and GatewayClass's) policies only.
  const gatewayFilters = new Map<string, ChainInput['authzFilters']>();
  const filtersOf = (waypoint: string): ChainInput['authzFilters'] => {
    const known = gatewayFilters.get(waypoint);
    if (known) return known;
    const [namespace = '', name = ''] = waypoint.split('/');
    const authz = waypointAuthzFilters({ policies: gatewayPolicies(policies, mesh.rootNamespace, { namespace, name }), extensionProviders, trustDomain: mesh.trustDomain });
    for (const w of authz.warnings) addWarning(result.warnings, w.policy.includes('/') ? `AuthorizationPolicy/${w.policy}` : w.policy, w.message);
    gatewayFilters.set(waypoint, authz.filters);
    return authz.filters;
  };
  for (const { binding } of workloadPorts(index, mesh).values()) {
    const list = chains.get(binding.waypoint);
    if (!list) continue;
    let authzFilters: ChainInput['authzFilters'] = [];
    if (!binding.tcp) {
      authzFilters = filtersOf(binding.waypoint);
      result.routes.set(binding.name, podRouteConfiguration(binding.name));
    }
    result.clusters.set(binding.name, podCluster(binding));
    list.push(podChain({ ip: binding.ip, port: binding.port, tcp: binding.tcp, authzFilters }));
  }
  for (const [name, list] of chains) {
    const [ns = '', gw = ''] = name.split('/');
    result.listeners.set(name, waypointListener(ns, gw, list));
  }
  return result;
}
