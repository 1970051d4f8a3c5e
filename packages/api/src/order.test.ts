import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOrder, isNamespaced, resourceKey } from './order.ts';
import { parseOne, yaml } from './testing/helpers.ts';

test('applyOrder: Namespaces, then ServiceAccounts, then the rest in the given order; input untouched', () => {
  const { resources, problems } = parseOne(yaml`
    {apiVersion: v1, kind: Pod, metadata: {name: p1}, spec: {containers: [{name: a, image: a}]}}
    ---
    {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa1}}
    ---
    {apiVersion: v1, kind: Service, metadata: {name: s1}, spec: {ports: [{port: 80}]}}
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: ns1}}
    ---
    {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa2}}
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: ns2}}
    ---
    {apiVersion: apps/v1, kind: Deployment, metadata: {name: d1}, spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a, image: a}]}}}}
    ---
    {apiVersion: v1, kind: Pod, metadata: {name: p0}, spec: {containers: [{name: a, image: a}]}}
  `);
  assert.deepEqual(problems, []);
  const names = (list: typeof resources): string[] => list.map((r) => r.metadata.name);
  const before = names(resources);
  assert.deepEqual(names(applyOrder(resources)), ['ns1', 'ns2', 'sa1', 'sa2', 'p1', 's1', 'd1', 'p0']);
  assert.deepEqual(names(resources), before);
  assert.deepEqual(applyOrder([]), []);
});

test('resourceKey and isNamespaced', () => {
  assert.equal(resourceKey({ kind: 'Pod', metadata: { name: 'web', namespace: 'shop' } }), 'Pod/shop/web');
  assert.equal(resourceKey({ kind: 'Service', metadata: { name: 'web' } }), 'Service/default/web');
  assert.equal(resourceKey({ kind: 'Namespace', metadata: { name: 'shop' } }), 'Namespace/shop');
  assert.equal(resourceKey({ kind: 'Namespace', metadata: { name: 'shop', namespace: 'ignored' } }), 'Namespace/shop');
  assert.equal(isNamespaced('Namespace'), false);
  for (const kind of ['Pod', 'Service', 'ServiceAccount', 'Deployment']) assert.equal(isNamespaced(kind), true, kind);
});

test('applyOrder: policies before Gateways, Gateways before HTTPRoutes, workloads last', () => {
  const { resources, problems } = parseOne(yaml`
    {apiVersion: v1, kind: Pod, metadata: {name: pod}, spec: {containers: [{name: a, image: a}]}}
    ---
    {apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: route}, spec: {parentRefs: [{name: gw}]}}
    ---
    {apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: gw}, spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}}
    ---
    {apiVersion: projectcalico.org/v3, kind: GlobalNetworkPolicy, metadata: {name: gnp}, spec: {}}
    ---
    {apiVersion: security.istio.io/v1, kind: AuthorizationPolicy, metadata: {name: ap}, spec: {}}
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: ns}}
    ---
    {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: np}, spec: {podSelector: {}}}
    ---
    {apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: dr}, spec: {host: web}}
    ---
    {apiVersion: security.istio.io/v1, kind: PeerAuthentication, metadata: {name: pa}, spec: {}}
    ---
    {apiVersion: projectcalico.org/v3, kind: NetworkPolicy, metadata: {name: cnp}, spec: {}}
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(applyOrder(resources).map((r) => r.metadata.name), ['ns', 'gnp', 'ap', 'np', 'dr', 'pa', 'cnp', 'gw', 'route', 'pod']);
});

test('isNamespaced and resourceKey for the policy kinds', () => {
  for (const kind of ['AuthorizationPolicy', 'PeerAuthentication', 'NetworkPolicy', 'Gateway', 'HTTPRoute', 'DestinationRule']) assert.equal(isNamespaced(kind), true, kind);
  assert.equal(isNamespaced('GlobalNetworkPolicy'), false);
  assert.equal(isNamespaced('NetworkPolicy', 'projectcalico.org/v3'), true);
  assert.equal(resourceKey({ kind: 'GlobalNetworkPolicy', apiVersion: 'projectcalico.org/v3', metadata: { name: 'deny' } }), 'GlobalNetworkPolicy/deny');
  assert.equal(resourceKey({ kind: 'NetworkPolicy', apiVersion: 'projectcalico.org/v3', metadata: { name: 'p', namespace: 'shop' } }), 'NetworkPolicy.projectcalico.org/shop/p');
  assert.equal(resourceKey({ kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'p', namespace: 'shop' } }), 'NetworkPolicy/shop/p');
  assert.equal(resourceKey({ kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' } }), 'NetworkPolicy/shop/p');
});
