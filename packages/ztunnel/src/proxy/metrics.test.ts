// Istio's TCP counters per label set, read back from the /metrics text a scrape gets: repeated
// label sets add up in one series, another response flag is another series, and a counter no
// connection moved (failed) is not exposed at all. Expected lines written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { TRAFFIC_LABELS, TcpMetrics, type TrafficLabels } from './metrics.ts';

function labels(flags: string): TrafficLabels {
  const all = Object.fromEntries(TRAFFIC_LABELS.map((name) => [name, 'unknown'])) as TrafficLabels;
  return { ...all, reporter: 'source', source_workload: 'web', destination_workload: 'db', response_flags: flags, connection_security_policy: 'mutual_tls' };
}

/** The value of the series of `metric` whose labels include every `want` pair, or undefined. */
function value(text: string, metric: string, want: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(want).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('counters per label set, as a scrape reads them', async () => {
  const registry = new Registry();
  const metrics = new TcpMetrics(registry);
  // Two clean connections and one that failed to connect, same workloads.
  for (const bytes of [100, 250]) {
    const s = metrics.series(labels('-'));
    s.inc('opened');
    s.inc('closed');
    s.inc('received', bytes);
    s.inc('sent', bytes * 2);
  }
  const failed = metrics.series(labels('CONNECT'));
  failed.inc('closed');
  failed.inc('failed');
  const text = await registry.metrics();
  const cases: Array<{ metric: string; flags: string; want: number | undefined }> = [
    { metric: 'istio_tcp_connections_opened_total', flags: '-', want: 2 },
    { metric: 'istio_tcp_connections_closed_total', flags: '-', want: 2 },
    { metric: 'istio_tcp_received_bytes_total', flags: '-', want: 350 },
    { metric: 'istio_tcp_sent_bytes_total', flags: '-', want: 700 },
    { metric: 'istio_tcp_connections_closed_total', flags: 'CONNECT', want: 1 },
    { metric: 'istio_tcp_connections_failed_total', flags: 'CONNECT', want: 1 },
    // never moved: no series at all
    { metric: 'istio_tcp_connections_failed_total', flags: '-', want: undefined },
    { metric: 'istio_tcp_connections_opened_total', flags: 'CONNECT', want: undefined },
  ];
  for (const c of cases) assert.equal(value(text, c.metric, { response_flags: c.flags, source_workload: 'web', destination_workload: 'db', reporter: 'source' }), c.want, `${c.metric}{response_flags="${c.flags}"}`);
  assert.match(text, /# TYPE istio_tcp_connections_opened_total counter/);
  // One label set is one series: the two clean connections did not make two.
  assert.equal(text.split('\n').filter((l) => l.startsWith('istio_tcp_connections_opened_total{')).length, 1);
});

test('the same label values are the same series, whatever object carries them', () => {
  const metrics = new TcpMetrics(new Registry());
  assert.equal(metrics.series(labels('-')), metrics.series(labels('-')));
  assert.notEqual(metrics.series(labels('-')), metrics.series(labels('DENY')));
  // Values that would run together if the key were the values joined with a separator.
  // (source_workload and source_canonical_service are neighbours in the label order.)
  const pairs: Array<[[string, string], [string, string]]> = [
    [['a\nb', 'c'], ['a', 'b\nc']],
    [['a:b', 'c'], ['a', 'b:c']],
    [['1:a', 'b'], ['1', ':ab']],
  ];
  for (const [[w1, s1], [w2, s2]] of pairs) {
    const a = metrics.series({ ...labels('-'), source_workload: w1, source_canonical_service: s1 });
    const b = metrics.series({ ...labels('-'), source_workload: w2, source_canonical_service: s2 });
    assert.notEqual(a, b, `${JSON.stringify([w1, s1])} vs ${JSON.stringify([w2, s2])}`);
  }
});
