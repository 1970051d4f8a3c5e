import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeSubscription } from './subscription.ts';
import type { ResourceSnapshot, XdsResource } from './types.ts';

const T = 'type.googleapis.com/istio.workload.Address';
const body = new Uint8Array([1]);

function res(name: string, version: string, aliases?: string[]): XdsResource {
  return { name, version, body, ...(aliases ? { aliases } : {}) };
}
function snap(...resources: XdsResource[]): ResourceSnapshot {
  return { typeUrl: T, resources: new Map(resources.map((r) => [r.name, r])) };
}
function names(out: { resources: XdsResource[]; removed: string[] } | undefined): { sent: string[]; removed: string[] } | undefined {
  if (out === undefined) return undefined;
  return { sent: out.resources.map((r) => `${r.name}@${r.version}`).sort(), removed: [...out.removed].sort() };
}

test('R1: first request with no names is a wildcard and gets everything once', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  assert.equal(s.wildcard, true);
  const state = snap(res('a', '1'), res('b', '1'));
  assert.deepEqual(names(s.take(state)), { sent: ['a@1', 'b@1'], removed: [] });
  assert.equal(s.take(state), undefined, 'nothing more without changes');
});

test('R1: the first response is sent even when empty (unknown type, empty state)', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  assert.deepEqual(names(s.take(snap())), { sent: [], removed: [] });
});

test('R1: explicit "*" is a wildcard; later names do not end it; unsubscribing "*" does', () => {
  const s = new TypeSubscription(T);
  s.open(['*'], [], new Map());
  assert.equal(s.wildcard, true);
  s.update(['x'], []);
  assert.equal(s.wildcard, true);
  s.update([], ['*']);
  assert.equal(s.wildcard, false);
});

test('R2: ztunnel on-demand opening (subscribe ["*"] + unsubscribe ["*"]) subscribes to nothing', () => {
  const s = new TypeSubscription(T);
  s.open(['*'], ['*'], new Map());
  assert.equal(s.wildcard, false);
  assert.deepEqual(names(s.take(snap(res('a', '1')))), { sent: [], removed: [] });
});

test('R3: reconnect with initial_resource_versions sends only differences and removals', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map([['a', '1'], ['b', '1'], ['gone', '1']]));
  const out = s.take(snap(res('a', '1'), res('b', '2'), res('c', '1')));
  assert.deepEqual(names(out), { sent: ['b@2', 'c@1'], removed: ['gone'] });
});

test('R3: non-wildcard reconnect keeps the names it held subscribed (as istiod)', () => {
  const s = new TypeSubscription(T);
  s.open(['*'], ['*'], new Map([['a', '1'], ['gone', '1']]));
  assert.deepEqual([...s.explicit].sort(), ['a', 'gone']);
  assert.deepEqual(names(s.take(snap(res('a', '2'), res('other', '1')))), { sent: ['a@2'], removed: ['gone'] });
});

test('R4: explicitly subscribing a missing name answers it in removed_resources', () => {
  const s = new TypeSubscription(T);
  s.open(['a'], [], new Map());
  const state = snap(res('a', '1'));
  assert.deepEqual(names(s.take(state)), { sent: ['a@1'], removed: [] });
  s.update(['missing'], []);
  assert.deepEqual(names(s.take(state)), { sent: [], removed: ['missing'] });
});

test('R5: unsubscribing while wildcard re-evaluates the name; without wildcard it is forgotten', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  const state = snap(res('a', '1'));
  s.take(state);
  s.update([], ['a']);
  assert.deepEqual(names(s.take(state)), { sent: ['a@1'], removed: [] });

  const e = new TypeSubscription(T);
  e.open(['a'], [], new Map());
  e.take(state);
  e.update([], ['a']);
  assert.equal(e.held.has('a'), false);
  assert.equal(e.take(state), undefined);
  e.update(['a'], []);
  assert.deepEqual(names(e.take(state)), { sent: ['a@1'], removed: [] }, 'resubscribing sends it again');
});

test('R6: unsubscribing "*" forgets the names without removing them', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  const state = snap(res('a', '1'), res('b', '1'));
  s.take(state);
  s.update(['b'], ['*']);
  const out = s.take(state);
  assert.equal(out, undefined, 'b is already held at the same version');
  assert.deepEqual([...s.held.keys()], ['b']);
});

test('R7: changes send only the changed resources; removal sends removed_resources', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  s.take(snap(res('a', '1'), res('b', '1')));
  s.markDirty(new Set(['a']));
  assert.deepEqual(names(s.take(snap(res('a', '2'), res('b', '1')))), { sent: ['a@2'], removed: [] });
  s.markDirty(new Set(['b']));
  assert.deepEqual(names(s.take(snap(res('a', '2')))), { sent: [], removed: ['b'] });
  s.markDirty(new Set(['never-seen']));
  assert.equal(s.take(snap(res('a', '2'))), undefined, 'a removal of a name the client never had is not sent');
});

test('R7: changes outside an explicit subscription are not sent', () => {
  const s = new TypeSubscription(T);
  s.open(['a'], [], new Map());
  s.take(snap(res('a', '1')));
  s.markDirty(new Set(['b']));
  assert.equal(s.take(snap(res('a', '1'), res('b', '1'))), undefined);
});

test('R7: coalescing: many batches of one name become one send of the latest version', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  s.take(snap(res('a', '1')));
  for (let i = 0; i < 20; i++) s.markDirty(new Set(['a']));
  assert.ok(s.pendingCount() >= 1);
  assert.deepEqual(names(s.take(snap(res('a', '21')))), { sent: ['a@21'], removed: [] });
});

test('R8: a version already sent is not sent again (NACKed versions are not retried)', () => {
  const s = new TypeSubscription(T);
  s.open([], [], new Map());
  s.take(snap(res('bad', '1')));
  s.markDirty(new Set(['bad']));
  assert.equal(s.take(snap(res('bad', '1'))), undefined);
  s.markDirty(new Set(['bad']));
  assert.deepEqual(names(s.take(snap(res('bad', '2')))), { sent: ['bad@2'], removed: [] });
});

test('R9: an alias resolves to its resource, sent under the canonical name, and stays subscribed', () => {
  const s = new TypeSubscription(T);
  s.open(['*'], ['*'], new Map());
  s.take(snap());
  s.update(['/10.0.0.1'], []);
  const w = res('uid-1', '1', ['/10.0.0.1']);
  assert.deepEqual(names(s.take(snap(w, res('uid-2', '1', ['/10.0.0.2'])))), { sent: ['uid-1@1'], removed: [] });
  s.markDirty(new Set(['uid-1', 'uid-2']));
  assert.deepEqual(names(s.take(snap(res('uid-1', '2', ['/10.0.0.1']), res('uid-2', '2', ['/10.0.0.2'])))), { sent: ['uid-1@2'], removed: [] });
  // The workload loses the IP: it is no longer what the client asked for.
  s.markDirty(new Set(['uid-1']));
  assert.deepEqual(names(s.take(snap(res('uid-1', '3', ['/10.0.0.9'])))), { sent: [], removed: ['uid-1'] });
});

test('R9: a snapshot-provided alias index is used as is', () => {
  const s = new TypeSubscription(T);
  s.open(['svc-vip'], [], new Map());
  const state: ResourceSnapshot = { typeUrl: T, resources: new Map([['ns/svc', res('ns/svc', '1')]]), aliases: new Map([['svc-vip', 'ns/svc']]) };
  assert.deepEqual(names(s.take(state)), { sent: ['ns/svc@1'], removed: [] });
});
