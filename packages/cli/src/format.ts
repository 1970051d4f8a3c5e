// Plain-text tables for people, in the style of kubectl and istioctl.
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A reachability grid like the upstream netpol tests print: `.` connected, `X` not, `-` self. */
export function reachabilityGrid(matrix: Record<string, Record<string, boolean>>): string {
  const pods = Object.keys(matrix);
  const rows = pods.map((from) => [from, ...pods.map((to) => (from === to ? '-' : matrix[from]?.[to] ? '.' : 'X'))]);
  return table(['from \\ to', ...pods], rows);
}
