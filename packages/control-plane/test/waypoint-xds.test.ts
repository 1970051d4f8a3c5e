// A waypoint's view of the control plane over the real Delta ADS server: subscribing by explicit
// names in Envoy's order (LDS `NS/GW`, then the RDS, CDS and EDS names the resources reference,
// ADR 0007) yields the model's resources, and an AuthorizationPolicy change re-sends the Listener;
// a waypoint for workload traffic also gets the chains of the pods bound to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { parseResources, type Resource } from '@ambit/api';
import { silentLogger } from '@ambit/core';
import { decodeMessage, encodeMessage, TYPE_URL, unpackAny, type envoy } from '@ambit/xds-types';
import { MeshModel } from '../src/model/model.ts';
import { DEFAULT_MESH } from '../src/model/mesh.ts';
import { modelResourceSource } from '../src/resource-source.ts';
import { eventually, startServer } from './xds-helpers.ts';
import { DeltaXdsClient, type TypeSubscription } from '@ambit/xds-client';


function parse(text: string): Resource[] {
  const { resources, problems } = parseResources([{ path: 'waypoint-xds.yaml', text }]);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return resources;
}

const CLUSTER = parse(`
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: shop }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.20, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }, { name: tcp-db, port: 5432, targetPort: 5432 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: shop, labels: { app: web } }
spec:
  serviceAccountName: web
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
status: { podIP: 10.244.1.5, conditions: [{ type: Ready, status: "True" }] }
`);

const DENY_DELETE = parse(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-delete, namespace: shop }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: DENY
  rules: [{ to: [{ operation: { methods: [DELETE] } }] }]
`);

const TYPE_NAME: Record<string, string> = {
  [TYPE_URL.listener]: 'envoy.config.listener.v3.Listener',
  [TYPE_URL.routeConfiguration]: 'envoy.config.route.v3.RouteConfiguration',
  [TYPE_URL.cluster]: 'envoy.config.cluster.v3.Cluster',
  [TYPE_URL.clusterLoadAssignment]: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
};

function subscription(typeUrl: string, names: string[]): TypeSubscription<unknown> {
  return { typeUrl, names, decode: (_name, body) => decodeMessage(TYPE_NAME[typeUrl] ?? '', body) };
}

function filtersOf(listener: envoy.Listener): string[] {
  return listener.filter_chains.flatMap((chain) =>
    chain.filters.flatMap((f) => {
      if (f.name !== 'envoy.filters.network.http_connection_manager') return [`${chain.name} ${f.name}`];
      const hcm = unpackAny<envoy.HttpConnectionManager>(f.typed_config as NonNullable<envoy.Filter['typed_config']>);
      return hcm.http_filters.map((h) => `${chain.name} ${h.name}`);
    }),
  );
}

test('a waypoint subscribes LDS NS/GW, then the RDS/CDS/EDS names it references, and follows a policy change', async () => {
  const model = new MeshModel(DEFAULT_MESH, encodeMessage, silentLogger);
  model.apply({ upserted: CLUSTER, deleted: [] });
  const server = await startServer({ source: modelResourceSource(model) });
  const client = new DeltaXdsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    node: { id: 'waypoint~10.244.1.9~waypoint-0.shop~shop.svc.cluster.local', metadata: { NAME: 'waypoint-0', NAMESPACE: 'shop', GATEWAY_NAME: 'waypoint' } },
    logger: silentLogger,
  });
  try {
    client.subscribe(subscription(TYPE_URL.listener, ['shop/waypoint']));
    client.start();
    const listener = await eventually(() => client.state<envoy.Listener>(TYPE_URL.listener).get('shop/waypoint'), 'the Listener');
    assert.deepEqual(listener.filter_chains.map((c) => c.name), ['web.shop.svc.cluster.local:80', 'web.shop.svc.cluster.local:5432']);
    assert.deepEqual(filtersOf(listener), ['web.shop.svc.cluster.local:80 envoy.filters.http.router', 'web.shop.svc.cluster.local:5432 envoy.filters.network.tcp_proxy']);

    // RDS: the route names the HTTP connection managers name.
    const routeNames = listener.filter_chains.flatMap((c) =>
      c.filters.filter((f) => f.name === 'envoy.filters.network.http_connection_manager').map((f) => unpackAny<envoy.HttpConnectionManager>(f.typed_config as NonNullable<envoy.Filter['typed_config']>).rds?.route_config_name ?? ''),
    );
    assert.deepEqual(routeNames, ['web.shop.svc.cluster.local:80']);
    client.subscribe(subscription(TYPE_URL.routeConfiguration, routeNames));
    const routes = await eventually(() => {
      const held = client.state<envoy.RouteConfiguration>(TYPE_URL.routeConfiguration);
      return held.size === routeNames.length ? held : undefined;
    }, 'the routes');
    const route = routes.get('web.shop.svc.cluster.local:80');
    assert.equal(route?.name, 'web.shop.svc.cluster.local:80');

    // CDS: every cluster the routes and the tcp_proxy name.
    const routeClusters = [...routes.values()].flatMap((r) => r.virtual_hosts.flatMap((vh) => vh.routes.flatMap((x) => [x.route?.cluster ?? '', ...(x.route?.weighted_clusters?.clusters.map((c) => c.name) ?? [])]))).filter((n) => n !== '');
    const tcpClusters = listener.filter_chains.flatMap((c) => c.filters.filter((f) => f.name === 'envoy.filters.network.tcp_proxy').map((f) => unpackAny<envoy.TcpProxy>(f.typed_config as NonNullable<envoy.Filter['typed_config']>).cluster ?? ''));
    const clusterNames = [...new Set([...routeClusters, ...tcpClusters])].sort();
    assert.deepEqual(clusterNames, ['outbound|5432||web.shop.svc.cluster.local', 'outbound|80||web.shop.svc.cluster.local']);
    client.subscribe(subscription(TYPE_URL.cluster, clusterNames));
    const clusters = await eventually(() => {
      const held = client.state<envoy.Cluster>(TYPE_URL.cluster);
      return held.size === clusterNames.length ? held : undefined;
    }, 'the clusters');

    // EDS: each cluster's eds_cluster_config.service_name.
    const edsNames = [...clusters.values()].map((c) => c.eds_cluster_config?.service_name ?? '').sort();
    assert.deepEqual(edsNames, clusterNames);
    client.subscribe(subscription(TYPE_URL.clusterLoadAssignment, edsNames));
    const endpoints = await eventually(() => {
      const held = client.state<envoy.ClusterLoadAssignment>(TYPE_URL.clusterLoadAssignment);
      return held.size === edsNames.length ? held : undefined;
    }, 'the endpoints');
    const web = endpoints.get('outbound|80||web.shop.svc.cluster.local')?.endpoints[0]?.lb_endpoints[0];
    assert.equal(web?.endpoint?.address?.socket_address?.address, '10.244.1.5');
    assert.equal(web?.endpoint?.address?.socket_address?.port_value, 8080);
    assert.equal(web?.health_status, 'HEALTHY');
    assert.equal(web?.metadata?.filter_metadata['ambit.hbone']?.fields['identity']?.stringValue, 'spiffe://cluster.local/ns/shop/sa/web');
    assert.equal(web?.metadata?.filter_metadata['ambit.hbone']?.fields['port']?.numberValue, 15008);

    // A Gateway-targeted DENY policy: the Listener is re-sent with an RBAC filter before the router.
    model.apply({ upserted: DENY_DELETE, deleted: [] });
    const updated = await eventually(() => {
      const l = client.state<envoy.Listener>(TYPE_URL.listener).get('shop/waypoint');
      return l && filtersOf(l).length === 3 ? l : undefined;
    }, 'the Listener with the DENY policy');
    assert.deepEqual(filtersOf(updated), [
      'web.shop.svc.cluster.local:80 envoy.filters.http.rbac',
      'web.shop.svc.cluster.local:80 envoy.filters.http.router',
      'web.shop.svc.cluster.local:5432 envoy.filters.network.tcp_proxy',
    ]);
  } finally {
    await client.close();
    await server.close();
  }
});

// A waypoint serving all traffic and a pod bound to it through its namespace: pod-addressed
// traffic (CONNECT authority `podIP:port`) needs its own chain and the names it references.
const WORKLOAD_CLUSTER = parse(`
apiVersion: v1
kind: Namespace
metadata: { name: apps, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: apps, labels: { istio.io/waypoint-for: all } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
---
apiVersion: v1
kind: Pod
metadata: { name: server-0, namespace: apps, labels: { app: server } }
spec:
  serviceAccountName: server
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
status: { podIP: 10.244.2.7, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: only-get, namespace: apps }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: ALLOW
  rules: [{ to: [{ operation: { methods: [GET] } }] }]
`);

test('a waypoint for all traffic gets a pod chain inbound-pod|8080||<podIP> and its route, cluster and endpoint arrive by name', async () => {
  const model = new MeshModel(DEFAULT_MESH, encodeMessage, silentLogger);
  model.apply({ upserted: WORKLOAD_CLUSTER, deleted: [] });
  const server = await startServer({ source: modelResourceSource(model) });
  const client = new DeltaXdsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    node: { id: 'waypoint~10.244.2.2~waypoint-0.apps~apps.svc.cluster.local', metadata: { NAME: 'waypoint-0', NAMESPACE: 'apps', GATEWAY_NAME: 'waypoint' } },
    logger: silentLogger,
  });
  const name = 'inbound-pod|8080||10.244.2.7';
  try {
    client.subscribe(subscription(TYPE_URL.listener, ['apps/waypoint']));
    client.start();
    const listener = await eventually(() => client.state<envoy.Listener>(TYPE_URL.listener).get('apps/waypoint'), 'the Listener');
    assert.deepEqual(listener.filter_chains.map((c) => c.name), [name]);
    const chain = listener.filter_chains[0];
    assert.equal(chain?.filter_chain_match?.destination_port?.value, 8080);
    assert.deepEqual(chain?.filter_chain_match?.prefix_ranges.map((r) => `${r.address_prefix}/${r.prefix_len?.value}`), ['10.244.2.7/32']);
    assert.deepEqual(filtersOf(listener), [`${name} envoy.filters.http.rbac`, `${name} envoy.filters.http.router`]);
    const hcm = unpackAny<envoy.HttpConnectionManager>(chain?.filters[0]?.typed_config as NonNullable<envoy.Filter['typed_config']>);
    assert.equal(hcm.rds?.route_config_name, name);

    client.subscribe(subscription(TYPE_URL.routeConfiguration, [name]));
    const route = await eventually(() => client.state<envoy.RouteConfiguration>(TYPE_URL.routeConfiguration).get(name), 'the pod route');
    const routes = route.virtual_hosts.flatMap((vh) => vh.routes);
    assert.deepEqual(routes.map((r) => [r.match?.prefix, r.route?.cluster]), [['/', name]]);

    client.subscribe(subscription(TYPE_URL.cluster, [name]));
    const cluster = await eventually(() => client.state<envoy.Cluster>(TYPE_URL.cluster).get(name), 'the pod cluster');
    assert.equal(cluster.type, 'EDS');
    assert.equal(cluster.eds_cluster_config?.service_name, name);

    client.subscribe(subscription(TYPE_URL.clusterLoadAssignment, [name]));
    const cla = await eventually(() => client.state<envoy.ClusterLoadAssignment>(TYPE_URL.clusterLoadAssignment).get(name), 'the pod endpoint');
    const ep = cla.endpoints[0]?.lb_endpoints[0];
    assert.equal(ep?.endpoint?.address?.socket_address?.address, '10.244.2.7');
    assert.equal(ep?.endpoint?.address?.socket_address?.port_value, 8080);
    assert.equal(ep?.health_status, 'HEALTHY');
    assert.equal(ep?.metadata?.filter_metadata['ambit.hbone']?.fields['identity']?.stringValue, 'spiffe://cluster.local/ns/apps/sa/server');

    // The pod moves to another IP: the Listener is re-sent with the new chain.
    const pod = WORKLOAD_CLUSTER.find((r) => r.kind === 'Pod');
    assert.ok(pod?.kind === 'Pod');
    model.apply({ upserted: [{ ...pod, status: { ...pod.status, podIP: '10.244.2.8' } }], deleted: [] });
    const moved = await eventually(() => {
      const l = client.state<envoy.Listener>(TYPE_URL.listener).get('apps/waypoint');
      return l?.filter_chains[0]?.name === 'inbound-pod|8080||10.244.2.8' ? l : undefined;
    }, 'the Listener with the moved pod');
    assert.deepEqual(moved.filter_chains.map((c) => c.name), ['inbound-pod|8080||10.244.2.8']);
  } finally {
    await client.close();
    await server.close();
  }
});
