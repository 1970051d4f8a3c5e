import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, type ChangeBatch } from './debounce.ts';

function setup(quietMs: number, maxMs: number): { debouncer: Debouncer; batches: ChangeBatch[]; clock: { now: number } } {
  const clock = { now: 0 };
  const batches: ChangeBatch[] = [];
  const debouncer = new Debouncer({ quietMs, maxMs, emit: (b) => batches.push(b), now: () => clock.now });
  return { debouncer, batches, clock };
}

function advance(clock: { now: number }, ms: number): void {
  clock.now += ms;
  mock.timers.tick(ms);
}

test('a burst within the quiet period becomes one batch with merged names', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { debouncer, batches, clock } = setup(100, 10_000);
    for (let i = 0; i < 50; i++) {
      debouncer.add({ typeUrl: 'a', names: new Set([`n${i % 10}`]) });
      advance(clock, 5);
    }
    debouncer.add({ typeUrl: 'b', names: new Set(['x']) });
    assert.equal(batches.length, 0);
    advance(clock, 100);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.events, 51);
    assert.equal(batches[0]?.changes.get('a')?.size, 10);
    assert.deepEqual([...(batches[0]?.changes.get('b') ?? [])], ['x']);
    assert.equal(batches[0]?.firstChangeAt, 0);
  } finally {
    mock.timers.reset();
  }
});

test('a steady trickle is pushed at the maximum delay, not starved', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { debouncer, batches, clock } = setup(100, 1000);
    for (let t = 0; t < 2500; t += 50) {
      debouncer.add({ typeUrl: 'a', names: new Set([`n${t}`]) });
      advance(clock, 50);
    }
    assert.ok(batches.length >= 2, `expected pushes every ~1s, got ${batches.length}`);
    for (const b of batches) assert.ok(b.events <= 21);
  } finally {
    mock.timers.reset();
  }
});

test('flush emits at once; close drops pending work', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { debouncer, batches } = setup(100, 1000);
    debouncer.add({ typeUrl: 'a', names: new Set(['1']) });
    debouncer.flush();
    assert.equal(batches.length, 1);
    debouncer.add({ typeUrl: 'a', names: new Set(['2']) });
    debouncer.close();
    mock.timers.tick(2000);
    assert.equal(batches.length, 1);
  } finally {
    mock.timers.reset();
  }
});
