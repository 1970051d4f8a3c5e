// RequestTelemetry.finish alone, per tree: the cost of Istio's four request metrics per request
// and, with --access-log, of the access log line written to /dev/null as that tree's app.ts writes
// it (its own writer when the tree has telemetry/access-log.ts, else the process's pino logger),
// without the noise of the request path.
//
//   pnpm exec node packages/waypoint/bench/telemetry-finish.ts [dirA,dirB] [--access-log]   (waypoint package directories)
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { openSync } from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
import { createLogger, silentLogger, type Logger } from '@ambit/core';
import type { RequestRecord } from '../src/telemetry/requests.ts';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withAccessLog = process.argv.includes('--access-log');
const roots = (positional[0] ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '')).split(',');
const devNull = openSync('/dev/null', 'w');

async function accessLogOf(root: string): Promise<Logger> {
  if (!withAccessLog) return silentLogger;
  const bindings = { component: 'waypoint', gateway: 'l7/waypoint', pod: 'waypoint-0', scope: 'access' };
  // The writer lives in @ambit/core now; older checkouts kept it in the waypoint, the oldest had none.
  for (const file of [`${root}/../core/src/access-log.ts`, `${root}/src/telemetry/access-log.ts`]) {
    try {
      const own = (await import(pathToFileURL(file).href)) as { accessLogOn(fd: number, format: string, b: object): { logger: Logger } };
      return own.accessLogOn(devNull, 'json', bindings).logger;
    } catch {
      // not in this checkout
    }
  }
  return createLogger({ component: 'waypoint', format: 'json', destination: '/dev/null' }).child({ gateway: bindings.gateway, pod: bindings.pod, scope: 'access' });
}
const N = 200_000;
const codes = [200, 200, 200, 200, 404, 503];

type Telemetry = new (registry: Registry, log: Logger) => { finish(r: RequestRecord): void };
const classes = await Promise.all(roots.map(async (root) => (await import(pathToFileURL(`${root}/src/telemetry/requests.ts`).href) as { RequestTelemetry: Telemetry }).RequestTelemetry));

function records(): RequestRecord[] {
  return codes.map((code, i) => ({
    startTime: new Date(), method: 'GET', path: '/api/v1/items?id=7', protocol: 'HTTP/1.1', grpc: false, authority: 'server.l7.svc.cluster.local', requestId: 'id', principal: 'spiffe://cluster.local/ns/l7/sa/client', sourceAddress: '10.0.0.1:4000',
    chain: 'server.l7.svc.cluster.local:8080', responseCode: code, grpcStatus: '', responseFlags: code === 503 ? 'UF' : '-', bytesReceived: 0, bytesSent: 1024 + i, durationMs: 0.7 + i,
    upstreamHost: '10.0.1.2:8080', upstreamCluster: 'outbound|8080||server.l7.svc.cluster.local', upstreamPrincipal: 'spiffe://cluster.local/ns/l7/sa/server', attempts: 1, route: 'default', policy: undefined, audited: [], details: undefined,
  }));
}

const results = roots.map(() => [] as number[]);
for (let round = 0; round < 5; round++) {
  for (const [i, Telemetry] of classes.entries()) {
    const t = new Telemetry(new Registry(), await accessLogOf(roots[i] as string));
    const rs = records();
    const start = performance.now();
    // Batches of 64 requests per event-loop turn, as 64 connections' requests end together under load.
    for (let n = 0; n < N; n++) {
      t.finish(rs[n % rs.length] as RequestRecord);
      if (n % 64 === 63) await turn();
    }
    await turn();
    (results[i] as number[]).push(((performance.now() - start) * 1000) / N);
  }
}
for (const [i, root] of roots.entries()) {
  const sorted = [...(results[i] as number[])].sort((a, b) => a - b);
  console.log(`${root}: finish() ${(sorted[2] as number).toFixed(3)} us per request${withAccessLog ? ' with the access log to /dev/null' : ' (metrics only)'} (median of 5 x ${N})`);
}
