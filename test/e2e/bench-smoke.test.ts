// Smoke run of the mesh benchmark (test/bench/mesh.ts): every path (direct, ztunnels over HBONE,
// ztunnels and a waypoint, the haproxy mTLS pair) and every load generator (iperf3, wrk, h2load at
// 1/16/64 connections, the fixed-rate latency run) works, with tiny loads. Asserts only that bytes
// and requests moved on each path, and that the waypoint itself counted path (c)'s requests; never
// a timing, so it cannot flake on a busy machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@ambit/core';
import { runBench, measured, FIGURES, PATHS } from '../bench/harness/run.ts';
import { renderMarkdown, renderSvg } from '../bench/harness/report.ts';
import { labName, leftovers } from './helpers.ts';

const LAB = labName('bs');

test('mesh benchmark smoke: every path moves bytes and requests', { timeout: 150_000 }, async () => {
  const results = await runBench({
    labName: LAB,
    seconds: 1,
    latencySeconds: 1,
    latencyRate: 100,
    rounds: 1,
    smoke: true,
    pin: false,
    log: () => undefined,
  });
  for (const path of PATHS) {
    const moved = results.moved[path];
    // Bulk (iperf3) runs on every path but (c): an HTTP waypoint carries requests, not a byte stream.
    if (FIGURES.some((f) => f.startsWith('bulk') && measured(f, path))) assert.ok(moved.bytes > 0, `${path}: iperf3 moved no bytes`);
    assert.ok(moved.requests > 0, `${path}: no request completed`);
    assert.equal(moved.failed, 0, `${path}: ${moved.failed} requests failed`);
    for (const figure of FIGURES) {
      if (measured(figure, path)) assert.ok((results.figures[figure][path][0] ?? 0) > 0, `${path} ${figure} measured nothing`);
      else assert.deepEqual(results.figures[figure][path], [], `${path} ${figure} is not measured, yet has values`);
    }
    assert.ok((results.latency[path][0]?.requests ?? 0) > 0, `${path}: the fixed-rate run completed no request`);
  }
  assert.equal(results.cost.ztunnel.length, 2, 'both ztunnels watched on (b)');
  assert.deepEqual(
    results.cost.waypoint.map((c) => c.name.split(' ')[0]),
    ['ztunnel', 'ztunnel', 'waypoint'],
    'both ztunnels and the waypoint watched on (c)',
  );
  assert.ok(results.idle.some((c) => c.name.startsWith('ztunnel') && c.rssMb > 0), 'idle RSS of the ztunnels read');
  assert.ok(results.idle.some((c) => c.name.startsWith('waypoint') && c.rssMb > 0), 'idle RSS of the waypoint read');
  // The waypoint's own counter saw (c)'s requests: path (c) really went through it.
  assert.ok(results.waypointCounted >= results.moved.waypoint.requests, `the waypoint counted ${results.waypointCounted} requests of path (c), the load generators completed ${results.moved.waypoint.requests}`);
  // The report renders from a smoke run too; bulk through the waypoint is n/a.
  const markdown = renderMarkdown(results, { machine: 'smoke', command: 'smoke', tools: 'smoke', durationS: 1, controlPlane: [], note: '' }, 'mesh.svg');
  assert.match(markdown, /\| bulk TCP, 1 connection \(iperf3\), Gbit\/s \| [^|]+ \| [^|]+ \| n\/a \|/);
  assert.doesNotMatch(markdown, /not built/);
  assert.match(renderSvg(results), /^<svg[\s\S]*\(c\) ztunnels \+ waypoint/);
  // Everything the run started is gone (processes may need a moment to be reaped after lab down).
  let left: string[] = [];
  await waitFor(async () => (left = await leftovers(LAB)).length === 0, { timeoutMs: 5000, what: 'the lab to leave nothing behind' }).catch(() => undefined);
  assert.deepEqual(left, []);
});
