// Expected values are Istio's documented DestinationRule semantics and defaults (outlierDetection
// interval 10s, baseEjectionTime 30s, maxEjectionPercent 10; connect timeout 10s) and Envoy's
// field meanings, written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type DestinationRule, type Service } from '@ambit/api';
import { decodeMessage, encodeMessage, type envoy } from '@ambit/xds-types';
import { cluster, clusterName, durationMs } from './clusters.ts';

const CDS_TYPE = 'envoy.config.cluster.v3.Cluster';
const HOST = 'reviews.prod.svc.cluster.local';
const NAME = 'outbound|9080||reviews.prod.svc.cluster.local';

function parse<T>(objects: object[]): T[] {
  const { resources, problems } = parseResources([{ path: 't.json', text: objects.map((o) => JSON.stringify(o)).join('\n---\n') }]);
  assert.deepEqual(problems.filter((p) => p.severity !== 'warning'), []);
  return resources as unknown as T[];
}

const [reviews] = parse<Service>([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'prod' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } }]);
assert.ok(reviews);
const port = reviews.spec.ports[0] ?? assert.fail('no port');

function dr(name: string, ns: string, host: string, trafficPolicy?: object): DestinationRule {
  const [rule] = parse<DestinationRule>([{ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec: trafficPolicy ? { host, trafficPolicy } : { host } }]);
  return rule ?? assert.fail('no rule');
}

function wire(destinationRule: DestinationRule | undefined): envoy.Cluster {
  return decodeMessage<envoy.Cluster>(CDS_TYPE, encodeMessage(CDS_TYPE, cluster({ name: clusterName(port.port, HOST), trafficPolicy: destinationRule?.spec.trafficPolicy })));
}

test('without a DestinationRule: EDS named like istiod, 10s connect timeout, round robin, no outlier detection, unlimited breakers, no retry budget', () => {
  const c = wire(undefined);
  assert.equal(c.name, NAME);
  assert.equal(c.type, 'EDS');
  assert.equal(c.eds_cluster_config?.service_name, NAME);
  assert.notEqual(c.eds_cluster_config?.eds_config?.ads, null);
  assert.deepEqual(c.connect_timeout, { seconds: '10', nanos: 0 });
  assert.equal(c.lb_policy, 'ROUND_ROBIN');
  assert.equal(c.outlier_detection, null);
  const [t] = c.circuit_breakers?.thresholds ?? [];
  assert.equal(t?.max_connections?.value, 4294967295);
  assert.equal(t?.max_pending_requests?.value, 4294967295);
  assert.equal(t?.max_requests?.value, 4294967295);
  assert.equal(t?.max_retries?.value, 4294967295);
  // Istio sets no retry budget unless the DestinationRule asks for one.
  assert.equal(t?.retry_budget, null);
});

test('trafficPolicy.retryBudget -> retry_budget; unset parts get Envoy defaults (20%, 3)', () => {
  const [full] = wire(dr('d', 'prod', 'reviews', { retryBudget: { percent: 25.5, minRetryConcurrency: 5 } })).circuit_breakers?.thresholds ?? [];
  assert.equal(full?.retry_budget?.budget_percent?.value, 25.5);
  assert.equal(full?.retry_budget?.min_retry_concurrency?.value, 5);
  const [partial] = wire(dr('d', 'prod', 'reviews', { retryBudget: {} })).circuit_breakers?.thresholds ?? [];
  assert.equal(partial?.retry_budget?.budget_percent?.value, 20);
  assert.equal(partial?.retry_budget?.min_retry_concurrency?.value, 3);
});

test('outlierDetection: given values, and Istio defaults for the rest when the block is present', () => {
  const full = wire(dr('d', 'prod', 'reviews', { outlierDetection: { consecutive5xxErrors: 3, consecutiveGatewayErrors: 0, interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 50 } })).outlier_detection;
  assert.equal(full?.consecutive_5xx?.value, 3);
  assert.equal(full?.enforcing_consecutive_5xx?.value, 100);
  // A count of 0 turns that detector off.
  assert.equal(full?.consecutive_gateway_failure?.value, 0);
  assert.equal(full?.enforcing_consecutive_gateway_failure?.value, 0);
  assert.deepEqual(full?.interval, { seconds: '5', nanos: 0 });
  assert.deepEqual(full?.base_ejection_time, { seconds: '60', nanos: 0 });
  assert.equal(full?.max_ejection_percent?.value, 50);

  const defaults = wire(dr('d', 'prod', 'reviews', { outlierDetection: { consecutiveGatewayErrors: 7 } })).outlier_detection;
  assert.deepEqual(defaults?.interval, { seconds: '10', nanos: 0 });
  assert.deepEqual(defaults?.base_ejection_time, { seconds: '30', nanos: 0 });
  assert.equal(defaults?.max_ejection_percent?.value, 10);
  assert.equal(defaults?.consecutive_gateway_failure?.value, 7);
  assert.equal(defaults?.enforcing_consecutive_gateway_failure?.value, 100);
  assert.equal(defaults?.consecutive_5xx, null);
});

test('connectionPool -> circuit breaker thresholds; tcp.connectTimeout -> connect_timeout', () => {
  const c = wire(dr('d', 'prod', 'reviews', { connectionPool: { tcp: { maxConnections: 10, connectTimeout: '250ms' }, http: { http1MaxPendingRequests: 5, http2MaxRequests: 50, maxRetries: 2 } } }));
  const [t] = c.circuit_breakers?.thresholds ?? [];
  assert.equal(t?.priority, 'DEFAULT');
  assert.equal(t?.max_connections?.value, 10);
  assert.equal(t?.max_pending_requests?.value, 5);
  assert.equal(t?.max_requests?.value, 50);
  assert.equal(t?.max_retries?.value, 2);
  assert.equal(t?.retry_budget, null);
  assert.deepEqual(c.connect_timeout, { seconds: '0', nanos: 250_000_000 });
});

test('lb_policy from loadBalancer.simple (LEAST_CONN is the old name of LEAST_REQUEST)', () => {
  const cases: Array<[string | undefined, string]> = [[undefined, 'ROUND_ROBIN'], ['ROUND_ROBIN', 'ROUND_ROBIN'], ['LEAST_REQUEST', 'LEAST_REQUEST'], ['LEAST_CONN', 'LEAST_REQUEST'], ['RANDOM', 'RANDOM']];
  for (const [simple, want] of cases) {
    const rule = dr('d', 'prod', 'reviews', simple ? { loadBalancer: { simple } } : undefined);
    assert.equal(wire(rule).lb_policy, want, String(simple));
  }
});

test('durations: Istio (Go) and Gateway API forms in milliseconds; anything else falls back instead of throwing', () => {
  const cases: Array<[string | undefined, number]> = [
    ['10s', 10_000], ['1.5s', 1500], ['300ms', 300], ['1m30s', 90_000], ['1h', 3_600_000], ['250us', 0.25], ['0', 0], ['0s', 0],
    [undefined, -1], ['', -1], ['10', -1], ['ten seconds', -1], ['5s junk', -1],
  ];
  for (const [text, want] of cases) assert.equal(durationMs(text, -1), want, String(text));
});
