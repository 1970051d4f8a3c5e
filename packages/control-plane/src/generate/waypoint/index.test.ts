// The waypoint resources as the model serves them, from YAML as users write it: which services a
// waypoint's Listener carries, which policies each chain enforces (targetRefs only), routes for
// bound HTTP ports, clusters and endpoints for every Service port, the mesh config's providers,
// and that a change announces only the resources whose bytes changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, resourceKey, type DestinationRule, type Resource } from '@ambit/api';
import { silentLogger } from '@ambit/core';
import { decodeMessage, encodeMessage, unpackAny, type envoy } from '@ambit/xds-types';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, MeshModel, ROUTE_TYPE, type ModelChange } from '../../model/model.ts';
import { DEFAULT_MESH } from '../../model/mesh.ts';
import { destinationRuleFor } from './index.ts';

function parse(text: string): Resource[] {
  const { resources, problems } = parseResources([{ path: 'waypoint.yaml', text }]);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return resources;
}

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: v1
kind: Namespace
metadata: { name: other }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: shop }
spec:
  gatewayClassName: istio-waypoint
  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]
---
apiVersion: v1
kind: Service
metadata: { name: waypoint, namespace: shop }
spec: { clusterIP: 10.96.0.5, selector: { gateway.networking.k8s.io/gateway-name: waypoint }, ports: [{ name: status-port, port: 15021, appProtocol: tcp }, { name: mesh, port: 15008, appProtocol: hbone }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.20, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }, { name: tcp-db, port: 5432 }] }
---
apiVersion: v1
kind: Service
metadata: { name: direct, namespace: shop, labels: { istio.io/use-waypoint: none } }
spec: { clusterIP: 10.96.0.21, selector: { app: direct }, ports: [{ name: http, port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: other }
spec: { clusterIP: 10.96.0.30, selector: { app: legacy }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: shop, labels: { app: web } }
spec:
  serviceAccountName: web
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
status: { podIP: 10.244.1.5, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: v1
kind: Pod
metadata: { name: legacy-0, namespace: other, labels: { app: legacy } }
spec: { containers: [{ name: c, image: x }] }
status: { podIP: 10.244.2.5, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: gw-deny, namespace: shop }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: DENY
  rules: [{ to: [{ operation: { methods: [DELETE] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: web-allow, namespace: shop }
spec:
  targetRefs: [{ kind: Service, group: "", name: web }]
  action: ALLOW
  rules: [{ from: [{ source: { namespaces: [shop] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: all-waypoints, namespace: istio-system }
spec:
  targetRefs: [{ kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint }]
  action: AUDIT
  rules: [{ to: [{ operation: { paths: [/admin] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: wrong-namespace, namespace: other }
spec:
  targetRefs: [{ kind: Service, group: "", name: web }]
  action: DENY
  rules: [{ to: [{ operation: { methods: [GET] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: selects-pods, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  action: DENY
  rules: [{ to: [{ operation: { ports: ["9999"] } }] }]
`;

function model(extra = ''): MeshModel {
  const m = new MeshModel(DEFAULT_MESH, encodeMessage, silentLogger);
  m.apply({ upserted: parse(CLUSTER + extra), deleted: [] });
  return m;
}

function decoded<T>(m: MeshModel, typeUrl: string, typeName: string, name: string): T {
  const r = m.resourcesOf(typeUrl).get(name);
  assert.ok(r, `no ${typeName} ${name}; have ${[...m.resourcesOf(typeUrl).keys()].join(', ')}`);
  return decodeMessage<T>(typeName, r.body);
}

const listener = (m: MeshModel): envoy.Listener => decoded(m, LISTENER_TYPE, 'envoy.config.listener.v3.Listener', 'shop/waypoint');
const hcmOf = (chain: envoy.FilterChain | undefined): envoy.HttpConnectionManager =>
  unpackAny<envoy.HttpConnectionManager>(chain?.filters[0]?.typed_config as NonNullable<envoy.Filter['typed_config']>);
const rbacActions = (hcm: envoy.HttpConnectionManager): string[] =>
  hcm.http_filters.filter((f) => f.name === 'envoy.filters.http.rbac').map((f) => String(unpackAny<envoy.RbacFilter>(f.typed_config as NonNullable<envoy.HttpFilter['typed_config']>).rules?.action));

test('waypoint listener: chains for the bound service ports only (not the waypoint itself, not use-waypoint: none, not unbound namespaces)', () => {
  const l = listener(model());
  assert.deepEqual(l.filter_chains.map((c) => c.name), ['web.shop.svc.cluster.local:80', 'web.shop.svc.cluster.local:5432']);
  assert.deepEqual(l.filter_chains.map((c) => c.filter_chain_match?.prefix_ranges[0]?.address_prefix), ['10.96.0.20', '10.96.0.20']);
  assert.equal(l.filter_chains[1]?.filters[0]?.name, 'envoy.filters.network.tcp_proxy');
});

test('waypoint listener: the HTTP chain enforces Gateway-, Service- and GatewayClass-targeted policies (AUDIT, DENY, ALLOW, router), not selector policies nor a Service ref from another namespace', () => {
  const hcm = hcmOf(listener(model()).filter_chains[0]);
  assert.deepEqual(hcm.http_filters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.rbac', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
  assert.deepEqual(rbacActions(hcm), ['LOG', 'DENY', 'ALLOW']);
  const policyNames = hcm.http_filters
    .filter((f) => f.name === 'envoy.filters.http.rbac')
    .flatMap((f) => Object.keys(unpackAny<envoy.RbacFilter>(f.typed_config as NonNullable<envoy.HttpFilter['typed_config']>).rules?.policies ?? {}));
  assert.deepEqual(policyNames.sort(), ['ns[istio-system]-policy[all-waypoints]-rule[0]', 'ns[shop]-policy[gw-deny]-rule[0]', 'ns[shop]-policy[web-allow]-rule[0]']);
});

test('waypoint resources: a route per bound HTTP port; a cluster and an assignment per Service port in the mesh', () => {
  const m = model();
  assert.deepEqual([...m.resourcesOf(ROUTE_TYPE).keys()], ['web.shop.svc.cluster.local:80']);
  const route = decoded<envoy.RouteConfiguration>(m, ROUTE_TYPE, 'envoy.config.route.v3.RouteConfiguration', 'web.shop.svc.cluster.local:80');
  assert.equal(route.name, 'web.shop.svc.cluster.local:80');
  const expected = [
    'outbound|15008||waypoint.shop.svc.cluster.local',
    'outbound|15021||waypoint.shop.svc.cluster.local',
    'outbound|5432||web.shop.svc.cluster.local',
    // Code-unit order: '0' sorts before '|'.
    'outbound|8080||legacy.other.svc.cluster.local',
    'outbound|80||direct.shop.svc.cluster.local',
    'outbound|80||web.shop.svc.cluster.local',
  ];
  assert.deepEqual([...m.resourcesOf(CLUSTER_TYPE).keys()].sort(), expected);
  assert.deepEqual([...m.resourcesOf(ENDPOINT_TYPE).keys()].sort(), expected);
  const c = decoded<envoy.Cluster>(m, CLUSTER_TYPE, 'envoy.config.cluster.v3.Cluster', 'outbound|80||web.shop.svc.cluster.local');
  assert.equal(c.eds_cluster_config?.service_name, 'outbound|80||web.shop.svc.cluster.local');
  const web = decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', 'outbound|80||web.shop.svc.cluster.local');
  const ep = web.endpoints[0]?.lb_endpoints[0];
  assert.equal(ep?.endpoint?.address?.socket_address?.port_value, 8080);
  assert.equal(ep?.metadata?.filter_metadata['ambit.hbone']?.fields['identity']?.stringValue, 'spiffe://cluster.local/ns/shop/sa/web');
  // The legacy namespace is not in the mesh: plain TCP, no HBONE metadata.
  const legacy = decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', 'outbound|8080||legacy.other.svc.cluster.local');
  assert.equal(legacy.endpoints[0]?.lb_endpoints[0]?.metadata, null);
});

function changed(changes: ModelChange[]): Record<string, string[]> {
  return Object.fromEntries(changes.map((c) => [c.typeUrl.split('.').pop() ?? c.typeUrl, [...c.names].sort()]));
}

test('waypoint changes: a policy edit re-announces the Listener only; a pod going unready only its endpoints', () => {
  const m = model();
  const deny = parse(CLUSTER).find((r) => r.metadata.name === 'gw-deny');
  assert.ok(deny?.kind === 'AuthorizationPolicy');
  const edited = { ...deny, spec: { ...deny.spec, rules: [{ to: [{ operation: { methods: ['PUT'] } }] }] } } as Resource;
  const byPolicy = changed(m.apply({ upserted: [edited], deleted: [] }));
  assert.deepEqual(byPolicy['Listener'], ['shop/waypoint']);
  assert.equal(byPolicy['RouteConfiguration'], undefined);
  assert.equal(byPolicy['Cluster'], undefined);
  assert.equal(byPolicy['ClusterLoadAssignment'], undefined);

  const pod = parse(CLUSTER).find((r) => r.metadata.name === 'web-0');
  assert.ok(pod?.kind === 'Pod');
  const unready = { ...pod, status: { ...pod.status, conditions: [{ type: 'Ready', status: 'False' }] } } as Resource;
  const byPod = changed(m.apply({ upserted: [unready], deleted: [] }));
  assert.deepEqual(byPod['ClusterLoadAssignment'], ['outbound|5432||web.shop.svc.cluster.local', 'outbound|80||web.shop.svc.cluster.local']);
  assert.equal(byPod['Listener'], undefined);
  const web = decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', 'outbound|80||web.shop.svc.cluster.local');
  assert.equal(web.endpoints[0]?.lb_endpoints[0]?.health_status, 'UNHEALTHY');

  // Deleting the Gateway removes its Listener.
  const byGateway = changed(m.apply({ upserted: [], deleted: ['Gateway/shop/waypoint'] }));
  assert.deepEqual(byGateway['Listener'], ['shop/waypoint']);
  assert.equal(m.resourcesOf(LISTENER_TYPE).size, 0);
});

const CUSTOM = `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext, namespace: shop }
spec:
  targetRefs: [{ kind: Service, group: "", name: web }]
  action: CUSTOM
  provider: { name: authz }
  rules: [{ to: [{ operation: { paths: [/private] } }] }]
`;
const MESH_CONFIG = `
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    trustDomain: example.org
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: { service: authz.other.svc.cluster.local, port: 9000 }
`;

test('mesh config ConfigMap: its extensionProviders turn a CUSTOM policy into ext_authz; without it the policy is reported and fails closed', () => {
  const m = model(CUSTOM);
  assert.match(m.policyWarnings().get('AuthorizationPolicy/shop/ext') ?? '', /^waypoint: CUSTOM provider "authz" is not in the mesh config's extensionProviders/);
  assert.ok(!hcmOf(listener(m).filter_chains[0]).http_filters.some((f) => f.name === 'envoy.filters.http.ext_authz'));

  const changes = changed(m.apply({ upserted: parse(MESH_CONFIG), deleted: [] }));
  assert.deepEqual(changes['Listener'], ['shop/waypoint']);
  const names = hcmOf(listener(m).filter_chains[0]).http_filters.map((f) => f.name);
  assert.deepEqual(names.slice(0, 2), ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz']);
  assert.equal(m.policyWarnings().get('AuthorizationPolicy/shop/ext'), undefined);
  // The trust domain stays the settings' one; the disagreement is reported.
  assert.deepEqual(m.meshConfigStatus().extensionProviders, ['authz']);
  assert.match(m.meshConfigStatus().problems.join('\n'), /trustDomain is "example.org" but the control plane runs with "cluster.local"/);

  m.apply({ upserted: [], deleted: [resourceKey(parse(MESH_CONFIG)[0] as Resource)] });
  assert.deepEqual(m.meshConfigStatus(), { extensionProviders: [], problems: [] });
  assert.ok(m.policyWarnings().has('AuthorizationPolicy/shop/ext'));
});

const RULES = parse(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: short, namespace: shop }
spec: { host: web }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: wildcard, namespace: shop }
spec: { host: "*.shop.svc.cluster.local" }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: mesh-wide, namespace: istio-system }
spec: { host: "*.svc.cluster.local" }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: elsewhere, namespace: other }
spec: { host: api.shop.svc.cluster.local }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: short-elsewhere, namespace: other }
spec: { host: web }
`).filter((r): r is DestinationRule => r.kind === 'DestinationRule');

const drCases: Array<{ host: string; namespace: string; rule: string | undefined }> = [
  // A short host resolves in the rule's own namespace: shop's `web` is web.shop, other's is web.other.
  { host: 'web.shop.svc.cluster.local', namespace: 'shop', rule: 'short' },
  { host: 'api.shop.svc.cluster.local', namespace: 'shop', rule: 'wildcard' },
  // A rule in an unrelated namespace does not apply; the root namespace's does.
  { host: 'web.other.svc.cluster.local', namespace: 'other', rule: 'short-elsewhere' },
  { host: 'db.data.svc.cluster.local', namespace: 'data', rule: 'mesh-wide' },
  { host: 'web.shop.svc.example.org', namespace: 'shop', rule: undefined },
];
for (const c of drCases) {
  test(`destinationRuleFor(${c.host}) = ${c.rule ?? 'none'}`, () => {
    assert.equal(destinationRuleFor(RULES, c.host, c.namespace, DEFAULT_MESH)?.metadata.name, c.rule);
  });
}

// Workload-addressed traffic: a Gateway serving `all` and the pods bound to it by the namespace
// label. Pod chains enforce the Gateway's and the GatewayClass's policies, never a Service's.
const WORKLOAD = `
apiVersion: v1
kind: Namespace
metadata: { name: apps, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: wp } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: wp, namespace: apps, labels: { istio.io/waypoint-for: all } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
---
apiVersion: v1
kind: Pod
metadata: { name: wp-0, namespace: apps, labels: { gateway.networking.k8s.io/gateway-name: wp, istio.io/dataplane-mode: none } }
spec: { serviceAccountName: wp, containers: [{ name: istio-proxy, image: x, ports: [{ name: mesh, containerPort: 15008 }] }] }
status: { podIP: 10.244.3.2, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: apps }
spec: { clusterIP: 10.96.3.10, selector: { app: server }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Pod
metadata: { name: server-0, namespace: apps, labels: { app: server } }
spec:
  serviceAccountName: server
  containers:
    - { name: c, image: x, ports: [{ name: http, containerPort: 8080 }, { name: tcp-db, containerPort: 5432 }, { name: dns, containerPort: 53, protocol: UDP }] }
    - { name: d, image: x, ports: [{ name: again, containerPort: 8080 }] }
status: { podIP: 10.244.3.5, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: v1
kind: Pod
metadata: { name: plain-0, namespace: apps, labels: { app: plain, istio.io/dataplane-mode: none } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 9000 }] }] }
status: { podIP: 10.244.3.6, conditions: [{ type: Ready, status: "False" }] }
---
apiVersion: v1
kind: Pod
metadata: { name: pending-0, namespace: apps, labels: { app: server } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: done-0, namespace: apps, labels: { app: job } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 8080 }] }] }
status: { phase: Succeeded, podIP: 10.244.3.7 }
---
apiVersion: v1
kind: Pod
metadata: { name: direct-0, namespace: apps, labels: { app: direct, istio.io/use-waypoint: none } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 8080 }] }] }
status: { podIP: 10.244.3.8, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: wp-deny, namespace: apps }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: wp }]
  action: DENY
  rules: [{ to: [{ operation: { methods: [DELETE] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: server-allow, namespace: apps }
spec:
  targetRefs: [{ kind: Service, group: "", name: server }]
  action: ALLOW
  rules: [{ from: [{ source: { namespaces: [apps] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: all-waypoints, namespace: istio-system }
spec:
  targetRefs: [{ kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint }]
  action: AUDIT
  rules: [{ to: [{ operation: { paths: [/admin] } }] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: everything, namespace: istio-system }
spec: { host: "*", trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST } } }
`;

function workloadModel(): MeshModel {
  const m = new MeshModel(DEFAULT_MESH, encodeMessage, silentLogger);
  m.apply({ upserted: parse(WORKLOAD), deleted: [] });
  return m;
}

const wpListener = (m: MeshModel): envoy.Listener => decoded(m, LISTENER_TYPE, 'envoy.config.listener.v3.Listener', 'apps/wp');
const POD_HTTP = 'inbound-pod|8080||10.244.3.5';
const POD_TCP = 'inbound-pod|5432||10.244.3.5';
const PLAIN = 'inbound-pod|9000||10.244.3.6';
const podNames = (m: MeshModel, typeUrl: string): string[] => [...m.resourcesOf(typeUrl).keys()].filter((n) => n.startsWith('inbound-pod|')).sort();

test('workload chains: one per pod IP and TCP containerPort of bound pods, matched on podIP/32; not the waypoint pod, use-waypoint: none, pods without IP or finished', () => {
  const l = wpListener(workloadModel());
  assert.deepEqual(l.filter_chains.map((c) => c.name).sort(), [POD_TCP, POD_HTTP, PLAIN, 'server.apps.svc.cluster.local:80'].sort());
  const chain = l.filter_chains.find((c) => c.name === POD_HTTP);
  assert.equal(chain?.filter_chain_match?.destination_port?.value, 8080);
  assert.deepEqual(chain?.filter_chain_match?.prefix_ranges.map((r) => [r.address_prefix, r.prefix_len?.value]), [['10.244.3.5', 32]]);
  assert.equal(hcmOf(chain).rds?.route_config_name, POD_HTTP);
  const tcp = l.filter_chains.find((c) => c.name === POD_TCP)?.filters[0];
  assert.equal(tcp?.name, 'envoy.filters.network.tcp_proxy');
  assert.equal(unpackAny<envoy.TcpProxy>(tcp?.typed_config as NonNullable<envoy.Filter['typed_config']>).cluster, POD_TCP);
});

test('workload chains enforce the Gateway and GatewayClass policies only; the Service chain also the Service-targeted ALLOW', () => {
  const l = wpListener(workloadModel());
  const pod = hcmOf(l.filter_chains.find((c) => c.name === POD_HTTP));
  assert.deepEqual(rbacActions(pod), ['LOG', 'DENY']);
  assert.equal(pod.http_filters.at(-1)?.name, 'envoy.filters.http.router');
  const svc = hcmOf(l.filter_chains.find((c) => c.name === 'server.apps.svc.cluster.local:80'));
  assert.deepEqual(rbacActions(svc), ['LOG', 'DENY', 'ALLOW']);
});

test('workload resources: a default route per HTTP pod port, an EDS cluster with no DestinationRule and a one-endpoint assignment per pod port', () => {
  const m = workloadModel();
  assert.deepEqual(podNames(m, ROUTE_TYPE), [POD_HTTP, PLAIN].sort());
  assert.deepEqual(podNames(m, CLUSTER_TYPE), [POD_TCP, POD_HTTP, PLAIN].sort());
  assert.deepEqual(podNames(m, ENDPOINT_TYPE), [POD_TCP, POD_HTTP, PLAIN].sort());

  const route = decoded<envoy.RouteConfiguration>(m, ROUTE_TYPE, 'envoy.config.route.v3.RouteConfiguration', POD_HTTP);
  assert.equal(route.name, POD_HTTP);
  assert.equal(route.virtual_hosts.length, 1);
  assert.deepEqual(route.virtual_hosts[0]?.domains, ['*']);
  const routes = route.virtual_hosts[0]?.routes ?? [];
  assert.equal(routes.length, 1);
  assert.equal(routes[0]?.match?.prefix, '/');
  assert.equal(routes[0]?.route?.cluster, POD_HTTP);
  // Istio's default: no route timeout, two retries of 503 and connection failures.
  assert.deepEqual(routes[0]?.route?.timeout, { seconds: '0', nanos: 0 });
  assert.equal(routes[0]?.route?.retry_policy?.retry_on, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  assert.equal(routes[0]?.route?.retry_policy?.num_retries?.value, 2);
  assert.deepEqual(routes[0]?.route?.retry_policy?.retriable_status_codes, [503]);

  const c = decoded<envoy.Cluster>(m, CLUSTER_TYPE, 'envoy.config.cluster.v3.Cluster', POD_HTTP);
  assert.equal(c.name, POD_HTTP);
  assert.equal(c.type, 'EDS');
  assert.equal(c.eds_cluster_config?.service_name, POD_HTTP);
  assert.equal(c.eds_cluster_config?.eds_config?.config_source_specifier, 'ads');
  assert.deepEqual(c.connect_timeout, { seconds: '10', nanos: 0 });
  // The mesh-wide DestinationRule (host "*") reaches the Service's cluster, not the pod's.
  assert.equal(c.lb_policy, 'ROUND_ROBIN');
  assert.equal(decoded<envoy.Cluster>(m, CLUSTER_TYPE, 'envoy.config.cluster.v3.Cluster', 'outbound|80||server.apps.svc.cluster.local').lb_policy, 'LEAST_REQUEST');
  assert.equal(c.outlier_detection, null);
  assert.equal(c.circuit_breakers?.thresholds[0]?.max_connections?.value, 4294967295);
  assert.equal(c.circuit_breakers?.thresholds[0]?.retry_budget, null);

  const cla = decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', POD_HTTP);
  assert.equal(cla.cluster_name, POD_HTTP);
  const eps = cla.endpoints.flatMap((e) => e.lb_endpoints);
  assert.deepEqual(eps.map((e) => [e.endpoint?.address?.socket_address?.address, e.endpoint?.address?.socket_address?.port_value, e.health_status]), [['10.244.3.5', 8080, 'HEALTHY']]);
  assert.equal(eps[0]?.metadata?.filter_metadata['ambit.hbone']?.fields['identity']?.stringValue, 'spiffe://cluster.local/ns/apps/sa/server');
  // Opted out of ambient: bound all the same (the binding is the label's), reached by plain TCP.
  const plain = decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', PLAIN).endpoints[0]?.lb_endpoints[0];
  assert.equal(plain?.health_status, 'UNHEALTHY');
  assert.equal(plain?.metadata, null);
});

test('workload chains follow the Gateway: waypoint-for service drops them, workload keeps them and drops the Service chain', () => {
  const gateway = parse(WORKLOAD).find((r) => r.kind === 'Gateway');
  assert.ok(gateway?.kind === 'Gateway');
  const serving = (value: string): Resource => ({ ...gateway, metadata: { ...gateway.metadata, labels: { 'istio.io/waypoint-for': value } } }) as Resource;
  const m = workloadModel();
  m.apply({ upserted: [serving('service')], deleted: [] });
  assert.deepEqual(wpListener(m).filter_chains.map((c) => c.name), ['server.apps.svc.cluster.local:80']);
  assert.deepEqual(podNames(m, CLUSTER_TYPE), []);
  assert.deepEqual(podNames(m, ENDPOINT_TYPE), []);
  m.apply({ upserted: [serving('workload')], deleted: [] });
  assert.deepEqual(wpListener(m).filter_chains.map((c) => c.name).sort(), [POD_TCP, POD_HTTP, PLAIN].sort());
});

test('workload changes: readiness re-announces only the pod\'s assignments; a new pod IP or use-waypoint: none re-announces the Listener, routes and clusters', () => {
  const m = workloadModel();
  const server = parse(WORKLOAD).find((r) => r.metadata.name === 'server-0');
  assert.ok(server?.kind === 'Pod');
  const unready = changed(m.apply({ upserted: [{ ...server, status: { ...server.status, conditions: [{ type: 'Ready', status: 'False' }] } } as Resource], deleted: [] }));
  // (The ztunnels' Address changes too: the workload's status.)
  assert.deepEqual(unready['ClusterLoadAssignment'], [POD_TCP, POD_HTTP, 'outbound|80||server.apps.svc.cluster.local'].sort());
  assert.deepEqual([unready['Listener'], unready['RouteConfiguration'], unready['Cluster']], [undefined, undefined, undefined]);
  assert.equal(decoded<envoy.ClusterLoadAssignment>(m, ENDPOINT_TYPE, 'envoy.config.endpoint.v3.ClusterLoadAssignment', POD_HTTP).endpoints[0]?.lb_endpoints[0]?.health_status, 'UNHEALTHY');

  const moved = changed(m.apply({ upserted: [{ ...server, status: { ...server.status, podIP: '10.244.3.9' } } as Resource], deleted: [] }));
  const movedNames = ['inbound-pod|5432||10.244.3.9', 'inbound-pod|8080||10.244.3.9'];
  assert.deepEqual(moved['Listener'], ['apps/wp']);
  assert.deepEqual(moved['RouteConfiguration'], [POD_HTTP, 'inbound-pod|8080||10.244.3.9'].sort());
  assert.deepEqual(moved['Cluster'], [POD_TCP, POD_HTTP, ...movedNames].sort());
  assert.deepEqual(podNames(m, CLUSTER_TYPE), [PLAIN, ...movedNames].sort());

  const optedOut = { ...server, metadata: { ...server.metadata, labels: { app: 'server', 'istio.io/use-waypoint': 'none' } }, status: { ...server.status, podIP: '10.244.3.9' } } as Resource;
  const byLabel = changed(m.apply({ upserted: [optedOut], deleted: [] }));
  assert.deepEqual(byLabel['Listener'], ['apps/wp']);
  assert.deepEqual(podNames(m, ROUTE_TYPE), [PLAIN]);
  assert.deepEqual(podNames(m, ENDPOINT_TYPE), [PLAIN]);
});
