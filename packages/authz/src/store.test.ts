// PolicyStore and applicablePolicies: which policies apply to a destination workload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Policy, WorkloadRef } from './index.ts';
import { PolicyStore, applicablePolicies } from './index.ts';
import { policy, rule } from '../test/build.ts';

const ROOT = 'istio-system';
const p = (key: string, scope: Policy['scope']): Policy => policy(key, 'ALLOW', [rule()], { scope });

function storeOf(...policies: Policy[]): PolicyStore {
  const store = new PolicyStore();
  for (const x of policies) store.upsert(x);
  return store;
}

const keys = (list: readonly Policy[]): string[] => list.map((x) => x.key);

const POLICIES = [
  p('istio-system/mesh-wide', 'GLOBAL'),
  p('other/global-outside-root', 'GLOBAL'),
  p('istio-system/root-ns-only', 'NAMESPACE'),
  p('a/ns-a', 'NAMESPACE'),
  p('b/ns-b', 'NAMESPACE'),
  p('a/sel-a', 'WORKLOAD_SELECTOR'),
  p('a/sel-unlisted', 'WORKLOAD_SELECTOR'),
  p('istio-system/istio_converted_static_strict', 'WORKLOAD_SELECTOR'),
];

test('applicablePolicies: root GLOBAL, own namespace, listed selector policies; order ns, global, listed', () => {
  const store = storeOf(...POLICIES);
  const rows: Array<[string, WorkloadRef, string[]]> = [
    [
      'workload in a listing two selector policies, an unknown key and a namespace policy',
      { namespace: 'a', authorizationPolicies: ['a/sel-a', 'istio-system/istio_converted_static_strict', 'a/not-yet-arrived', 'a/ns-a'] },
      ['a/ns-a', 'istio-system/mesh-wide', 'a/sel-a', 'istio-system/istio_converted_static_strict'],
    ],
    ['workload in a listing nothing: a/sel-a does not apply by namespace', { namespace: 'a', authorizationPolicies: [] }, ['a/ns-a', 'istio-system/mesh-wide']],
    ['workload in b: a/ns-a is another namespace', { namespace: 'b', authorizationPolicies: [] }, ['b/ns-b', 'istio-system/mesh-wide']],
    ['workload in a namespace without policies', { namespace: 'c', authorizationPolicies: [] }, ['istio-system/mesh-wide']],
    ['workload in the root namespace', { namespace: ROOT, authorizationPolicies: [] }, ['istio-system/root-ns-only', 'istio-system/mesh-wide']],
    ['listing a NAMESPACE policy of another namespace does not pull it in', { namespace: 'c', authorizationPolicies: ['b/ns-b', 'other/global-outside-root'] }, ['istio-system/mesh-wide']],
  ];
  for (const [description, workload, expected] of rows) assert.deepEqual(keys(applicablePolicies(store, workload, ROOT)), expected, description);
  // Another root namespace: the GLOBAL policy living there applies instead.
  assert.deepEqual(keys(applicablePolicies(store, { namespace: 'c', authorizationPolicies: [] }, 'other')), ['other/global-outside-root']);
});

test('applicablePolicies: cached per workload object until the store changes', () => {
  const store = storeOf(...POLICIES);
  const workload: WorkloadRef = { namespace: 'a', authorizationPolicies: ['a/sel-a'] };
  const first = applicablePolicies(store, workload, ROOT);
  assert.equal(applicablePolicies(store, workload, ROOT), first, 'same array while nothing changed');
  assert.ok(Object.isFrozen(first));
  store.upsert(p('a/ns-a2', 'NAMESPACE'));
  assert.deepEqual(keys(applicablePolicies(store, workload, ROOT)), ['a/ns-a', 'a/ns-a2', 'istio-system/mesh-wide', 'a/sel-a']);
  store.remove('a/sel-a');
  assert.deepEqual(keys(applicablePolicies(store, workload, ROOT)), ['a/ns-a', 'a/ns-a2', 'istio-system/mesh-wide']);
  // A new workload object (workloads are replaced, not mutated) is looked up afresh.
  assert.deepEqual(keys(applicablePolicies(store, { namespace: 'b', authorizationPolicies: [] }, ROOT)), ['b/ns-b', 'istio-system/mesh-wide']);
});

test('PolicyStore: upsert re-indexes a changed scope or namespace; remove; version', () => {
  const store = new PolicyStore();
  assert.equal(store.version, 0);
  store.upsert(p('a/x', 'NAMESPACE'));
  assert.equal(store.version, 1);
  const inA: WorkloadRef = { namespace: 'a', authorizationPolicies: [] };
  assert.deepEqual(keys(applicablePolicies(store, inA, ROOT)), ['a/x']);
  // Same key, now a selector policy: no longer applies by namespace.
  store.upsert(p('a/x', 'WORKLOAD_SELECTOR'));
  assert.equal(store.version, 2);
  assert.deepEqual(keys(applicablePolicies(store, inA, ROOT)), []);
  assert.deepEqual(keys(applicablePolicies(store, { namespace: 'a', authorizationPolicies: ['a/x'] }, ROOT)), ['a/x']);
  // And back to NAMESPACE, then GLOBAL (only applies when its namespace is the root).
  store.upsert(p('a/x', 'NAMESPACE'));
  assert.deepEqual(keys(applicablePolicies(store, inA, ROOT)), ['a/x']);
  store.upsert(p('a/x', 'GLOBAL'));
  assert.deepEqual(keys(applicablePolicies(store, inA, ROOT)), []);
  assert.deepEqual(keys(applicablePolicies(store, { namespace: 'z', authorizationPolicies: [] }, 'a')), ['a/x']);
  assert.equal(store.get('a/x')?.scope, 'GLOBAL');
  assert.deepEqual(keys(store.all()), ['a/x']);
  assert.equal(store.size, 1);
  const before = store.version;
  store.remove('a/missing');
  assert.equal(store.version, before, 'removing an unknown key changes nothing');
  store.remove('a/x');
  assert.equal(store.version, before + 1);
  assert.equal(store.get('a/x'), undefined);
  assert.deepEqual(store.all(), []);
  assert.deepEqual(keys(applicablePolicies(store, { namespace: 'z', authorizationPolicies: ['a/x'] }, 'a')), []);
});
