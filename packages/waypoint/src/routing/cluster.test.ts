// Expected behaviour is Envoy's, written by hand: round robin order, power-of-two-choices least
// request, panic mode, consecutive 5xx / gateway failure ejection with base_ejection_time x times
// ejected, and the max_ejection_percent rule 100 x (ejected + 1) / hosts <= max.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { decodeMessage, encodeMessage, type envoy, type Init } from '@ambit/xds-types';
import type { AttemptOutcome, ClusterRuntime, Endpoint } from '../contracts.ts';
import { createClusterRuntime } from './cluster.ts';

const CDS = 'envoy.config.cluster.v3.Cluster';

function cluster(patch: Init<envoy.Cluster> = {}): envoy.Cluster {
  return decodeMessage<envoy.Cluster>(CDS, encodeMessage(CDS, { name: 'c', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} }, service_name: 'c' }, lb_policy: 'ROUND_ROBIN', ...patch }));
}

function ep(last: number, patch: Partial<Endpoint> = {}): Endpoint {
  return { key: `10.0.0.${last}:80`, ip: `10.0.0.${last}`, port: 80, hbone: undefined, healthy: true, weight: 1, ...patch };
}

const response = (status: number): AttemptOutcome => ({ kind: 'response', status, headers: [], body: Readable.from([]) });
const failure = (kind: 'connect-failure' | 'reset' | 'timeout'): AttemptOutcome => ({ kind, error: new Error(kind) });

function picks(rt: ClusterRuntime, n: number, exclude: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = rt.pick(exclude);
    out.push(e ? e.ip.slice(7) : '-');
    if (e) rt.record(e, response(200));
  }
  return out;
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const seconds = (s: number): Init<envoy.Cluster>['connect_timeout'] => ({ seconds: String(s) });

test('round robin rotates; weights are honoured smoothly; unhealthy and excluded endpoints are skipped', () => {
  const rt = createClusterRuntime(cluster());
  rt.setEndpoints([ep(1), ep(2), ep(3), ep(4, { healthy: false })]);
  assert.deepEqual(picks(rt, 6), ['1', '2', '3', '1', '2', '3']);
  assert.deepEqual(picks(rt, 4, new Set(['10.0.0.2:80'])).sort(), ['1', '1', '3', '3']);
  const weighted = createClusterRuntime(cluster());
  weighted.setEndpoints([ep(1, { weight: 2 }), ep(2)]);
  assert.deepEqual(picks(weighted, 6), ['1', '2', '1', '1', '2', '1']);
  rt.close();
  weighted.close();
});

test('least request: of two random choices the one with fewer requests in flight', () => {
  const draws = [0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9];
  const rt = createClusterRuntime(cluster({ lb_policy: 'LEAST_REQUEST' }), { random: () => draws.shift() ?? 0 });
  rt.setEndpoints([ep(1), ep(2)]);
  // With two endpoints the two choices are both; an unrecorded pick stays in flight.
  const a = rt.pick(new Set()); // 0 vs 0: the first choice
  const b = rt.pick(new Set()); // 1 vs 0: the idle one
  assert.ok(a && b);
  assert.notEqual(a.key, b.key);
  const c = rt.pick(new Set()); // 1 vs 1: the first choice again
  assert.equal(c?.key, a.key);
  rt.record(b, response(200));
  // a has two in flight, b none: b, and again b while a stays busier.
  assert.equal(rt.pick(new Set())?.key, b.key);
  assert.equal(rt.pick(new Set())?.key, b.key);
  rt.close();
});

test('random: weighted over 10,000 seeded draws within 5 binomial standard deviations', () => {
  let s = 42;
  const random = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const rt = createClusterRuntime(cluster({ lb_policy: 'RANDOM' }), { random });
  rt.setEndpoints([ep(1, { weight: 3 }), ep(2)]);
  const counts = picks(rt, 10_000).reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  // Binomial(10,000, 0.25): mean 2,500, sd sqrt(10,000 x 0.25 x 0.75) ~ 43.3.
  assert.ok(Math.abs((counts.get('2') ?? 0) - 2500) <= 5 * 43.3, JSON.stringify([...counts]));
  rt.close();
});

test('panic mode: with every endpoint unhealthy, all of them are used', () => {
  const rt = createClusterRuntime(cluster());
  rt.setEndpoints([ep(1, { healthy: false }), ep(2, { healthy: false })]);
  assert.deepEqual(picks(rt, 2), ['1', '2']);
  rt.setEndpoints([]);
  assert.equal(rt.pick(new Set()), undefined);
  rt.close();
});

test('outlier detection: N consecutive 5xx eject for base time, x2 the second time; success resets the count', () => {
  const t = clock();
  const rt = createClusterRuntime(cluster({ outlier_detection: { consecutive_5xx: { value: 3 }, base_ejection_time: seconds(30), interval: seconds(10), max_ejection_percent: { value: 50 } } }), { now: t.now });
  const [a, b] = [ep(1), ep(2)];
  rt.setEndpoints([a, b]);
  rt.record(a, response(500));
  rt.record(a, response(500));
  rt.record(a, response(200)); // resets
  rt.record(a, response(500));
  rt.record(a, response(503));
  assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, undefined);
  rt.record(a, failure('connect-failure')); // third consecutive: locally originated failures count
  assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, t.now() + 30_000);
  assert.deepEqual(picks(rt, 3), ['2', '2', '2']);
  t.advance(29_999);
  assert.deepEqual(picks(rt, 1), ['2']);
  t.advance(1);
  assert.deepEqual(picks(rt, 2).sort(), ['1', '2']);
  for (let i = 0; i < 3; i++) rt.record(a, response(502));
  assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, t.now() + 60_000);
  rt.close();
});

test('outlier detection: the ejection multiplier drops by one per interval in service; max_ejection_time caps it', () => {
  const t = clock();
  const rt = createClusterRuntime(cluster({ outlier_detection: { consecutive_5xx: { value: 1 }, base_ejection_time: seconds(30), max_ejection_time: seconds(50), interval: seconds(10), max_ejection_percent: { value: 100 } } }), { now: t.now });
  const a = ep(1);
  rt.setEndpoints([a, ep(2)]);
  rt.record(a, response(500));
  t.advance(30_000);
  rt.pick(new Set());
  rt.record(a, response(500));
  // Second ejection: 2 x 30s = 60s, capped at 50s.
  assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, t.now() + 50_000);
  t.advance(50_000);
  // Back in service; two intervals with no ejection bring the multiplier from 2 to 0.
  t.advance(20_000);
  rt.pick(new Set());
  rt.record(a, response(500));
  assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, t.now() + 30_000);
  rt.close();
});

test('gateway failures: 502/503/504 and connect failures count, a 500 resets; enforcing defaults to 0 (off)', () => {
  const t = clock();
  const od = (enforcing: number | undefined): Init<envoy.Cluster> => ({ outlier_detection: { consecutive_5xx: { value: 0 }, consecutive_gateway_failure: { value: 2 }, ...(enforcing === undefined ? {} : { enforcing_consecutive_gateway_failure: { value: enforcing } }), max_ejection_percent: { value: 100 } } });
  const off = createClusterRuntime(cluster(od(undefined)), { now: t.now });
  const on = createClusterRuntime(cluster(od(100)), { now: t.now });
  for (const rt of [off, on]) {
    const a = ep(1);
    rt.setEndpoints([a, ep(2)]);
    rt.record(a, response(503));
    rt.record(a, response(500)); // not a gateway error: resets
    rt.record(a, response(504));
    assert.equal(rt.snapshot().endpoints[0]?.ejectedUntil, undefined);
    rt.record(a, failure('connect-failure'));
  }
  assert.equal(off.snapshot().endpoints[0]?.ejectedUntil, undefined);
  assert.equal(on.snapshot().endpoints[0]?.ejectedUntil, t.now() + 30_000);
  off.close();
  on.close();
});

test('max_ejection_percent: a host is ejected only while 100 x (ejected + 1) / hosts stays within it', () => {
  const cases: Array<[number, number, number]> = [
    // [hosts, max_ejection_percent, hosts ejected after every host fails]
    [4, 50, 2],
    [4, 100, 4],
    [3, 10, 0], // Istio's default 10% ejects nothing below 10 hosts
    [10, 10, 1],
    [5, 0, 0],
  ];
  for (const [n, max, want] of cases) {
    const rt = createClusterRuntime(cluster({ outlier_detection: { consecutive_5xx: { value: 1 }, max_ejection_percent: { value: max } } }));
    const eps = Array.from({ length: n }, (_, i) => ep(i + 1));
    rt.setEndpoints(eps);
    for (const e of eps) rt.record(e, response(500));
    assert.equal(rt.snapshot().endpoints.filter((e) => e.ejectedUntil !== undefined).length, want, `${n} hosts, ${max}%`);
    // When every host is ejected, panic mode still serves.
    assert.ok(rt.pick(new Set()));
    rt.close();
  }
});

test('EDS updates keep the ejection of endpoints still present and forget removed ones', () => {
  const t = clock();
  const rt = createClusterRuntime(cluster({ outlier_detection: { consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 } } }), { now: t.now });
  rt.setEndpoints([ep(1), ep(2)]);
  rt.record(ep(1), response(500));
  rt.setEndpoints([ep(1), ep(3)]);
  assert.deepEqual(rt.snapshot().endpoints.map((e) => [e.ip, e.ejectedUntil]), [['10.0.0.1', t.now() + 30_000], ['10.0.0.3', undefined]]);
  rt.close();
});

test('clusters the waypoint cannot honour are refused with AMBIT_WAYPOINT_CONFIG', () => {
  const cases: Array<[Init<envoy.Cluster>, RegExp]> = [
    [{ lb_policy: 'RING_HASH' }, /Cluster "c"\.lb_policy: RING_HASH is not supported/],
    [{ type: 'STATIC' }, /Cluster "c"\.type: only EDS is supported/],
    [{ outlier_detection: { split_external_local_origin_errors: true } }, /outlier_detection\.split_external_local_origin_errors: is not supported/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => createClusterRuntime(cluster(patch)), (e: unknown) => (e as { code?: string }).code === 'AMBIT_WAYPOINT_CONFIG' && message.test((e as Error).message));
  }
});
