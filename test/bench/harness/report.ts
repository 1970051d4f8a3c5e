// Renders a run as a Markdown section (table of absolute figures and ratios, targets, idle memory,
// control-plane and CA reports) and a small SVG bar chart of each path's ratio to the direct path.
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

function fmt(x: number, figure?: FigureId | 'mb'): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (figure === 'mb') return x.toFixed(1);
  if (figure?.startsWith('bulk')) return x.toFixed(2);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(3);
}

function cell(values: readonly number[], figure?: FigureId | 'mb'): string {
  const m = fmt(median(values), figure);
  if (values.length < 2) return m;
  return `${m} (${fmt(Math.min(...values), figure)}–${fmt(Math.max(...values), figure)})`;
}

const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;

export function summary(r: Results): {
  fig: (f: FigureId, p: PathId) => number;
  lat: (p: PathId, q: 'p50' | 'p90' | 'p99') => number;
  cpu: (p: 'ztunnel' | 'haproxy', i: number) => number;
  rss: (p: 'ztunnel' | 'haproxy', i: number) => number;
} {
  return {
    fig: (f, p) => median(r.figures[f][p]),
    lat: (p, q) => median(r.latency[p].map((l) => l[q])),
    cpu: (p, i) => median(r.cost[p][i]?.cpuPer1000 ?? []),
    rss: (p, i) => median(r.cost[p][i]?.peakRssMb ?? []),
  };
}

export function renderMarkdown(r: Results, extra: Extra, chartPath: string): string {
  const s = summary(r);
  const o = r.options;
  const lines: string[] = [];
  const date = r.startedAt.toISOString().slice(0, 16).replace('T', ' ');
  lines.push(`## Mesh benchmark: direct vs ztunnels vs waypoint vs a C peer (issue: benchmarks)`, '');
  lines.push(`${date} UTC, one run of \`${extra.command}\` (${(extra.durationS / 60).toFixed(1)} min in all).`);
  lines.push(`Machine: ${extra.machine}. Tools: ${extra.tools}.`);
  lines.push(
    `Paths, same pods and payloads: (a) client pod to server pod unmeshed; (b) the same pods in an ambient namespace, through the node-2 ztunnel, HBONE (mTLS HTTP/2 CONNECT) and the node-1 ztunnel; (c) ztunnels plus a waypoint: not built; (d) the unmeshed pods through a haproxy mutual-TLS 1.3 pair (outbound haproxy in the client pod on 127.0.0.1, inbound haproxy in the server pod, ECDSA P-256, one thread each, \`mode tcp\`), the closest C job to a ztunnel pair (no HTTP/2 framing, one TLS connection per client connection, TLS session resumption on).`,
  );
  lines.push(
    `Origins: haproxy \`http-request return\` (1 KiB body, one thread) and \`iperf3 -s -1\` in the server pod. Load generators run in the client pod: iperf3 -t ${o.seconds}, wrk -t1 -c8 -d${o.seconds}s \`Connection: close\`, h2load --h1 -t1 -c 1/16/64 -D ${o.seconds}, latency h2load --h1 -c 4 --rps ${o.latencyRate / 4} -D ${o.latencySeconds} (open loop, ${o.latencyRate} req/s, percentiles from h2load's per-request log). ${o.rounds} interleaved round(s), the path order rotating each round; each cell is the median and (min–max) over rounds.`,
  );
  lines.push(
    o.pin
      ? 'Placement: load generators and origins pinned to CPU 0 (`taskset -c 0 ip netns exec ...`); both ztunnels (`taskset -a -p -c 1 PID`, every thread) and both haproxy pair processes (`taskset -c 1`) on CPU 1, so each proxy pair has one core to itself and the generator cannot steal it; the direct path has CPU 0 for both ends and the kernel. The lab\'s other processes (control plane, CNI agents, workload servers) are not pinned and idle during the run.'
      : 'Placement: nothing pinned (the scheduler places generator, origins and proxies on the 2 cores).',
  );
  if (extra.note) lines.push('', extra.note);
  lines.push('', '| figure | (a) direct | (b) ztunnels, HBONE | (c) + waypoint | (d) haproxy mTLS pair | (b) / (a) | (b) / (d) |', '|---|---|---|---|---|---|---|');
  for (const f of Object.keys(LABELS) as FigureId[]) {
    const v = r.figures[f];
    lines.push(`| ${LABELS[f]} | ${cell(v.direct, f)} | ${cell(v.ztunnel, f)} | not built | ${cell(v.haproxy, f)} | ${ratio(s.fig(f, 'ztunnel'), s.fig(f, 'direct'))} | ${ratio(s.fig(f, 'ztunnel'), s.fig(f, 'haproxy'))} |`);
  }
  for (const q of ['p50', 'p90', 'p99'] as const) {
    const added = s.lat('ztunnel', q) - s.lat('direct', q);
    const peerAdded = s.lat('haproxy', q) - s.lat('direct', q);
    lines.push(
      `| latency ${q} at ${o.latencyRate.toLocaleString('en-US')} req/s, ms | ${cell(r.latency.direct.map((l) => l[q]))} | ${cell(r.latency.ztunnel.map((l) => l[q]))} | not built | ${cell(r.latency.haproxy.map((l) => l[q]))} | ${signed(added)} (${ratio(s.lat('ztunnel', q), s.lat('direct', q))}) | ${ratio(s.lat('ztunnel', q), s.lat('haproxy', q))}; added ${signed(added)} vs ${signed(peerAdded)} |`,
    );
  }
  const sides = ['client side', 'server side'];
  sides.forEach((side, i) => {
    lines.push(`| CPU-s per 1,000 requests at ${o.latencyRate.toLocaleString('en-US')} req/s (= vCPU per 1,000 req/s), proxy on the ${side} | - | ${cell(r.cost.ztunnel[i]?.cpuPer1000 ?? [])} | not built | ${cell(r.cost.haproxy[i]?.cpuPer1000 ?? [])} | - | ${ratio(s.cpu('ztunnel', i), s.cpu('haproxy', i))} |`);
  });
  sides.forEach((side, i) => {
    lines.push(`| peak RSS during the ${o.latencyRate.toLocaleString('en-US')} req/s phase, MB, proxy on the ${side} | - | ${cell(r.cost.ztunnel[i]?.peakRssMb ?? [], 'mb')} | not built | ${cell(r.cost.haproxy[i]?.peakRssMb ?? [], 'mb')} | - | ${ratio(s.rss('ztunnel', i), s.rss('haproxy', i))} |`);
  });
  const idle = (name: string): number => r.idle.find((x) => x.name === name)?.rssMb ?? NaN;
  const idleZ = [idle('ztunnel node-2'), idle('ztunnel node-1')];
  const idleH = [idle('haproxy outbound (client pod)'), idle('haproxy inbound (server pod)')];
  sides.forEach((side, i) => {
    lines.push(`| idle RSS after start, MB, proxy on the ${side} | - | ${fmt(idleZ[i] ?? NaN, 'mb')} | not built | ${fmt(idleH[i] ?? NaN, 'mb')} | - | ${ratio(idleZ[i] ?? NaN, idleH[i] ?? NaN)} |`);
  });
  lines.push(`| lifetime peak RSS (VmHWM) at the end of the run, MB, client / server side | - | ${r.lifetimePeakMb.slice(0, 2).map((x) => fmt(x.peakMb, 'mb')).join(' / ')} | not built | ${r.lifetimePeakMb.slice(2).map((x) => fmt(x.peakMb, 'mb')).join(' / ')} | - | - |`);
  lines.push('', `![ratio to the direct path, per figure](${chartPath})`, '');

  const zCpu = Math.max(s.cpu('ztunnel', 0), s.cpu('ztunnel', 1));
  const addedP99 = s.lat('ztunnel', 'p99') - s.lat('direct', 'p99');
  const rows: Array<[string, string, boolean]> = [
    ['requests/s at 64 connections >= 90% of direct', `${ratio(s.fig('rps64', 'ztunnel'), s.fig('rps64', 'direct'))} of direct`, s.fig('rps64', 'ztunnel') >= 0.9 * s.fig('rps64', 'direct')],
    [`p99 added < 0.5 ms at ${o.latencyRate.toLocaleString('en-US')} req/s`, signed(addedP99), addedP99 < 0.5],
    ['bulk, 1 connection >= the haproxy pair', `${ratio(s.fig('bulk1', 'ztunnel'), s.fig('bulk1', 'haproxy'))} of haproxy`, s.fig('bulk1', 'ztunnel') >= s.fig('bulk1', 'haproxy')],
    ['bulk, 8 connections >= the haproxy pair', `${ratio(s.fig('bulk8', 'ztunnel'), s.fig('bulk8', 'haproxy'))} of haproxy`, s.fig('bulk8', 'ztunnel') >= s.fig('bulk8', 'haproxy')],
    ['>= 3,000 new connections/s through the ztunnel pair', `${fmt(s.fig('connRate', 'ztunnel'))}/s`, s.fig('connRate', 'ztunnel') >= 3000],
    ['< 0.1 CPU-s per 1,000 requests (each ztunnel)', `${fmt(zCpu)} (busier ztunnel)`, zCpu < 0.1],
    ['< 60 MB idle RSS per ztunnel', `${idleZ.map((x) => fmt(x, 'mb')).join(' / ')} MB`, Math.max(...idleZ) < 60],
  ];
  lines.push('Targets (for the optimisation work):', '', '| target | measured | met |', '|---|---|---|');
  for (const [t, m, ok] of rows) lines.push(`| ${t} | ${m} | ${ok ? 'yes' : '**no**'} |`);
  lines.push('');
  lines.push("Istio's published figures (other hardware, bare metal or large VMs; far targets, not like-for-like):", '', '| figure | Istio ztunnel (Rust) | Ambit ztunnel, this run |', '|---|---|---|');
  lines.push(`| vCPU per 1,000 req/s, one ztunnel (1.24 perf page, HTTP/1.1, 1 KB) | 0.06 | ${fmt(s.cpu('ztunnel', 0))} client side, ${fmt(s.cpu('ztunnel', 1))} server side |`);
  lines.push(`| memory per ztunnel (1.24 perf page) | 12 MB | ${idleZ.map((x) => fmt(x, 'mb')).join(' / ')} MB idle |`);
  lines.push(`| latency added by the two ztunnels at 1,000 req/s, p90 / p99 (1.22 perf page) | +0.17 / +0.20 ms | ${signed(s.lat('ztunnel', 'p90') - s.lat('direct', 'p90'))} / ${signed(addedP99)} |`);
  lines.push(`| HBONE throughput, 1 connection, cross-node, 2 workers (ztunnel issue #1174) | 9.3 Gbit/s | ${fmt(s.fig('bulk1', 'ztunnel'), 'bulk1')} Gbit/s |`);
  lines.push('');
  lines.push('Idle RSS of every component after start (MB):', '', '| component | RSS |', '|---|---|');
  for (const c of r.idle) lines.push(`| ${c.name} | ${fmt(c.rssMb, 'mb')} |`);
  lines.push('| waypoint | not built |');
  if (extra.controlPlane.length > 0) {
    lines.push('', 'Control plane and CA, from their own benchmarks, run by the same command after the lab was down:', '');
    for (const c of extra.controlPlane) lines.push(`\`${c.command}\` (${c.seconds.toFixed(0)} s):`, '', '```', c.output.trim(), '```', '');
  }
  return `${lines.join('\n')}\n`;
}

/** Grouped bars: each figure's median as a ratio to the direct path, for (b) and (d); 1.0 marked. */
export function renderSvg(r: Results): string {
  const s = summary(r);
  const figures = Object.keys(SHORT) as FigureId[];
  const series: Array<{ path: PathId; label: string; color: string }> = [
    { path: 'ztunnel', label: '(b) ztunnels', color: '#3a6ea5' },
    { path: 'haproxy', label: '(d) haproxy mTLS pair', color: '#c0504d' },
  ];
  const W = 640;
  const H = 260;
  const left = 40;
  const top = 30;
  const plotH = 180;
  const max = 1.2;
  const group = (W - left - 10) / figures.length;
  const bar = group / 3;
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
      out.push(`<text x="${(x0 + si * bar + bar / 2 - 1).toFixed(1)}" y="${(top + plotH - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${Number.isFinite(v) ? v.toFixed(2) : ''}</text>`);
    });
    out.push(`<text x="${(x0 + bar).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle">${SHORT[f]}</text>`);
  });
  series.forEach((se, si) => {
    const lx = left + si * 170;
    out.push(`<rect x="${lx}" y="${H - 18}" width="10" height="10" fill="${se.color}"/><text x="${lx + 14}" y="${H - 9}">${se.label}</text>`);
  });
  out.push(`<text x="${left + 340}" y="${H - 9}">(c) waypoint: not built</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
