import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { silentLogger } from '@ambit/core';
import { RequestTelemetry, type RequestRecord } from './requests.ts';

const CLIENT = 'spiffe://cluster.local/ns/shop/sa/client';
const SERVER = 'spiffe://cluster.local/ns/shop/sa/server';

function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    startTime: new Date('2026-11-22T12:00:00Z'), method: 'GET', path: '/', protocol: 'HTTP/1.1', grpc: false, authority: 'server', requestId: 'id', principal: CLIENT, sourceAddress: '10.0.0.1:1234',
    chain: 'server.shop.svc.cluster.local:8080', responseCode: 200, grpcStatus: '', responseFlags: '-', bytesReceived: 0, bytesSent: 1024, durationMs: 3,
    upstreamHost: '10.0.0.2:8080', upstreamCluster: 'outbound|8080||server.shop.svc.cluster.local', upstreamPrincipal: SERVER, attempts: 1, route: 'default', policy: undefined, audited: [], details: undefined,
    ...overrides,
  };
}

test('each label set is its own series, however often it repeats; an absent principal is "unknown", an empty one stays empty', async () => {
  const registry = new Registry();
  const telemetry = new RequestTelemetry(registry, silentLogger);
  for (let i = 0; i < 3; i++) telemetry.finish(record({}));
  telemetry.finish(record({ responseCode: 503, responseFlags: 'UF,URX', bytesSent: 91 }));
  telemetry.finish(record({ principal: undefined }));
  telemetry.finish(record({ principal: '' }));
  const requests = (await registry.getSingleMetric('istio_requests_total')?.get())?.values ?? [];
  const count = (labels: Record<string, string>): number | undefined => requests.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  assert.equal(requests.length, 4);
  assert.equal(count({ source_principal: CLIENT, response_code: '200', response_flags: '-', destination_principal: SERVER, destination_service: 'server.shop.svc.cluster.local', destination_service_name: 'server', destination_service_namespace: 'shop', source_workload_namespace: 'shop', reporter: 'waypoint', request_protocol: 'http' }), 3);
  assert.equal(count({ response_code: '503', response_flags: 'UF,URX' }), 1);
  assert.equal(count({ source_principal: 'unknown', source_workload_namespace: 'unknown' }), 1);
  assert.equal(count({ source_principal: '' }), 1);
  const sizes = (await registry.getSingleMetric('istio_response_bytes')?.get())?.values ?? [];
  const sum = sizes.find((v) => (v as { metricName?: string }).metricName === 'istio_response_bytes_sum' && v.labels['response_code'] === '200' && v.labels['source_principal'] === CLIENT);
  assert.equal(sum?.value, 3 * 1024);
});

test('the /metrics text: Prometheus counter and cumulative, upper-inclusive histogram buckets per label set', async () => {
  const registry = new Registry();
  const telemetry = new RequestTelemetry(registry, silentLogger);
  telemetry.finish(record({ durationMs: 0.5, bytesReceived: 0, bytesSent: 1000 }));
  telemetry.finish(record({ durationMs: 3, bytesReceived: 10, bytesSent: 1001 }));
  const text = await registry.metrics();
  const labels = `reporter="waypoint",source_principal="${CLIENT}",source_workload="unknown",source_workload_namespace="shop",destination_principal="${SERVER}",destination_workload="unknown",destination_service="server.shop.svc.cluster.local",destination_service_name="server",destination_service_namespace="shop",request_protocol="http",response_code="200",grpc_response_status="",response_flags="-",connection_security_policy="mutual_tls"`;
  const want = [
    '# HELP istio_requests_total Requests handled by this waypoint',
    '# TYPE istio_requests_total counter',
    `istio_requests_total{${labels}} 2`,
    '# TYPE istio_request_duration_milliseconds histogram',
    `istio_request_duration_milliseconds_bucket{${labels},le="0.5"} 1`,
    `istio_request_duration_milliseconds_bucket{${labels},le="1"} 1`,
    `istio_request_duration_milliseconds_bucket{${labels},le="5"} 2`,
    `istio_request_duration_milliseconds_bucket{${labels},le="3600000"} 2`,
    `istio_request_duration_milliseconds_bucket{${labels},le="+Inf"} 2`,
    `istio_request_duration_milliseconds_sum{${labels}} 3.5`,
    `istio_request_duration_milliseconds_count{${labels}} 2`,
    `istio_request_bytes_bucket{${labels},le="1"} 1`,
    `istio_request_bytes_bucket{${labels},le="10"} 2`,
    `istio_request_bytes_sum{${labels}} 10`,
    `istio_response_bytes_bucket{${labels},le="100"} 0`,
    `istio_response_bytes_bucket{${labels},le="1000"} 1`,
    `istio_response_bytes_bucket{${labels},le="10000"} 2`,
    `istio_response_bytes_sum{${labels}} 2001`,
    `istio_response_bytes_count{${labels}} 2`,
  ];
  const lines = new Set(text.split('\n'));
  for (const line of want) assert.ok(lines.has(line), `missing: ${line}`);
  // Every bucket line of a series: 19 duration bounds and 10 size bounds, each plus +Inf.
  assert.equal(text.split('\n').filter((l) => l.startsWith('istio_request_duration_milliseconds_bucket{')).length, 20);
  assert.equal(text.split('\n').filter((l) => l.startsWith('istio_response_bytes_bucket{')).length, 11);
});

test('resetMetrics zeroes the series and later requests count from zero', async () => {
  const registry = new Registry();
  const telemetry = new RequestTelemetry(registry, silentLogger);
  telemetry.finish(record({}));
  registry.resetMetrics();
  telemetry.finish(record({}));
  const requests = (await registry.getSingleMetric('istio_requests_total')?.get())?.values ?? [];
  assert.deepEqual(requests.map((v) => v.value), [1]);
});
