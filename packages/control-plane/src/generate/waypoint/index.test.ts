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
