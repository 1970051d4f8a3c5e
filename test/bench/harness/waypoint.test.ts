// countRequests reads Istio's request counter from a Prometheus text exposition (format 0.0.4) the
// way the benchmark's warm-up needs: only istio_requests_total, only samples whose labels match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_REQUESTS, countRequests } from './waypoint.ts';

const served = (code: string, name = 'server', value = '1'): string =>
  `istio_requests_total{reporter="waypoint",source_principal="spiffe://cluster.local/ns/l7/sa/client",destination_service="${name}.l7.svc.cluster.local",destination_service_name="${name}",destination_service_namespace="l7",response_code="${code}",response_flags="-"} ${value}`;

const HEADER = '# HELP istio_requests_total Requests handled by this waypoint\n# TYPE istio_requests_total counter';

test('countRequests sums the matching istio_requests_total samples', () => {
  const cases: Array<{ name: string; text: string; want: number }> = [
    { name: 'no samples yet: only HELP and TYPE', text: HEADER, want: 0 },
    { name: 'one matching sample', text: `${HEADER}\n${served('200', 'server', '7')}`, want: 7 },
    { name: 'two label sets both matching (different sources) add up', text: `${served('200', 'server', '3')}\n${served('200', 'server', '4').replace('sa/client', 'sa/other')}`, want: 7 },
    { name: 'another response code is not counted', text: `${served('200', 'server', '5')}\n${served('503', 'server', '9')}`, want: 5 },
    { name: 'another service is not counted', text: `${served('200', 'other', '9')}`, want: 0 },
    {
      name: 'histogram series of the same request are other metrics',
      text: `istio_request_duration_milliseconds_bucket{reporter="waypoint",destination_service_name="server",destination_service_namespace="l7",response_code="200",le="1"} 12\nistio_requests_total_created{reporter="waypoint"} 5\n${served('200', 'server', '2')}`,
      want: 2,
    },
    { name: 'escaped quote and comma inside a label value', text: served('200', 'server', '6').replace('response_flags="-"', 'response_flags="a\\",b"'), want: 6 },
    { name: 'a sample with a timestamp', text: `${served('200', 'server', '4')} 1700000000000`, want: 4 },
    { name: 'floating point value', text: served('200', 'server', '1.5e3'), want: 1500 },
  ];
  for (const c of cases) assert.equal(countRequests(c.text, BENCH_REQUESTS), c.want, c.name);
});

test('countRequests names the line it cannot read', () => {
  const cases: Array<{ name: string; text: string; error: RegExp }> = [
    { name: 'no value', text: `${HEADER}\nistio_requests_total{reporter="waypoint"}`, error: /^Error: metrics line 3: cannot read the istio_requests_total sample/ },
    { name: 'value is not a number', text: 'istio_requests_total{reporter="waypoint"} many', error: /metrics line 1: cannot read the istio_requests_total sample/ },
    { name: 'unquoted label value', text: 'istio_requests_total{reporter=waypoint} 1', error: /metrics line 1: cannot read the labels/ },
  ];
  for (const c of cases) assert.throws(() => countRequests(c.text, BENCH_REQUESTS), (e: unknown) => c.error.test(String(e)), c.name);
});
