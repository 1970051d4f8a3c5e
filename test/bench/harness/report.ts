// Renders a run as a Markdown section (table of absolute figures and ratios, targets, idle memory,
// control-plane and CA reports) and a small SVG bar chart of each path's ratio to the direct path.
// A figure a path does not measure (bulk through the waypoint) has no values and prints n/a.
import type { FigureId, PathId, Results } from './run.ts';

export interface Extra {
  machine: string;
  command: string;
  tools: string;
  durationS: number;
  controlPlane: Array<{ command: string; output: string; seconds: number }>;
  note: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const LABELS: Record<FigureId, string> = {
  bulk1: 'bulk TCP, 1 connection (iperf3), Gbit/s',
  bulk8: 'bulk TCP, 8 parallel connections (iperf3 -P 8), Gbit/s',
  connRate: 'new connections/s (wrk -c8, `Connection: close`)',
  rps1: 'HTTP/1.1 requests/s, 1 connection, 1 KiB body (h2load)',
  rps16: 'HTTP/1.1 requests/s, 16 connections, 1 KiB body',
  rps64: 'HTTP/1.1 requests/s, 64 connections, 1 KiB body',
};
const SHORT: Record<FigureId, string> = { bulk1: 'bulk x1', bulk8: 'bulk x8', connRate: 'conn/s', rps1: 'req/s c1', rps16: 'req/s c16', rps64: 'req/s c64' };

function fmt(x: number, figure?: FigureId | 'mb' | 'us'): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (figure === 'mb') return x.toFixed(1);
  if (figure === 'us') return x.toFixed(0);
  if (figure?.startsWith('bulk')) return x.toFixed(2);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(3);
}

function cell(values: readonly number[], figure?: FigureId | 'mb' | 'us'): string {
  const m = fmt(median(values), figure);
  if (values.length < 2) return m;
  return `${m} (${fmt(Math.min(...values), figure)}–${fmt(Math.max(...values), figure)})`;
}

const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;

type Proxied = Exclude<PathId, 'direct'>;

/** Indexes into `Results.cost[path]` (see run.ts): both ztunnels on (b) and (c), the waypoint on (c), the two haproxy processes on (d). */
const CLIENT_SIDE = 0;
const SERVER_SIDE = 1;
const WAYPOINT = 2;

export function summary(r: Results): {
  fig: (f: FigureId, p: PathId) => number;
  lat: (p: PathId, q: 'p50' | 'p90' | 'p99') => number;
  cpu: (p: Proxied, i: number) => number;
  rss: (p: Proxied, i: number) => number;
  /** CPU-s per 1,000 requests of all the path's proxies together: per-round sums, then the median */
  cpuAll: (p: Proxied) => number;
} {
  return {
    fig: (f, p) => median(r.figures[f][p]),
    lat: (p, q) => median(r.latency[p].map((l) => l[q])),
    cpu: (p, i) => median(r.cost[p][i]?.cpuPer1000 ?? []),
    rss: (p, i) => median(r.cost[p][i]?.peakRssMb ?? []),
    cpuAll: (p) => median(roundSums(r, p)),
  };
}

function roundSums(r: Results, p: Proxied): number[] {
  const rounds = Math.max(0, ...r.cost[p].map((c) => c.cpuPer1000.length));
  return Array.from({ length: rounds }, (_, k) => r.cost[p].reduce((sum, c) => sum + (c.cpuPer1000[k] ?? NaN), 0));
}

export function renderMarkdown(r: Results, extra: Extra, chartPath: string): string {
  const s = summary(r);
  const o = r.options;
  const rate = o.latencyRate.toLocaleString('en-US');
  const lines: string[] = [];
  const date = r.startedAt.toISOString().slice(0, 16).replace('T', ' ');
  lines.push(`## Mesh benchmark: direct vs ztunnels vs waypoint vs a C peer (issue: benchmarks)`, '');
  lines.push(`${date} UTC, one run of \`${extra.command}\` (${(extra.durationS / 60).toFixed(1)} min in all).`);
  lines.push(`Machine: ${extra.machine}. Tools: ${extra.tools}.`);
  lines.push(
    `Paths, same pods and payloads: (a) client pod to server pod unmeshed; (b) the same pods in an ambient namespace, through the node-2 ztunnel, HBONE (mTLS HTTP/2 CONNECT) and the node-1 ztunnel; (c) the same pods in an ambient namespace bound to a waypoint (\`istio.io/use-waypoint\`), the client calling the Service's ClusterIP: node-2 ztunnel, HBONE to the waypoint, which terminates HTTP/1.1 and routes the request (Envoy LDS/RDS/CDS/EDS, ADR 0007) over a second HBONE connection with its own identity to the node-1 ztunnel; (d) the unmeshed pods through a haproxy mutual-TLS 1.3 pair (outbound haproxy in the client pod on 127.0.0.1, inbound haproxy in the server pod, ECDSA P-256, one thread each, \`mode tcp\`), the closest C job to a ztunnel pair (no HTTP/2 framing, one TLS connection per client connection, TLS session resumption on). Bulk TCP is not measured on (c): the waypoint carries HTTP requests, not a raw byte stream (n/a).`,
  );
  lines.push(
    `Origins: haproxy \`http-request return\` (1 KiB body, one thread) and \`iperf3 -s -1\` in the server pod. Load generators run in the client pod: iperf3 -t ${o.seconds}, wrk -t1 -c8 -d${o.seconds}s \`Connection: close\`, h2load --h1 -t1 -c 1/16/64 -D ${o.seconds}, latency h2load --h1 -c 4 --rps ${o.latencyRate / 4} -D ${o.latencySeconds} (open loop, ${o.latencyRate} req/s, percentiles from h2load's per-request log). Client pods run with \`net.ipv4.tcp_tw_reuse=1\`, on every path: wrk closes first when a proxy's FIN trails the response, and without reuse its ephemeral ports fill with TIME_WAIT within seconds (see the optimisation log). ${o.rounds} interleaved round(s), the path order rotating each round; each cell is the median and (min–max) over rounds. Before anything is timed, the harness waits until a request of path (c) answers 200 and the waypoint's own \`istio_requests_total\` counted it.`,
  );
  lines.push(
    o.pin
      ? 'Placement: load generators and origins pinned to CPU 0 (`taskset -c 0 ip netns exec ...`); both ztunnels and the waypoint (`taskset -a -p -c 1 PID`, every thread) and both haproxy pair processes (`taskset -c 1`) on CPU 1, so the proxies of each path have one core to themselves and the generator cannot steal it (on (c) three Node processes share it); the direct path has CPU 0 for both ends and the kernel. The lab\'s other processes (control plane, CNI agents, workload servers) are not pinned and idle during the run.'
      : 'Placement: nothing pinned (the scheduler places generator, origins and proxies on the 2 cores).',
  );
  const perRequest = r.waypointLogBytes / Math.max(1, r.waypointCounted);
  lines.push(
    `Path (c): the waypoint pod ran on ${r.cost.waypoint[WAYPOINT]?.name.replace(/^waypoint /, '') ?? '?'} (the lab places it; the client pod is on node-2, the server pod on node-1). Its \`istio_requests_total\` (200, Service l7/server) counted ${r.waypointCounted.toLocaleString('en-US')} requests over the run, warm-up included; the load generators completed ${r.moved.waypoint.requests.toLocaleString('en-US')} on (c). It writes an access-log line per request: its pod log held ${fmt(r.waypointLogBytes / 2 ** 20, 'mb')} MB at the end (${Number.isFinite(perRequest) ? Math.round(perRequest).toLocaleString('en-US') : 'n/a'} bytes per counted request), part of its CPU figures (Istio's default mesh config has access logging off).`,
  );
  if (extra.note) lines.push('', extra.note);
  lines.push(
    '',
    '| figure | (a) direct | (b) ztunnels, HBONE | (c) ztunnels + waypoint | (d) haproxy mTLS pair | (b) / (a) | (b) / (d) | (c) / (a) | (c) / (b) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const f of Object.keys(LABELS) as FigureId[]) {
    const v = r.figures[f];
    const ratios = [ratio(s.fig(f, 'ztunnel'), s.fig(f, 'direct')), ratio(s.fig(f, 'ztunnel'), s.fig(f, 'haproxy')), ratio(s.fig(f, 'waypoint'), s.fig(f, 'direct')), ratio(s.fig(f, 'waypoint'), s.fig(f, 'ztunnel'))];
    lines.push(`| ${LABELS[f]} | ${cell(v.direct, f)} | ${cell(v.ztunnel, f)} | ${cell(v.waypoint, f)} | ${cell(v.haproxy, f)} | ${ratios.join(' | ')} |`);
  }
  for (const q of ['p50', 'p90', 'p99'] as const) {
    const added = s.lat('ztunnel', q) - s.lat('direct', q);
    const peerAdded = s.lat('haproxy', q) - s.lat('direct', q);
    const waypointAdded = s.lat('waypoint', q) - s.lat('direct', q);
    const overZtunnels = s.lat('waypoint', q) - s.lat('ztunnel', q);
    const col = (p: PathId): string => cell(r.latency[p].map((l) => l[q]));
    lines.push(
      `| latency ${q} at ${rate} req/s, ms | ${col('direct')} | ${col('ztunnel')} | ${col('waypoint')} | ${col('haproxy')} | ${signed(added)} (${ratio(s.lat('ztunnel', q), s.lat('direct', q))}) | ${ratio(s.lat('ztunnel', q), s.lat('haproxy', q))}; added ${signed(added)} vs ${signed(peerAdded)} | ${signed(waypointAdded)} (${ratio(s.lat('waypoint', q), s.lat('direct', q))}) | ${signed(overZtunnels)} (${ratio(s.lat('waypoint', q), s.lat('ztunnel', q))}) |`,
    );
  }
  // Cost rows: the ztunnels are the same two processes on (b) and (c); (c)'s figures are theirs
  // while they carry (c)'s traffic (to and from the waypoint), in (c)'s own latency phase.
  const costRow = (what: string, b: string, c: string, d: string, bd: string, cb: string): string => `| ${what} | - | ${b} | ${c} | ${d} | - | ${bd} | - | ${cb} |`;
  const sides: Array<[string, number]> = [
    ['ztunnel or haproxy on the client side', CLIENT_SIDE],
    ['ztunnel or haproxy on the server side', SERVER_SIDE],
  ];
  const cpuOf = (p: Proxied, i: number): string => cell(r.cost[p][i]?.cpuPer1000 ?? []);
  const rssOf = (p: Proxied, i: number): string => cell(r.cost[p][i]?.peakRssMb ?? [], 'mb');
  const cpuLabel = `CPU-s per 1,000 requests at ${rate} req/s (= vCPU per 1,000 req/s)`;
  for (const [side, i] of sides) {
    lines.push(costRow(`${cpuLabel}, ${side}`, cpuOf('ztunnel', i), cpuOf('waypoint', i), cpuOf('haproxy', i), ratio(s.cpu('ztunnel', i), s.cpu('haproxy', i)), ratio(s.cpu('waypoint', i), s.cpu('ztunnel', i))));
  }
  lines.push(costRow(`${cpuLabel}, the waypoint`, '-', cpuOf('waypoint', WAYPOINT), '-', '-', '-'));
  lines.push(
    costRow(
      `${cpuLabel}, all proxies of the path together`,
      cell(roundSums(r, 'ztunnel')),
      cell(roundSums(r, 'waypoint')),
      cell(roundSums(r, 'haproxy')),
      ratio(s.cpuAll('ztunnel'), s.cpuAll('haproxy')),
      ratio(s.cpuAll('waypoint'), s.cpuAll('ztunnel')),
    ),
  );
  // CPU per new connection, from the connection-rate phase: independent of how the proxies share
  // cores, so it also says how many connections/s one core would carry for one proxy.
  const connOf = (p: Proxied, i: number): string => cell(r.cost[p][i]?.cpuPerConnUs ?? [], 'us');
  const conn = (p: Proxied, i: number): number => median(r.cost[p][i]?.cpuPerConnUs ?? []);
  for (const [side, i] of sides) {
    lines.push(costRow(`CPU per new connection (wrk phase), microseconds, ${side}`, connOf('ztunnel', i), connOf('waypoint', i), connOf('haproxy', i), ratio(conn('ztunnel', i), conn('haproxy', i)), ratio(conn('waypoint', i), conn('ztunnel', i))));
  }
  lines.push(costRow('CPU per new connection (wrk phase), microseconds, the waypoint', '-', connOf('waypoint', WAYPOINT), '-', '-', '-'));
  for (const [side, i] of sides) {
    lines.push(costRow(`peak RSS during the ${rate} req/s phase, MB, ${side}`, rssOf('ztunnel', i), rssOf('waypoint', i), rssOf('haproxy', i), ratio(s.rss('ztunnel', i), s.rss('haproxy', i)), ratio(s.rss('waypoint', i), s.rss('ztunnel', i))));
  }
  lines.push(costRow(`peak RSS during the ${rate} req/s phase, MB, the waypoint`, '-', rssOf('waypoint', WAYPOINT), '-', '-', '-'));
  const idle = (name: string | undefined): number => r.idle.find((x) => x.name === name)?.rssMb ?? NaN;
  const idleZ = [idle('ztunnel node-2'), idle('ztunnel node-1')];
  const idleH = [idle('haproxy outbound (client pod)'), idle('haproxy inbound (server pod)')];
  const waypointName = r.cost.waypoint[WAYPOINT]?.name;
  const idleW = idle(waypointName);
  for (const [side, i] of sides) {
    lines.push(costRow(`idle RSS after start, MB, ${side}`, fmt(idleZ[i] ?? NaN, 'mb'), 'same ztunnel as (b)', fmt(idleH[i] ?? NaN, 'mb'), ratio(idleZ[i] ?? NaN, idleH[i] ?? NaN), '-'));
  }
  lines.push(costRow('idle RSS after start, MB, the waypoint', '-', fmt(idleW, 'mb'), '-', '-', '-'));
  const peak = (name: string | undefined): string => fmt(r.lifetimePeakMb.find((x) => x.name === name)?.peakMb ?? NaN, 'mb');
  const names = (p: Proxied): Array<string | undefined> => r.cost[p].map((c) => c.name);
  lines.push(
    costRow(
      'lifetime peak RSS (VmHWM) at the end of the run, MB, client / server side (/ waypoint)',
      names('ztunnel').map(peak).join(' / '),
      `same ztunnels / ${peak(waypointName)}`,
      names('haproxy').map(peak).join(' / '),
      '-',
      '-',
    ),
  );
  lines.push('', `![ratio to the direct path, per figure](${chartPath})`, '');

  const zCpu = Math.max(s.cpu('ztunnel', CLIENT_SIDE), s.cpu('ztunnel', SERVER_SIDE));
  const addedP99 = s.lat('ztunnel', 'p99') - s.lat('direct', 'p99');
  const wCpu = s.cpu('waypoint', WAYPOINT);
  const rows: Array<[string, string, boolean]> = [
    ['requests/s at 64 connections >= 90% of direct', `${ratio(s.fig('rps64', 'ztunnel'), s.fig('rps64', 'direct'))} of direct`, s.fig('rps64', 'ztunnel') >= 0.9 * s.fig('rps64', 'direct')],
    [`p99 added < 0.5 ms at ${rate} req/s`, signed(addedP99), addedP99 < 0.5],
    ['bulk, 1 connection >= the haproxy pair', `${ratio(s.fig('bulk1', 'ztunnel'), s.fig('bulk1', 'haproxy'))} of haproxy`, s.fig('bulk1', 'ztunnel') >= s.fig('bulk1', 'haproxy')],
    ['bulk, 8 connections >= the haproxy pair', `${ratio(s.fig('bulk8', 'ztunnel'), s.fig('bulk8', 'haproxy'))} of haproxy`, s.fig('bulk8', 'ztunnel') >= s.fig('bulk8', 'haproxy')],
    [
      '>= 3,000 new connections/s through the ztunnel pair',
      `${fmt(s.fig('connRate', 'ztunnel'))}/s (both ztunnels on one core; ${fmt(conn('ztunnel', CLIENT_SIDE), 'us')} + ${fmt(conn('ztunnel', SERVER_SIDE), 'us')} CPU-microseconds per connection)`,
      s.fig('connRate', 'ztunnel') >= 3000,
    ],
    ['< 0.1 CPU-s per 1,000 requests (each ztunnel)', `${fmt(zCpu)} (busier ztunnel)`, zCpu < 0.1],
    ['< 60 MB idle RSS per ztunnel', `${idleZ.map((x) => fmt(x, 'mb')).join(' / ')} MB`, Math.max(...idleZ) < 60],
    // Istio's Envoy waypoint (2 workers) at 1,000 HTTP req/s, 1 KB: ~0.25 vCPU and 60 MB (1.24 performance page).
    ['waypoint <= 0.25 CPU-s per 1,000 requests (Istio\'s Envoy waypoint)', fmt(wCpu), wCpu <= 0.25],
    ['waypoint <= 60 MB RSS at 1,000 req/s (Istio\'s Envoy waypoint)', `${fmt(s.rss('waypoint', WAYPOINT), 'mb')} MB peak, ${fmt(idleW, 'mb')} MB idle`, s.rss('waypoint', WAYPOINT) <= 60],
  ];
  lines.push('Targets (for the optimisation work):', '', '| target | measured | met |', '|---|---|---|');
  for (const [t, m, ok] of rows) lines.push(`| ${t} | ${m} | ${ok ? 'yes' : '**no**'} |`);
  lines.push('');
  lines.push("Istio's published figures (other hardware, bare metal or large VMs; far targets, not like-for-like):", '', '| figure | Istio (ztunnel: Rust; waypoint: Envoy) | Ambit, this run |', '|---|---|---|');
  lines.push(`| vCPU per 1,000 req/s, one ztunnel (1.24 perf page, HTTP/1.1, 1 KB) | 0.06 | ${fmt(s.cpu('ztunnel', CLIENT_SIDE))} client side, ${fmt(s.cpu('ztunnel', SERVER_SIDE))} server side |`);
  lines.push(`| memory per ztunnel (1.24 perf page) | 12 MB | ${idleZ.map((x) => fmt(x, 'mb')).join(' / ')} MB idle |`);
  lines.push(`| vCPU per 1,000 req/s, one waypoint (1.24 perf page, 2 Envoy workers) | 0.25 | ${fmt(wCpu)} (one Node process, one core) |`);
  lines.push(`| memory per waypoint (1.24 perf page) | 60 MB | ${fmt(idleW, 'mb')} MB idle, ${fmt(s.rss('waypoint', WAYPOINT), 'mb')} MB at ${rate} req/s |`);
  lines.push(`| latency added by the two ztunnels at 1,000 req/s, p90 / p99 (1.22 perf page) | +0.17 / +0.20 ms | ${signed(s.lat('ztunnel', 'p90') - s.lat('direct', 'p90'))} / ${signed(addedP99)} |`);
  lines.push(`| HBONE throughput, 1 connection, cross-node, 2 workers (ztunnel issue #1174) | 9.3 Gbit/s | ${fmt(s.fig('bulk1', 'ztunnel'), 'bulk1')} Gbit/s |`);
  lines.push('');
  lines.push('Idle RSS of every component after start (MB):', '', '| component | RSS |', '|---|---|');
  for (const c of r.idle) lines.push(`| ${c.name} | ${fmt(c.rssMb, 'mb')} |`);
  if (extra.controlPlane.length > 0) {
    lines.push('', 'Control plane and CA, from their own benchmarks, run by the same command after the lab was down:', '');
    for (const c of extra.controlPlane) lines.push(`\`${c.command}\` (${c.seconds.toFixed(0)} s):`, '', '```', c.output.trim(), '```', '');
  }
  return `${lines.join('\n')}\n`;
}

/** Grouped bars: each figure's median as a ratio to the direct path, for (b), (c) and (d); 1.0 marked; n/a left empty. */
export function renderSvg(r: Results): string {
  const s = summary(r);
  const figures = Object.keys(SHORT) as FigureId[];
  const series: Array<{ path: PathId; label: string; color: string }> = [
    { path: 'ztunnel', label: '(b) ztunnels', color: '#3a6ea5' },
    { path: 'waypoint', label: '(c) ztunnels + waypoint', color: '#9bbb59' },
    { path: 'haproxy', label: '(d) haproxy mTLS pair', color: '#c0504d' },
  ];
  const W = 640;
  const H = 260;
  const left = 40;
  const top = 30;
  const plotH = 180;
  const max = 1.2;
  const group = (W - left - 10) / figures.length;
  const bar = group / (series.length + 1);
  const y = (v: number): number => top + plotH - (Math.min(v, max) / max) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<text x="${left}" y="16" font-size="12">Ratio to the direct path (1.0 = unmeshed), ${r.startedAt.toISOString().slice(0, 10)}</text>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${left}" x2="${W - 10}" y1="${y(t)}" y2="${y(t)}" stroke="${t === 1 ? '#000' : '#ddd'}"${t === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${left - 4}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`);
  }
  figures.forEach((f, gi) => {
    const x0 = left + gi * group + bar / 2;
    series.forEach((se, si) => {
      const v = s.fig(f, se.path) / s.fig(f, 'direct');
      const h = Number.isFinite(v) ? top + plotH - y(v) : 0;
      out.push(`<rect x="${(x0 + si * bar).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${se.color}"><title>${SHORT[f]} ${se.label}: ${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}</title></rect>`);
      out.push(`<text x="${(x0 + si * bar + bar / 2 - 1).toFixed(1)}" y="${(top + plotH - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}</text>`);
    });
    out.push(`<text x="${(x0 + (series.length * bar) / 2).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle">${SHORT[f]}</text>`);
  });
  series.forEach((se, si) => {
    const lx = left + si * 170;
    out.push(`<rect x="${lx}" y="${H - 18}" width="10" height="10" fill="${se.color}"/><text x="${lx + 14}" y="${H - 9}">${se.label}</text>`);
  });
  out.push(`<text x="${W - 10}" y="${top + plotH + 28}" text-anchor="end" font-size="9">(c) bulk: n/a (HTTP waypoint)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
