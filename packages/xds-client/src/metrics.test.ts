import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelledCounter, XdsClientMetrics, type CollectableMetric, type MetricsRegistry } from './metrics.ts';

/** The registry protocol as prom-client implements it: metrics keyed by their `name`. */
class FakeRegistry implements MetricsRegistry {
  readonly metrics = new Map<string, CollectableMetric>();
  registerMetric(metric: CollectableMetric): void {
    const name = (metric as unknown as { name: string }).name;
    if (this.metrics.has(name)) throw new Error(`A metric with the name ${name} has already been registered.`);
    this.metrics.set(name, metric);
  }
  getSingleMetric(name: string): unknown {
    return this.metrics.get(name);
  }
}

test('metrics: Istio names, counters shared by two clients of one registry', async () => {
  const registry = new FakeRegistry();
  const a = new XdsClientMetrics(registry);
  const b = new XdsClientMetrics(registry); // must not throw "already registered"
  a.received('type.googleapis.com/istio.workload.Address', 100);
  b.received('type.googleapis.com/istio.workload.Address', 50);
  a.terminated('Reconnect');
  assert.deepEqual([...registry.metrics.keys()], ['istio_xds_connection_terminations_total', 'istio_xds_message_total', 'istio_xds_message_bytes_total']);
  const bytes = registry.metrics.get('istio_xds_message_bytes_total');
  assert.deepEqual(await bytes?.get(), {
    name: 'istio_xds_message_bytes_total',
    help: 'Total number of bytes received (unstable)',
    type: 'counter',
    aggregator: 'sum',
    values: [{ value: 150, labels: { url: 'type.googleapis.com/istio.workload.Address' } }],
  });
  const terminations = registry.metrics.get('istio_xds_connection_terminations_total') as LabelledCounter;
  assert.equal(terminations.value('Reconnect'), 1);
  terminations.reset();
  assert.equal(terminations.value('Reconnect'), 0);
});

test('metrics: without a registry nothing is registered and nothing throws', () => {
  const m = new XdsClientMetrics(undefined);
  m.received('x', 1);
  m.terminated('Complete');
});

test('metrics: label values are capped (no unbounded series)', async () => {
  const c = new LabelledCounter('c_total', 'help', 'url');
  for (let i = 0; i < 100; i++) c.inc({ url: `u${i}` });
  const got = (await c.get()) as { values: unknown[] };
  assert.equal(got.values.length, 64);
});
