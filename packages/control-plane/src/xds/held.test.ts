import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldVersions } from './held.ts';
import type { XdsResource } from './types.ts';

const body = new Uint8Array(0);
function map(entries: [string, string][]): Map<string, XdsResource> {
  return new Map(entries.map(([name, version]) => [name, { name, version, body }]));
}

test('base + overlay behaves as one map', () => {
  const h = new HeldVersions();
  h.set('x', '1');
  h.rebase(map([['a', '1'], ['b', '1']]));
  assert.equal(h.size, 2);
  assert.equal(h.get('x'), undefined);
  h.set('a', '2');
  h.delete('b');
  h.set('c', '1');
  h.delete('nope');
  assert.equal(h.size, 2);
  assert.deepEqual([...h.entries()].sort(), [['a', '2'], ['c', '1']]);
  h.set('b', '1');
  assert.equal(h.privateEntries(), 2, 'b is back to the base version: no private entry for it');
  assert.equal(h.size, 3);
  h.set('a', '1');
  assert.equal(h.privateEntries(), 1);
});

test('compact re-bases on a snapshot the client is in sync with, else materialises', () => {
  const base = map(Array.from({ length: 3000 }, (_, i) => [`n${i}`, '1'] as [string, string]));
  const h = new HeldVersions();
  h.rebase(base);
  const next = new Map(base);
  for (let i = 0; i < 1500; i++) {
    h.set(`n${i}`, '2');
    next.set(`n${i}`, { name: `n${i}`, version: '2', body });
  }
  h.compact(next);
  assert.equal(h.privateEntries(), 0, 're-based on the snapshot');
  assert.equal(h.get('n5'), '2');
  for (let i = 0; i < 1500; i++) h.set(`n${i}`, '3');
  h.compact(next); // not in sync: materialised
  assert.equal(h.privateEntries(), 3000);
  assert.equal(h.get('n5'), '3');
  assert.equal(h.get('n2999'), '1');
  assert.equal(h.size, 3000);
});
