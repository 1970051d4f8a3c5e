// The load generators, Debian's C tools run inside the client pod, and the parsing of what they
// print: iperf3 (bulk), wrk with `Connection: close` (new connections per second), h2load (requests
// per second at fixed concurrency, and latency at a fixed open-loop rate from its per-request log).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIn } from './proc.ts';

export interface Target {
  /** network namespace the load generator runs in */
  netns: string;
  host: string;
  port: number;
}

export interface Bulk {
  gbps: number;
  bytes: number;
}

/**
 * `iperf3 -c -t SECONDS -P PARALLEL`. Timed, never `-n BYTES`: through a proxy the client's
 * end-of-test message can overtake megabytes still buffered in the proxies (HBONE windows are
 * 4 MiB), so a short byte-counted test may report nothing received.
 */
export async function iperf3(target: Target, options: { seconds: number; parallel: number; cpu?: number | undefined }): Promise<Bulk> {
  const length = ['-t', String(options.seconds)];
  const result = await runIn(target.netns, 'iperf3', ['-c', target.host, '-p', String(target.port), ...length, '-P', String(options.parallel), '-J'], {
    cpu: options.cpu,
    timeoutMs: (options.seconds + 20) * 1000,
  });
  let parsed: { error?: string; end?: { sum_received?: { bits_per_second?: number; bytes?: number } } };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new Error(`iperf3 to ${target.host}:${target.port} printed no JSON (exit ${result.code}): ${result.stderr.slice(0, 400)}`);
  }
  if (parsed.error) throw new Error(`iperf3 to ${target.host}:${target.port}: ${parsed.error}`);
  const received = parsed.end?.sum_received;
  return { gbps: (received?.bits_per_second ?? 0) / 1e9, bytes: received?.bytes ?? 0 };
}

export interface Rate {
  perSecond: number;
  done: number;
  failed: number;
}

/** `wrk -t1 -cN -d..s -H "Connection: close"`: every request on a new TCP connection. */
export async function connectionRate(target: Target, url: string, options: { seconds: number; connections: number; cpu?: number | undefined }): Promise<Rate> {
  const result = await runIn(target.netns, 'wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '-H', 'Connection: close', url], {
    cpu: options.cpu,
    timeoutMs: (options.seconds + 20) * 1000,
  });
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
  const done = Number(/(\d+) requests in/.exec(result.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(result.stdout)?.[1] ?? 0);
  // wrk counts a read error on every `Connection: close` reply on some servers; only connect,
  // write and timeout errors and bad statuses are failures here.
  const failed = non2xx + (socket ? Number(socket[1]) + Number(socket[3]) + Number(socket[4]) : 0);
  if (!Number.isFinite(perSecond)) throw new Error(`wrk against ${url} printed no rate (exit ${result.code}): ${result.stdout.slice(0, 400)} ${result.stderr.slice(0, 400)}`);
  return { perSecond, done, failed };
}

function h2loadSummary(stdout: string, url: string): Rate {
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(stdout);
  const requests = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  if (!finished || !requests) throw new Error(`h2load against ${url} printed no summary: ${stdout.slice(0, 600)}`);
  return { perSecond: Number(finished[3]), done: Number(requests[3]), failed: Number(requests[4]) + Number(requests[5]) + Number(requests[6]) };
}

/** `h2load --h1 -c N -t 1` closed loop for `seconds` (or `requests` in smoke mode). */
export async function requestRate(target: Target, url: string, options: { seconds: number; concurrency: number; requests?: number; cpu?: number | undefined }): Promise<Rate> {
  const length = options.requests !== undefined ? ['-n', String(options.requests)] : ['-D', String(options.seconds)];
  const result = await runIn(target.netns, 'h2load', ['--h1', '-c', String(options.concurrency), '-t', '1', ...length, url], {
    cpu: options.cpu,
    timeoutMs: (options.seconds + 30) * 1000,
  });
  return h2loadSummary(result.stdout, url);
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  failed: number;
}

/**
 * Open-loop fixed rate: `h2load --h1 -c 4 --rps R/4 -D s --log-file`, percentiles (ms) from the
 * per-request log (third column: duration in microseconds). The log is appended by h2load, so it
 * lives in a fresh directory per run.
 */
export async function latencyAtRate(target: Target, url: string, options: { seconds: number; rate: number; connections: number; cpu?: number | undefined }): Promise<Latency> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-bench-lat-'));
  try {
    const log = join(dir, 'requests.tsv');
    const perConnection = Math.max(1, Math.round(options.rate / options.connections));
    const result = await runIn(
      target.netns,
      'h2load',
      ['--h1', '-c', String(options.connections), '-t', '1', '--rps', String(perConnection), '-D', String(options.seconds), `--log-file=${log}`, url],
      { cpu: options.cpu, timeoutMs: (options.seconds + 30) * 1000 },
    );
    const summary = h2loadSummary(result.stdout, url);
    const durations = (await readFile(log, 'utf8'))
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((cols) => cols.length >= 3 && cols[1] === '200')
      .map((cols) => Number(cols[2]) / 1000)
      .sort((a, b) => a - b);
    const q = (p: number): number => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? NaN;
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), requests: durations.length, failed: summary.failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
