import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeState } from './state.ts';

const T = 'type.googleapis.com/test.Thing';

/** A resource as the gRPC decoder gives it; the body is the UTF-8 of a number. */
function res(name: string, version: string, body: string, typeUrl = T): Record<string, unknown> {
  return { name, version, aliases: [], resource: { type_url: typeUrl, value: Buffer.from(body) } };
}

function numbers(): TypeState<number> {
  return new TypeState<number>(T, (name, body) => {
    const n = Number(Buffer.from(body).toString());
    if (!Number.isInteger(n)) throw new Error(`"${Buffer.from(body).toString()}" is not an integer`);
    if (n < 0) return new Error(`${name} is negative`) as unknown as number;
    return n;
  });
}

test('state: good resources apply while bad ones are rejected one by one', () => {
  const s = numbers();
  const r = s.apply([res('a', '1', '1'), res('b', '1', 'x'), res('c', '1', '3'), res('d', '1', '-4')], []);
  assert.deepEqual([...r.upserted], [['a', 1], ['c', 3]]);
  assert.deepEqual(r.rejections, [
    { name: 'b', reason: '"x" is not an integer' },
    { name: 'd', reason: 'd is negative' },
  ]);
  assert.deepEqual([...s.state], [['a', 1], ['c', 3]]);
  assert.equal(s.rejectedCount, 2);
  assert.deepEqual(s.versions(), { a: '1', c: '1' });
});

test('state: a rejected new version leaves the last good one; the next good version replaces it', () => {
  const s = numbers();
  s.apply([res('a', '1', '1')], []);
  const bad = s.apply([res('a', '2', 'oops')], []);
  assert.equal(bad.upserted.size, 0);
  assert.equal(bad.rejections.length, 1);
  assert.equal(s.state.get('a'), 1);
  assert.deepEqual(s.versions(), { a: '1' }, 'the held version stays the good one');
  assert.equal(s.rejectedCount, 1);
  const good = s.apply([res('a', '3', '3')], []);
  assert.deepEqual([...good.upserted], [['a', 3]]);
  assert.deepEqual(s.versions(), { a: '3' });
  assert.equal(s.rejectedCount, 0);
});

test('state: removal deletes held names; unknown names are not reported as removed', () => {
  const s = numbers();
  s.apply([res('a', '1', '1'), res('b', '1', '2')], []);
  const r = s.apply([], ['a', 'never-held']);
  assert.deepEqual(r.removed, ['a']);
  assert.deepEqual(r.rejections, []);
  assert.deepEqual([...s.state.keys()], ['b']);
});

test('state: malformed entries are rejected without throwing', () => {
  const s = numbers();
  const r = s.apply(
    [
      null,
      { name: '', resource: { type_url: T, value: Buffer.from('1') } },
      { name: 'no-body', version: '1' },
      res('wrong-type', '1', '1', 'type.googleapis.com/other.Type'),
      { name: 'no-bytes', resource: { type_url: T, value: 'text' } },
      res('dup', '1', '1'),
      res('dup', '2', '2'),
      res('both', '1', '1'),
      res('ok', '1', '7'),
    ],
    ['both', 42],
  );
  assert.deepEqual([...r.upserted], [['ok', 7]]);
  assert.deepEqual(
    r.rejections.map((x) => [x.name, x.anonymous === true]),
    [
      ['removed_resources[1]', true],
      ['resources[0]', true],
      ['resources[1]', true],
      ['no-body', false],
      ['wrong-type', false],
      ['no-bytes', false],
      ['dup', false],
      ['both', false],
    ],
  );
  assert.match(r.rejections.find((x) => x.name === 'wrong-type')?.reason ?? '', /expected type\.googleapis\.com\/test\.Thing/);
});

test('state: initial subscription lists (wildcard, wildcard plus names, explicit, nothing)', () => {
  const decode = (): number => 0;
  assert.deepEqual(new TypeState(T, decode).initialSubscription(), { subscribe: [], unsubscribe: [] });
  assert.deepEqual(new TypeState(T, decode, ['*', 'x']).initialSubscription(), { subscribe: ['*', 'x'], unsubscribe: [] });
  assert.deepEqual(new TypeState(T, decode, ['x', 'y']).initialSubscription(), { subscribe: ['x', 'y'], unsubscribe: [] });
  assert.deepEqual(new TypeState(T, decode, []).initialSubscription(), { subscribe: ['*'], unsubscribe: ['*'] });
});

test('state: leaving wildcard or unsubscribing drops what is no longer subscribed (aliases count)', () => {
  const s = numbers();
  s.apply([{ ...res('a', '1', '1'), aliases: ['net/10.0.0.1'] }, res('b', '1', '2'), res('c', '1', '3')], []);
  assert.deepEqual(s.updateSubscription(['b'], []), [], 'still wildcard: nothing dropped');
  assert.deepEqual(s.updateSubscription(['net/10.0.0.1'], ['*']), ['c']);
  assert.deepEqual([...s.state.keys()], ['a', 'b']);
  assert.deepEqual(s.updateSubscription([], ['b']), ['b']);
  assert.deepEqual(s.initialSubscription(), { subscribe: ['net/10.0.0.1'], unsubscribe: [] });
  // subscribe is applied before unsubscribe: `*` in and out subscribes to nothing.
  const t = numbers();
  t.apply([res('z', '1', '1')], []);
  assert.deepEqual(t.updateSubscription(['*'], ['*']), ['z']);
});
