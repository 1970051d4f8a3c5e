import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.ts';

test('without jitter the delays double from the minimum and stop at the cap', () => {
  const o = { minMs: 500, maxMs: 150_000, random: () => 0 };
  const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, o));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000, 150_000]);
});

test('jitter keeps the first retry within 0.5-1 s and never exceeds the cap', () => {
  for (const r of [0, 0.25, 0.5, 0.999999]) {
    const first = backoffDelay(1, { minMs: 500, maxMs: 150_000, random: () => r });
    assert.ok(first >= 500 && first <= 1000, `first delay ${first} with random ${r}`);
    for (let failures = 1; failures < 2000; failures += 37) {
      const d = backoffDelay(failures, { minMs: 500, maxMs: 150_000, random: () => r });
      assert.ok(d >= 500 && d <= 150_000, `delay ${d} after ${failures} failures`);
    }
  }
});

test('hostile inputs stay bounded', () => {
  assert.equal(backoffDelay(Number.MAX_SAFE_INTEGER, { minMs: 500, maxMs: 150_000, random: () => 5 }), 150_000);
  assert.equal(backoffDelay(0, { minMs: 500, maxMs: 150_000, random: () => Number.NaN }), 500);
  assert.equal(backoffDelay(3, { minMs: 0, maxMs: 0, random: () => 0 }), 1);
});
