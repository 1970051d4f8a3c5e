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
