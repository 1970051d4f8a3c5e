// The mesh model with the real protobuf encoder: what ztunnels receive for pods, Services and
// policies, and that a change announces only the resources whose bytes changed (O(change)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, resourceKey } from '@ambit/api';
import { silentLogger } from '@ambit/core';
import { decodeMessage, encodeMessage, type workload, type security, type policy } from '@ambit/xds-types';
import { ADDRESS_TYPE, AUTHORIZATION_TYPE, CALICO_POLICY_TYPE, CALICO_TIER_TYPE, NETWORK_POLICY_TYPE, POLICY_WORKLOAD_TYPE, MeshModel } from '../src/model/model.ts';
import { DEFAULT_MESH } from '../src/model/mesh.ts';
import { identitiesOnNode } from '../src/model/identities.ts';

function resources(text: string) {
  const { resources, problems } = parseResources([{ path: 'test.yaml', text }]);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return resources;
}

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: { name: prod, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Namespace
metadata: { name: legacy }
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: prod, labels: { app: web } }
spec:
  nodeName: node-1
  serviceAccountName: web
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
status:
  podIP: 10.244.1.5
  conditions: [{ type: Ready, status: "True" }]
---
apiVersion: v1
kind: Pod
metadata: { name: db-0, namespace: prod, labels: { app: db, istio.io/dataplane-mode: none } }
spec:
  nodeName: node-2
  containers: [{ name: c, image: x }]
status:
  podIP: 10.244.2.7
---
apiVersion: v1
kind: Pod
metadata: { name: old-0, namespace: legacy, labels: { app: old } }
spec:
  nodeName: node-2
  containers: [{ name: c, image: x }]
status:
  podIP: 10.244.2.8
  conditions: [{ type: Ready, status: "True" }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: prod }
spec:
  clusterIP: 10.96.0.20
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

function model() {
  const m = new MeshModel(DEFAULT_MESH, encodeMessage, silentLogger);
  m.apply({ upserted: resources(CLUSTER), deleted: [] });
  return m;
}

function address(m: MeshModel, name: string): workload.Address {
  const r = m.resourcesOf(ADDRESS_TYPE).get(name);
  assert.ok(r, `no address ${name}`);
  return decodeMessage<workload.Address>('istio.workload.Address', r.body);
}

test('an enrolled pod is an HBONE workload with identity, node, services and health', () => {
  const w = address(model(), 'Kubernetes//Pod/prod/web-0').workload;
  assert.ok(w);
  assert.equal(w.name, 'web-0');
  assert.equal(w.namespace, 'prod');
  assert.deepEqual([...w.addresses[0]!], [10, 244, 1, 5]);
  assert.equal(w.tunnel_protocol, 'HBONE');
  assert.equal(w.service_account, 'web');
  assert.equal(w.trust_domain, '', 'the default trust domain is elided');
  assert.equal(w.node, 'node-1');
  assert.equal(w.status, 'HEALTHY');
  assert.deepEqual(w.services['prod/web.prod.svc.cluster.local']?.ports.map((p) => [p.service_port, p.target_port]), [[80, 8080]], 'named target port resolved');
});

test('opted-out and unenrolled pods are sent without HBONE; not-ready pods are unhealthy', () => {
  const m = model();
  const db = address(m, 'Kubernetes//Pod/prod/db-0').workload;
  assert.equal(db?.tunnel_protocol, 'NONE', 'istio.io/dataplane-mode=none on the pod wins over the namespace');
  assert.equal(db?.service_account, '', 'default service account elided');
  assert.equal(db?.status, 'UNHEALTHY');
  assert.equal(address(m, 'Kubernetes//Pod/legacy/old-0').workload?.tunnel_protocol, 'NONE');
});

test('a Service carries hostname, VIP and ports, keyed namespace/hostname with an IP alias', () => {
  const m = model();
  const s = address(m, 'prod/web.prod.svc.cluster.local').service;
  assert.equal(s?.hostname, 'web.prod.svc.cluster.local');
  assert.deepEqual([...s!.addresses[0]!.address], [10, 96, 0, 20]);
  assert.deepEqual(s?.ports.map((p) => [p.service_port, p.target_port]), [[80, 0]], 'a named target port is resolved per workload, not here');
  assert.deepEqual(m.resourcesOf(ADDRESS_TYPE).get('prod/web.prod.svc.cluster.local')?.aliases, ['/10.96.0.20']);
});

test('a label change on one pod announces only that workload', () => {
  const m = model();
  const pod = resources(CLUSTER).find((r) => resourceKey(r) === 'Pod/legacy/old-0');
  assert.ok(pod && pod.kind === 'Pod');
  const changes = m.apply({ upserted: [{ ...pod, metadata: { ...pod.metadata, labels: { app: 'old', version: 'v2' } } }], deleted: [] });
  assert.deepEqual(changes.map((c) => [c.typeUrl, [...c.names]]), [
    [ADDRESS_TYPE, ['Kubernetes//Pod/legacy/old-0']],
    [POLICY_WORKLOAD_TYPE, ['legacy/old-0']],
  ]);
  assert.deepEqual(m.apply({ upserted: [pod], deleted: [] }).length, 2);
  assert.deepEqual(m.apply({ upserted: [pod], deleted: [] }), [], 're-applying the same state changes nothing');
});

test('enrolling a namespace re-announces its workloads; deleting a pod removes it', () => {
  const m = model();
  const changes = m.apply({ upserted: resources('apiVersion: v1\nkind: Namespace\nmetadata: { name: legacy, labels: { istio.io/dataplane-mode: ambient } }\n'), deleted: [] });
  assert.deepEqual([...(changes[0]?.names ?? [])], ['Kubernetes//Pod/legacy/old-0']);
  assert.equal(address(m, 'Kubernetes//Pod/legacy/old-0').workload?.tunnel_protocol, 'HBONE');
  const removed = m.apply({ upserted: [], deleted: ['Pod/legacy/old-0'] });
  assert.deepEqual([...(removed[0]?.names ?? [])], ['Kubernetes//Pod/legacy/old-0']);
  assert.equal(m.resourcesOf(ADDRESS_TYPE).has('Kubernetes//Pod/legacy/old-0'), false);
});

test('policies: namespace and selector scope, listed on the workloads they select, static strict', () => {
  const m = model();
  const changes = m.apply({
    upserted: resources(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend, namespace: prod }
spec:
  selector: { matchLabels: { app: web } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/prod/sa/frontend"] } }], to: [{ operation: { ports: ["8080"] } }] }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
`),
    deleted: [],
  });
  const authz = m.resourcesOf(AUTHORIZATION_TYPE);
  assert.deepEqual([...authz.keys()].sort(), ['istio-system/istio_converted_static_strict', 'prod/allow-frontend']);
  const policy = decodeMessage<security.Authorization>('istio.security.Authorization', authz.get('prod/allow-frontend')!.body);
  assert.equal(policy.scope, 'WORKLOAD_SELECTOR');
  assert.equal(policy.action, 'ALLOW');
  assert.deepEqual(address(m, 'Kubernetes//Pod/prod/web-0').workload?.authorization_policies, ['istio-system/istio_converted_static_strict', 'prod/allow-frontend']);
  assert.deepEqual(address(m, 'Kubernetes//Pod/prod/db-0').workload?.authorization_policies, ['istio-system/istio_converted_static_strict']);
  assert.ok(changes.some((c) => c.typeUrl === AUTHORIZATION_TYPE));
});

test('identities on a node are those of the pods scheduled there', () => {
  const m = model();
  assert.deepEqual([...identitiesOnNode(m.index, DEFAULT_MESH, 'node-2')].sort(), ['spiffe://cluster.local/ns/legacy/sa/default', 'spiffe://cluster.local/ns/prod/sa/default']);
  assert.deepEqual([...identitiesOnNode(m.index, DEFAULT_MESH, 'node-1')], ['spiffe://cluster.local/ns/prod/sa/web']);
});

test('CNI agents get every pod with labels, namespace labels, named ports and enrollment', () => {
  const m = model();
  const web = decodeMessage<policy.PolicyWorkload>('ambit.policy.v1.PolicyWorkload', m.resourcesOf(POLICY_WORKLOAD_TYPE).get('prod/web-0')!.body);
  assert.equal(web.node, 'node-1');
  assert.deepEqual([...web.addresses[0]!], [10, 244, 1, 5]);
  assert.deepEqual(web.labels, { app: 'web' });
  assert.equal(web.namespace_labels['istio.io/dataplane-mode'], 'ambient');
  assert.equal(web.namespace_labels['kubernetes.io/metadata.name'], 'prod');
  assert.deepEqual(web.named_ports.map((p) => [p.name, p.port, p.protocol]), [['http', 8080, 'TCP']]);
  assert.equal(web.enrolled, true);
  assert.equal(web.service_account, 'web');
  const db = decodeMessage<policy.PolicyWorkload>('ambit.policy.v1.PolicyWorkload', m.resourcesOf(POLICY_WORKLOAD_TYPE).get('prod/db-0')!.body);
  assert.equal(db.enrolled, false, 'opted out');
});

test('NetworkPolicy and Calico policies are served with the API defaults applied', () => {
  const m = model();
  const changes = m.apply({
    upserted: resources(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: prod }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
    - from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: client } } }]
      ports: [{ port: http }, { port: 9000, endPort: 9100 }]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: deny-all }
spec:
  order: 1000
  selector: all()
  egress: [{ action: Deny }]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: web, namespace: prod }
spec:
  selector: app == 'web'
  ingress: [{ action: Allow, protocol: TCP, destination: { ports: [80, "8000:8080", http] } }]
`),
    deleted: [],
  });
  assert.deepEqual(changes.map((c) => c.typeUrl).sort(), [CALICO_POLICY_TYPE, NETWORK_POLICY_TYPE].sort());
  const np = decodeMessage<policy.NetworkPolicy>('ambit.policy.v1.NetworkPolicy', m.resourcesOf(NETWORK_POLICY_TYPE).get('prod/web')!.body);
  assert.deepEqual(np.policy_types, ['Ingress'], 'Ingress only: no egress rules were written');
  const peer = np.ingress[0]!.from[0]!;
  assert.deepEqual(peer.namespace_selector, { match_labels: {}, match_expressions: [] }, 'an empty selector is present, not absent');
  assert.equal(peer.ip_block, null);
  assert.deepEqual(np.ingress[0]!.ports.map((p) => [p.protocol, p.port, p.name ?? p.number, p.end_port ?? null]), [
    ['TCP', 'name', 'http', null],
    ['TCP', 'number', 9000, 9100],
  ]);
  const global = decodeMessage<policy.CalicoPolicy>('ambit.policy.v1.CalicoPolicy', m.resourcesOf(CALICO_POLICY_TYPE).get('deny-all')!.body);
  assert.deepEqual(global.types, ['Egress'], 'Calico: egress rules only means Egress');
  assert.equal(global.order, 1000);
  assert.equal(global.namespace, '');
  const ns = decodeMessage<policy.CalicoPolicy>('ambit.policy.v1.CalicoPolicy', m.resourcesOf(CALICO_POLICY_TYPE).get('prod/web')!.body);
  assert.deepEqual(ns.ingress[0]!.destination!.ports.map((p) => p.port), ['number', 'range', 'name']);
  assert.equal(ns.ingress[0]!.action, 'ALLOW');
  const removed = m.apply({ upserted: [], deleted: ['NetworkPolicy/prod/web', 'GlobalNetworkPolicy/deny-all'] });
  assert.deepEqual(removed.map((c) => [c.typeUrl, [...c.names]]).sort(), [
    [CALICO_POLICY_TYPE, ['deny-all']],
    [NETWORK_POLICY_TYPE, ['prod/web']],
  ].sort());
});

test('policy view: Calico Tiers are served by name (order optional, defaultAction defaulted to Deny), updated and removed', () => {
  const m = model();
  const changes = m.apply({
    upserted: resources(`
apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: security }
spec: { order: 100, defaultAction: Pass }
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: platform }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: security.screen }
spec:
  tier: security
  ingress: [{ action: Pass }]
`),
    deleted: [],
  });
  assert.deepEqual(changes.map((c) => [c.typeUrl, [...c.names].sort()]).sort(), [
    [CALICO_POLICY_TYPE, ['security.screen']],
    [CALICO_TIER_TYPE, ['platform', 'security']],
  ].sort());
  const security = decodeMessage<policy.CalicoTier>('ambit.policy.v1.CalicoTier', m.resourcesOf(CALICO_TIER_TYPE).get('security')!.body);
  assert.deepEqual({ name: security.name, order: security.order, action: security.default_action }, { name: 'security', order: 100, action: 'Pass' });
  const platform = decodeMessage<policy.CalicoTier>('ambit.policy.v1.CalicoTier', m.resourcesOf(CALICO_TIER_TYPE).get('platform')!.body);
  assert.deepEqual({ order: platform.order, action: platform.default_action }, { order: undefined, action: 'Deny' });
  const screen = decodeMessage<policy.CalicoPolicy>('ambit.policy.v1.CalicoPolicy', m.resourcesOf(CALICO_POLICY_TYPE).get('security.screen')!.body);
  assert.equal(screen.tier, 'security');
  const updated = m.apply({ upserted: resources('apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: security }\nspec: { order: 200 }\n'), deleted: [] });
  assert.deepEqual(updated.map((c) => [c.typeUrl, [...c.names]]), [[CALICO_TIER_TYPE, ['security']]]);
  assert.equal(decodeMessage<policy.CalicoTier>('ambit.policy.v1.CalicoTier', m.resourcesOf(CALICO_TIER_TYPE).get('security')!.body).default_action, 'Deny');
  const removed = m.apply({ upserted: [], deleted: ['Tier/platform'] });
  assert.deepEqual(removed.map((c) => [c.typeUrl, [...c.names]]), [[CALICO_TIER_TYPE, ['platform']]]);
  assert.equal(m.resourcesOf(CALICO_TIER_TYPE).has('platform'), false);
});

test('waypoints: the narrower use-waypoint label wins, none opts out, the Gateway must serve the traffic type', () => {
  const m = model();
  m.apply({
    upserted: resources(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: prod, labels: { istio.io/waypoint-for: service } }
spec:
  gatewayClassName: istio-waypoint
  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]
---
apiVersion: v1
kind: Namespace
metadata: { name: prod, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
`),
    deleted: [],
  });
  const svc = address(m, 'prod/web.prod.svc.cluster.local').service;
  assert.deepEqual(svc?.waypoint?.hostname, { namespace: 'prod', hostname: 'waypoint.prod.svc.cluster.local' });
  assert.equal(svc?.waypoint?.hbone_mtls_port, 15008);
  assert.equal(address(m, 'Kubernetes//Pod/prod/web-0').workload?.waypoint, null, 'a service waypoint does not capture pod-addressed traffic');
  const web = resources(CLUSTER).find((r) => resourceKey(r) === 'Service/prod/web');
  assert.ok(web && web.kind === 'Service');
  m.apply({ upserted: [{ ...web, metadata: { ...web.metadata, labels: { 'istio.io/use-waypoint': 'none' } } }], deleted: [] });
  assert.equal(address(m, 'prod/web.prod.svc.cluster.local').service?.waypoint, null, 'none on the Service opts out');
  m.apply({ upserted: [{ ...web, metadata: { ...web.metadata, labels: { 'istio.io/use-waypoint': 'missing' } } }], deleted: [] });
  assert.equal(address(m, 'prod/web.prod.svc.cluster.local').service?.waypoint, null, 'a missing Gateway binds nothing');
});

test('a scheduled pod without an address is already in the policy view (for CNI ADD), not yet a workload', () => {
  const m = model();
  m.apply({
    upserted: resources(`apiVersion: v1
kind: Pod
metadata: { name: new-0, namespace: prod, uid: uid-new, labels: { app: web } }
spec: { nodeName: node-2, containers: [{ name: c, image: x }] }
status: { phase: Pending }
`),
    deleted: [],
  });
  const view = decodeMessage<policy.PolicyWorkload>('ambit.policy.v1.PolicyWorkload', m.resourcesOf(POLICY_WORKLOAD_TYPE).get('uid-new')!.body);
  assert.deepEqual([view.node, view.enrolled, view.addresses.length], ['node-2', true, 0]);
  assert.equal(m.resourcesOf(ADDRESS_TYPE).has('Kubernetes//Pod/prod/new-0'), false, 'ztunnels only get pods with an address');
});
