import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.ts';

test('backoff: 10 ms doubling to 15 s by default, then stays at 15 s', () => {
  const b = new Backoff();
  const delays = Array.from({ length: 14 }, () => b.next());
  assert.deepEqual(delays, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 15000, 15000, 15000]);
});

test('backoff: reset starts again from the initial delay', () => {
  const b = new Backoff({ initialMs: 5, maxMs: 30 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [5, 10, 20, 30, 30]);
  b.reset();
  assert.equal(b.next(), 5);
});

test('backoff: a custom initial delay above the default cap raises the cap with it', () => {
  const b = new Backoff({ initialMs: 20_000 });
  assert.equal(b.next(), 20_000);
  assert.equal(b.next(), 20_000);
});

test('backoff: bad bounds are AMBIT_XDS_CLIENT_CONFIG', () => {
  for (const options of [{ initialMs: 0 }, { initialMs: -1 }, { initialMs: Number.NaN }, { initialMs: 100, maxMs: 50 }]) {
    assert.throws(() => new Backoff(options), { code: 'AMBIT_XDS_CLIENT_CONFIG' });
  }
});
