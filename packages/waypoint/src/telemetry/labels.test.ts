import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceLabels, spiffeNamespace } from './labels.ts';

const namespaces: Array<[string | undefined, string]> = [
  ['spiffe://cluster.local/ns/bookinfo/sa/productpage', 'bookinfo'],
  ['spiffe://example.org/ns/default/sa/default', 'default'],
  ['spiffe://cluster.local/workload/x', 'unknown'],
  [undefined, 'unknown'],
];
for (const [principal, expected] of namespaces) test(`spiffeNamespace(${String(principal)})`, () => assert.equal(spiffeNamespace(principal), expected));

const services: Array<[string, { service: string; name: string; namespace: string }]> = [
  ['reviews.bookinfo.svc.cluster.local:9080', { service: 'reviews.bookinfo.svc.cluster.local', name: 'reviews', namespace: 'bookinfo' }],
  ['httpbin.default.svc.cluster.local:8000', { service: 'httpbin.default.svc.cluster.local', name: 'httpbin', namespace: 'default' }],
  ['api.example.com:443', { service: 'api.example.com', name: 'api', namespace: 'unknown' }],
  ['', { service: 'unknown', name: 'unknown', namespace: 'unknown' }],
  // Pod-addressed traffic: Istio reports no destination Service for it.
  ['inbound-pod|8080||10.244.3.5', { service: 'unknown', name: 'unknown', namespace: 'unknown' }],
];
for (const [chain, expected] of services) test(`serviceLabels(${chain})`, () => assert.deepEqual(serviceLabels(chain), expected));
