// The report's (c) column: absolute figures, ratios to (a) and to (b), n/a where bulk is not
// measured through the waypoint, and the waypoint's own cost rows. The run below is made up; the
// expected cells are worked out by hand from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown, renderSvg } from './report.ts';
import { FIGURES, type PathId, type Results } from './run.ts';

const lat = (p50: number, p90: number, p99: number) => ({ p50, p90, p99, requests: 1000, failed: 0 });

function run(): Results {
  const per = (direct: number[], ztunnel: number[], waypoint: number[], haproxy: number[]): Record<PathId, number[]> => ({ direct, ztunnel, waypoint, haproxy });
  const figures = Object.fromEntries(FIGURES.map((f) => [f, per([1], [1], [1], [1])])) as Results['figures'];
  figures.bulk1 = per([10, 12, 11], [2, 1, 3], [], [4, 4, 4]);
  figures.rps64 = per([20_000, 18_000, 22_000], [10_000, 11_000, 9_000], [5_000, 4_000, 6_000], [8_000, 8_000, 8_000]);
  const cost = (name: string, cpu: number[], rss: number[], conn: number[] = []) => ({ name, cpuPer1000: cpu, peakRssMb: rss, cpuPerConnUs: conn });
  return {
    options: { labName: 'x', seconds: 5, latencySeconds: 10, latencyRate: 1000, rounds: 3, smoke: false, pin: true },
    startedAt: new Date('2026-11-22T13:00:00Z'),
    finishedAt: new Date('2026-11-22T13:08:00Z'),
    figures,
    moved: { direct: { bytes: 1, requests: 1, failed: 0 }, ztunnel: { bytes: 1, requests: 1, failed: 0 }, waypoint: { bytes: 0, requests: 3000, failed: 0 }, haproxy: { bytes: 1, requests: 1, failed: 0 } },
    latency: {
      direct: [lat(0.1, 0.2, 0.5), lat(0.1, 0.2, 0.5), lat(0.1, 0.2, 0.5)],
      ztunnel: [lat(0.3, 0.5, 1.0), lat(0.3, 0.5, 1.0), lat(0.3, 0.5, 1.0)],
      waypoint: [lat(0.9, 1.5, 3.0), lat(0.8, 1.4, 2.0), lat(1.0, 1.6, 4.0)],
      haproxy: [lat(0.2, 0.4, 0.9), lat(0.2, 0.4, 0.9), lat(0.2, 0.4, 0.9)],
    },
    cost: {
      ztunnel: [cost('ztunnel node-2 (client side)', [0.05, 0.05, 0.05], [150, 150, 150], [200, 220, 210]), cost('ztunnel node-1 (server side)', [0.04, 0.04, 0.04], [140, 140, 140], [180, 190, 170])],
      waypoint: [
        cost('ztunnel node-2 (client side)', [0.06, 0.06, 0.06], [160, 160, 160]),
        cost('ztunnel node-1 (server side)', [0.05, 0.05, 0.05], [150, 150, 150]),
        cost('waypoint node-1', [0.3, 0.2, 0.4], [110, 120, 100]),
      ],
      haproxy: [cost('haproxy outbound (client pod)', [0.04, 0.04, 0.04], [19, 19, 19], [400, 420, 410]), cost('haproxy inbound (server pod)', [0.03, 0.03, 0.03], [23, 23, 23], [360, 360, 360])],
    },
    idle: [
      { name: 'ztunnel node-1', rssMb: 155 },
      { name: 'ztunnel node-2', rssMb: 154 },
      { name: 'waypoint node-1', rssMb: 95.5 },
      { name: 'haproxy outbound (client pod)', rssMb: 14.5 },
      { name: 'haproxy inbound (server pod)', rssMb: 19.3 },
    ],
    lifetimePeakMb: [
      { name: 'ztunnel node-2 (client side)', peakMb: 300 },
      { name: 'ztunnel node-1 (server side)', peakMb: 310 },
      { name: 'waypoint node-1', peakMb: 130 },
      { name: 'haproxy outbound (client pod)', peakMb: 19 },
      { name: 'haproxy inbound (server pod)', peakMb: 23 },
    ],
    waypointCounted: 3020,
    waypointLogBytes: 3 * 2 ** 20,
  };
}

const EXTRA = { machine: 'm', command: 'c', tools: 't', durationS: 480, controlPlane: [], note: '' };

test('the (c) column: absolute, ratio to (a), ratio to (b); n/a where not measured', () => {
  const md = renderMarkdown(run(), EXTRA, 'chart.svg');
  const row = (start: string): string[] => {
    const line = md.split('\n').find((l) => l.startsWith(`| ${start}`));
    assert.ok(line, `no row starting "${start}"`);
    return line.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, ''));
  };
  const cases: Array<{ row: string; want: string[] }> = [
    // a cell is the median and (min–max) over the 3 rounds; columns: figure, (a), (b), (c), (d), (b)/(a), (b)/(d), (c)/(a), (c)/(b)
    // bulk: medians 11, 2, none, 4: (b)/(a) 2/11, (b)/(d) 2/4, (c) n/a everywhere
    { row: 'bulk TCP, 1 connection', want: ['bulk TCP, 1 connection (iperf3), Gbit/s', '11.00 (10.00–12.00)', '2.00 (1.00–3.00)', 'n/a', '4.00 (4.00–4.00)', '0.18x', '0.50x', 'n/a', 'n/a'] },
    // requests/s at 64: medians 20,000, 10,000, 5,000, 8,000
    { row: 'HTTP/1.1 requests/s, 64', want: ['HTTP/1.1 requests/s, 64 connections, 1 KiB body', '20,000 (18,000–22,000)', '10,000 (9,000–11,000)', '5,000 (4,000–6,000)', '8,000 (8,000–8,000)', '0.50x', '1.25x', '0.25x', '0.50x'] },
    // p99 medians 0.5, 1.0, 3.0, 0.9: (c) adds 2.5 ms over (a) (6x) and 2.0 ms over (b) (3x)
    { row: 'latency p99', want: ['latency p99 at 1,000 req/s, ms', '0.500 (0.500–0.500)', '1.000 (1.000–1.000)', '3.000 (2.000–4.000)', '0.900 (0.900–0.900)', '+0.500 ms (2.00x)', '1.11x; added +0.500 ms vs +0.400 ms', '+2.500 ms (6.00x)', '+2.000 ms (3.00x)'] },
    // the waypoint's CPU median 0.3 and peak RSS median 110
    { row: 'CPU-s per 1,000 requests at 1,000 req/s (= vCPU per 1,000 req/s), the waypoint', want: ['CPU-s per 1,000 requests at 1,000 req/s (= vCPU per 1,000 req/s), the waypoint', '-', '-', '0.300 (0.200–0.400)', '-', '-', '-', '-', '-'] },
    // all proxies: (b) 0.09, (c) 0.06+0.05+{0.3,0.2,0.4} = {0.41,0.31,0.51}, (d) 0.07
    { row: 'CPU-s per 1,000 requests at 1,000 req/s (= vCPU per 1,000 req/s), all proxies', want: ['CPU-s per 1,000 requests at 1,000 req/s (= vCPU per 1,000 req/s), all proxies of the path together', '-', '0.090 (0.090–0.090)', '0.410 (0.310–0.510)', '0.070 (0.070–0.070)', '-', '1.29x', '-', '4.56x'] },
    // CPU per new connection: client side medians 210 (b) and 410 (d); (c)'s ztunnels were not watched in that phase here (n/a)
    { row: 'CPU per new connection (wrk phase), microseconds, ztunnel or haproxy on the client side', want: ['CPU per new connection (wrk phase), microseconds, ztunnel or haproxy on the client side', '-', '210 (200–220)', 'n/a', '410 (400–420)', '-', '0.51x', '-', 'n/a'] },
    { row: 'CPU per new connection (wrk phase), microseconds, ztunnel or haproxy on the server side', want: ['CPU per new connection (wrk phase), microseconds, ztunnel or haproxy on the server side', '-', '180 (170–190)', 'n/a', '360 (360–360)', '-', '0.50x', '-', 'n/a'] },
    { row: 'peak RSS during the 1,000 req/s phase, MB, the waypoint', want: ['peak RSS during the 1,000 req/s phase, MB, the waypoint', '-', '-', '110.0 (100.0–120.0)', '-', '-', '-', '-', '-'] },
    { row: 'idle RSS after start, MB, the waypoint', want: ['idle RSS after start, MB, the waypoint', '-', '-', '95.5', '-', '-', '-', '-', '-'] },
    { row: 'lifetime peak', want: ['lifetime peak RSS (VmHWM) at the end of the run, MB, client / server side (/ waypoint)', '-', '300.0 / 310.0', 'same ztunnels / 130.0', '19.0 / 23.0', '-', '-', '-', '-'] },
  ];
  for (const c of cases) assert.deepEqual(row(c.row), c.want, c.row);
  assert.match(md, /\| waypoint <= 0\.25 CPU-s per 1,000 requests \(Istio's Envoy waypoint\) \| 0\.300 \| \*\*no\*\* \|/);
  assert.match(md, /\| >= 3,000 new connections\/s through the ztunnel pair \| 1\.000\/s \(both ztunnels on one core; 210 \+ 180 CPU-microseconds per connection\) \| \*\*no\*\* \|/);
  assert.match(md, /the waypoint pod ran on node-1 \(/);
  assert.match(md, /counted 3,020 requests over the run, warm-up included; the load generators completed 3,000 on \(c\)/);
  // 3 MiB over 3,020 requests: 1,041.6 bytes each
  assert.match(md, /its pod log held 3\.0 MB at the end \(1,042 bytes per counted request\)/);
  assert.doesNotMatch(md, /not built/);
});

test('the chart has a (c) series, n/a for its bulk bars', () => {
  const svg = renderSvg(run());
  assert.match(svg, /<title>req\/s c64 \(c\) ztunnels \+ waypoint: 0\.25<\/title>/);
  assert.match(svg, /<title>bulk x1 \(c\) ztunnels \+ waypoint: n\/a<\/title>/);
});
