// Expected behaviour is Envoy's router, written by hand: retry conditions, skipping tried hosts,
// full-jitter exponential back-off, per-try and route timeouts (504 UT), no healthy upstream
// (503 UH), connect failure (503 UF, URX once retries ran out), and the retry budget. Time is a
// fake clock that jumps to the next timer only when nothing else can run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setImmediate as flush } from 'node:timers/promises';
import { decodeMessage, encodeMessage, type envoy, type Init } from '@ambit/xds-types';
import type { AttemptOutcome, ClusterRuntime, Endpoint, HeaderList, MatchedRoute, RetrySpec } from '../contracts.ts';
import { clusterAccounting, createClusterRuntime } from './cluster.ts';
import { backoffMs, createExecutor, wantsRetry, type Schedule } from './execute.ts';

const CDS = 'envoy.config.cluster.v3.Cluster';

function runtime(patch: Init<envoy.Cluster> = {}, endpoints = ['a', 'b', 'c']): ClusterRuntime {
  const rt = createClusterRuntime(decodeMessage<envoy.Cluster>(CDS, encodeMessage(CDS, { name: 'c', type: 'EDS', lb_policy: 'ROUND_ROBIN', ...patch })));
  rt.setEndpoints(endpoints.map((k, i) => ({ key: k, ip: `10.0.0.${i + 1}`, port: 80, hbone: undefined, healthy: true, weight: 1 })));
  return rt;
}

function spec(patch: Partial<RetrySpec> = {}): RetrySpec {
  return { retryOn: new Set(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']), numRetries: 2, perTryTimeoutMs: 0, retriableStatusCodes: new Set([503]), backoffBaseMs: 25, backoffMaxMs: 250, ...patch };
}

function route(retry: RetrySpec | undefined, timeoutMs = 0): MatchedRoute {
  return { name: 'r', pickCluster: () => 'c', timeoutMs, retry, editRequestHeaders: () => {}, editResponseHeaders: () => {}, directResponse: undefined };
}

/** A response whose body records whether it was destroyed. */
function reply(status: number, headers: HeaderList = []): AttemptOutcome & { kind: 'response' } {
  return { kind: 'response', status, headers, body: Readable.from(['x']) };
}
const fail = (kind: 'connect-failure' | 'reset' | 'refused-stream'): AttemptOutcome => ({ kind, error: new Error(kind) });
const HANG = 'hang' as const;
type Step = AttemptOutcome | typeof HANG;

/** Fake clock: timers run in order, time jumps only when every promise has settled. */
function fakeTime(): { schedule: Schedule; now: () => number; run: <T>(p: Promise<T>) => Promise<T> } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const schedule: Schedule = (fn, ms) => {
    const id = seq++;
    timers.set(id, { at: now + ms, fn });
    return () => timers.delete(id);
  };
  const run = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const watched = p.finally(() => { done = true; });
    for (;;) {
      for (let i = 0; i < 5; i++) await flush();
      if (done) return watched;
      const next = [...timers.entries()].sort((x, y) => x[1].at - y[1].at || x[0] - y[0])[0];
      if (!next) throw new Error('stuck: the request is pending with no timer left to fire');
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
  };
  return { schedule, now: () => now, run };
}

/** Attempts scripted per endpoint key; every call is logged. HANG never settles (until aborted). */
function script(steps: Record<string, Step[]>): { attempt: (e: Endpoint, s: AbortSignal) => Promise<AttemptOutcome>; calls: string[]; given: AttemptOutcome[] } {
  const calls: string[] = [];
  const given: AttemptOutcome[] = [];
  return {
    calls,
    given,
    attempt: (e) => {
      calls.push(e.key);
      const step = steps[e.key]?.shift() ?? HANG;
      if (step === HANG) return new Promise<AttemptOutcome>(() => {});
      given.push(step);
      return Promise.resolve(step);
    },
  };
}

const signal = (): AbortSignal => new AbortController().signal;

test('retry recovers from one failing endpoint; the discarded attempt body is destroyed; back-off waited', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0.5 });
  const s = script({ a: [reply(503)], b: [reply(200)] });
  const result = await time.run(exec({ route: route(spec()), cluster: runtime(), replayable: true, attempt: s.attempt, signal: signal() }));
  assert.equal(result.kind, 'response');
  assert.equal(result.status, 200);
  assert.equal(result.attempts, 2);
  assert.deepEqual(s.calls, ['a', 'b']);
  assert.equal((s.given[0] as { body: Readable }).body.destroyed, true);
  assert.equal((s.given[1] as { body: Readable }).body.destroyed, false);
  // First retry: jitter 0.5 of (2^1 - 1) x 25ms.
  assert.equal(time.now(), 12);
});

test('retries exhausted: the last upstream response, or 503 UF,URX after connect failures on every endpoint', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const s = script({ a: [reply(503)], b: [reply(503)], c: [reply(503)] });
  const r1 = await time.run(exec({ route: route(spec()), cluster: runtime(), replayable: true, attempt: s.attempt, signal: signal() }));
  assert.equal(r1.kind, 'response');
  assert.equal(r1.status, 503);
  assert.equal(r1.attempts, 3);
  assert.deepEqual(s.calls, ['a', 'b', 'c']); // tried endpoints are skipped while others remain

  const f = script({ a: [fail('connect-failure')], b: [fail('connect-failure')], c: [fail('connect-failure')] });
  const r2 = await time.run(exec({ route: route(spec()), cluster: runtime(), replayable: true, attempt: f.attempt, signal: signal() }));
  assert.deepEqual(r2.kind === 'local' && [r2.status, r2.flags, r2.attempts, r2.body], [503, 'UF,URX', 3, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure']);
});

test('with one endpoint, retries go back to it', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const s = script({ a: [fail('connect-failure'), reply(200)] });
  const r = await time.run(exec({ route: route(spec()), cluster: runtime({}, ['a']), replayable: true, attempt: s.attempt, signal: signal() }));
  assert.equal(r.status, 200);
  assert.deepEqual(s.calls, ['a', 'a']);
});

test('what is retried: conditions table', () => {
  const cases: Array<[string[], AttemptOutcome, boolean, number[]?]> = [
    [['5xx'], reply(500), true],
    [['5xx'], reply(404), false],
    [['5xx'], fail('reset'), true],
    [['5xx'], fail('connect-failure'), true],
    [['gateway-error'], reply(500), false],
    [['gateway-error'], reply(504), true],
    [['gateway-error'], fail('connect-failure'), true],
    [['reset'], fail('reset'), true],
    [['reset'], reply(503), false],
    [['connect-failure'], fail('connect-failure'), true],
    [['connect-failure'], fail('reset'), false],
    [['refused-stream'], fail('refused-stream'), true],
    [['retriable-status-codes'], reply(429), true, [429]],
    [['retriable-status-codes'], reply(503), false, [429]],
    [['retriable-4xx'], reply(409), true],
    [['unavailable'], reply(200, [['grpc-status', '14']]), true],
    [['cancelled'], reply(200, [['grpc-status', '1']]), true],
    [['unavailable'], reply(200, [['grpc-status', '2']]), false],
    [['5xx'], { kind: 'timeout', error: new Error('t') }, true],
    [['connect-failure'], { kind: 'timeout', error: new Error('t') }, false],
  ];
  for (const [on, outcome, want, codes] of cases) {
    assert.equal(wantsRetry(outcome, spec({ retryOn: new Set(on), retriableStatusCodes: new Set(codes ?? []) })), want, `${on.join(',')} ${outcome.kind === 'response' ? outcome.status : outcome.kind}`);
  }
});

test('back-off: full jitter below (2^N - 1) x base, capped at the max interval', () => {
  const s = spec({ backoffBaseMs: 25, backoffMaxMs: 250 });
  const cases: Array<[number, number, number]> = [[1, 0.999, 24], [2, 0.999, 74], [3, 0.999, 174], [4, 0.999, 249], [10, 0.5, 125], [1, 0, 0]];
  for (const [n, r, want] of cases) assert.equal(backoffMs(n, s, r), want, `retry ${n} random ${r}`);
});

test('per-try timeout ends a hanging attempt and the retry goes elsewhere; all hanging -> 504 UT', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const s = script({ a: [HANG], b: [reply(200)] });
  const r = await time.run(exec({ route: route(spec({ retryOn: new Set(['5xx']), perTryTimeoutMs: 100 })), cluster: runtime(), replayable: true, attempt: s.attempt, signal: signal() }));
  assert.equal(r.status, 200);
  assert.equal(time.now(), 100);

  const time2 = fakeTime();
  const exec2 = createExecutor({ schedule: time2.schedule, random: () => 0 });
  const h = script({});
  const r2 = await time2.run(exec2({ route: route(spec({ retryOn: new Set(['5xx']), numRetries: 1, perTryTimeoutMs: 100 })), cluster: runtime(), replayable: true, attempt: h.attempt, signal: signal() }));
  assert.deepEqual(r2.kind === 'local' && [r2.status, r2.flags, r2.attempts], [504, 'UT,URX', 2]);
  assert.equal(time2.now(), 200);
});

test('route timeout covers all attempts: 504 UT at the deadline; a response arriving later is destroyed', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  let late: ((o: AttemptOutcome) => void) | undefined;
  const body = reply(200);
  const r = await time.run(exec({
    route: route(spec(), 250), cluster: runtime(), replayable: true, signal: signal(),
    attempt: () => new Promise<AttemptOutcome>((resolve) => { late = resolve; }),
  }));
  assert.deepEqual(r.kind === 'local' && [r.status, r.flags, r.body], [504, 'UT', 'upstream request timeout']);
  assert.equal(time.now(), 250);
  late?.(body);
  await flush();
  assert.equal(body.body.destroyed, true);
});

test('no endpoint: 503 UH', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule });
  const r = await time.run(exec({ route: route(spec()), cluster: runtime({}, []), replayable: true, attempt: script({}).attempt, signal: signal() }));
  assert.deepEqual(r.kind === 'local' && [r.status, r.flags, r.attempts], [503, 'UH', 0]);
});

test('a body that cannot be replayed is retried only when the upstream never saw it', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const s = script({ a: [reply(503)], b: [reply(200)] });
  const r = await time.run(exec({ route: route(spec()), cluster: runtime(), replayable: false, attempt: s.attempt, signal: signal() }));
  assert.deepEqual([r.status, r.attempts], [503, 1]);
  const c = script({ a: [fail('connect-failure')], b: [reply(200)] });
  const r2 = await time.run(exec({ route: route(spec()), cluster: runtime(), replayable: false, attempt: c.attempt, signal: signal() }));
  assert.deepEqual([r2.status, r2.attempts], [200, 2]);
});

test('every attempt outcome is recorded on the cluster', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const recorded: string[] = [];
  const eps: Endpoint[] = ['a', 'b'].map((k) => ({ key: k, ip: '10.0.0.1', port: 80, hbone: undefined, healthy: true, weight: 1 }));
  const fake: ClusterRuntime = {
    name: 'fake', connectTimeoutMs: 1000, setEndpoints: () => {}, close: () => {}, snapshot: () => ({ endpoints: [] }),
    pick: (exclude) => eps.find((e) => !exclude.has(e.key)),
    record: (e, o) => recorded.push(`${e.key}:${o.kind === 'response' ? o.status : o.kind}`),
  };
  const s = script({ a: [fail('connect-failure')], b: [reply(200)] });
  await time.run(exec({ route: route(spec()), cluster: fake, replayable: true, attempt: s.attempt, signal: signal() }));
  assert.deepEqual(recorded, ['a:connect-failure', 'b:200']);
});

test('outlier detection sees the executor: an endpoint failing 3 times in a row is ejected and skipped', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const cluster = runtime({ outlier_detection: { consecutive_5xx: { value: 3 }, max_ejection_percent: { value: 50 } } }, ['a', 'b']);
  const s = script({ a: [reply(500), reply(500), reply(500)], b: [reply(200), reply(200), reply(200), reply(200)] });
  for (let i = 0; i < 5; i++) await time.run(exec({ route: route(undefined), cluster, replayable: true, attempt: s.attempt, signal: signal() }));
  // Round robin alternates; a's third 500 ejects it.
  assert.deepEqual(s.calls, ['a', 'b', 'a', 'b', 'a']);
  assert.deepEqual(cluster.snapshot().endpoints.map((e) => [e.key, e.ejectedUntil !== undefined]), [['a', true], ['b', false]]);
  const r = await time.run(exec({ route: route(undefined), cluster, replayable: true, attempt: s.attempt, signal: signal() }));
  assert.equal(r.status, 200);
  assert.equal(s.calls.at(-1), 'b');
  cluster.close();
});

test('retry budget: with 3 requests failing at once and min_retry_concurrency 1, only one retries', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0 });
  const cluster = runtime({ circuit_breakers: { thresholds: [{ priority: 'DEFAULT', retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: { value: 1 } } }] } }, ['a', 'b', 'c']);
  // First attempts: all 503, settled together; the retry that is admitted hangs until released.
  let release: ((o: AttemptOutcome) => void) | undefined;
  let retryStarted: (() => void) | undefined;
  const started = new Promise<void>((resolve) => { retryStarted = resolve; });
  let calls = 0;
  const attempt = (): Promise<AttemptOutcome> => {
    calls++;
    if (calls <= 3) return Promise.resolve(reply(503));
    retryStarted?.();
    return new Promise((resolve) => { release = resolve; });
  };
  const running = [0, 1, 2].map(() => exec({ route: route(spec()), cluster, replayable: true, attempt, signal: signal() }));
  const all = Promise.all(running);
  await time.run(started);
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(calls, 4);
  release?.(reply(200));
  const results = await time.run(all);
  assert.deepEqual(results.map((r) => [r.status, r.attempts]).sort(), [[200, 2], [503, 1], [503, 1]]);
  cluster.close();
});

test('the client going away ends the request without a response (DC)', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule });
  const controller = new AbortController();
  const pending = exec({ route: route(spec()), cluster: runtime(), replayable: true, attempt: script({}).attempt, signal: controller.signal });
  await flush();
  controller.abort();
  const r = await time.run(pending);
  assert.deepEqual(r.kind === 'local' && [r.flags, r.attempts], ['DC', 1]);
});

test('a retry reserved but never attempted gives its budget slot back (client left during back-off)', async () => {
  const time = fakeTime();
  const exec = createExecutor({ schedule: time.schedule, random: () => 0.99 });
  const cluster = runtime();
  const controller = new AbortController();
  const s = script({ a: [reply(503)] });
  const pending = exec({ route: route(spec()), cluster, replayable: true, attempt: s.attempt, signal: controller.signal });
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(clusterAccounting(cluster)?.budget.retries, 1);
  controller.abort();
  const r = await time.run(pending);
  assert.equal(r.kind === 'local' && r.flags, 'DC');
  assert.equal(clusterAccounting(cluster)?.budget.retries, 0);
  cluster.close();
});
