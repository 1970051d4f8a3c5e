// The waypoint in the benchmark: how many requests it counted (Istio's istio_requests_total on its
// metrics port, read from inside its pod), and a bounded wait until it is really in path (c). A
// request that succeeds is not proof: until the client ztunnel knows the Service is bound to the
// waypoint, or while the waypoint has no route yet, traffic could take another way or fail; only
// the waypoint's own counter says it carried the request.
import { runIn } from './proc.ts';

const METRIC = 'istio_requests_total';

/**
 * Sums the `istio_requests_total` samples of a Prometheus text exposition whose labels include every
 * pair of `match`. Other metrics, comments and blank lines are skipped; a sample of this metric that
 * cannot be read is an error naming its line.
 */
export function countRequests(exposition: string, match: Readonly<Record<string, string>>): number {
  let total = 0;
  exposition.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // `istio_requests_total_foo` is another metric; only the exact name, then `{` or a space.
    if (!line.startsWith(METRIC) || !/^[{ ]/.test(line.slice(METRIC.length))) return;
    const sample = /^istio_requests_total(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    const value = Number(sample?.[2]);
    if (!sample || !Number.isFinite(value)) throw new Error(`metrics line ${index + 1}: cannot read the ${METRIC} sample "${line.slice(0, 200)}"`);
    const labels = new Map<string, string>();
    const body = sample[1] ?? '';
    const pair = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;
    let at = 0;
    for (let m = pair.exec(body); m !== null; m = pair.exec(body)) {
      labels.set(m[1] as string, (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
      at = pair.lastIndex;
    }
    if (body.slice(at).trim() !== '') throw new Error(`metrics line ${index + 1}: cannot read the labels of "${line.slice(0, 200)}"`);
    if (Object.entries(match).every(([k, v]) => labels.get(k) === v)) total += value;
  });
  return total;
}

/** Labels of the requests path (c) sends: Service l7/server, answered 200, as the waypoint reports them. */
export const BENCH_REQUESTS = { reporter: 'waypoint', destination_service_name: 'server', destination_service_namespace: 'l7', response_code: '200' } as const;

/** `curl http://127.0.0.1:15020/metrics` inside the waypoint pod, counted with `countRequests`. */
export async function waypointRequests(netns: string): Promise<number> {
  const r = await runIn(netns, 'curl', ['-sS', '--max-time', '3', 'http://127.0.0.1:15020/metrics'], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`curl of the waypoint's metrics in ${netns} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  return countRequests(r.stdout, BENCH_REQUESTS);
}

/**
 * Polls, bounded: one request from the client pod to `url` must answer 200 AND raise the waypoint's
 * count of such requests. Returns how long it took; throws with the last thing seen otherwise.
 */
export async function waitWaypointInPath(clientNetns: string, url: string, waypointNetns: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  let last = 'no attempt';
  while (Date.now() - started < timeoutMs) {
    try {
      const before = await waypointRequests(waypointNetns);
      const r = await runIn(clientNetns, 'curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url], { timeoutMs: 4000 });
      const after = await waypointRequests(waypointNetns);
      if (r.stdout === '200' && after > before) return Date.now() - started;
      last = `request answered ${r.stdout || 'nothing'}${r.stderr.trim() ? ` (${r.stderr.trim().slice(0, 200)})` : ''}, the waypoint's count of 200s for l7/server went ${before} -> ${after}`;
    } catch (error) {
      last = String(error instanceof Error ? error.message : error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the waypoint is not in path (c) after ${timeoutMs / 1000} s: ${last}`);
}
