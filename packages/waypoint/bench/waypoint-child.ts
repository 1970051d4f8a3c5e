// The waypoint side of bench/request-path.ts, in its own process so that its CPU and memory are
// its own: the HBONE termination and HTTP machinery of one source tree (this one, or a copy of an
// older commit given as the first argument) wired as test/harness.ts wires app.ts's parts, with
// the access log written as the process writes it (pino JSON lines to stderr, scope=access).
import { pathToFileURL } from 'node:url';
import { createLogger, silentLogger, type Logger } from '@ambit/core';
import { TYPE_URL } from '@ambit/xds-types';
import type { HboneCredentials } from '@ambit/hbone';
import { TrustBundle } from '@ambit/spiffe';

export interface ChildStart {
  /** The credentials with the trust bundle as PEM (a TrustBundle does not survive IPC). */
  credentials: Omit<HboneCredentials, 'trustBundle'> & { rootsPem: string };
  backendHbonePort: number;
  backendHttpPort: number;
  backendIdentity: string;
  host: string;
  vip: string;
}

export type ChildReply = { kind: 'listening'; port: number } | { kind: 'usage'; cpuMicros: number; rss: number; heapUsed: number; external: number };

const root = process.argv[2] ?? new URL('..', import.meta.url).pathname;
const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(`${root}/${path}`).href) as Promise<Record<string, unknown>>;

const send = (reply: ChildReply): void => {
  process.send?.(reply);
};

process.on('message', (message: { kind: 'start'; start: ChildStart } | { kind: 'usage'; gc?: boolean } | { kind: 'exit' }) => {
  // A normal exit, so that --cpu-prof and --heap-prof write their files.
  if (message.kind === 'exit') process.exit(0);
  if (message.kind === 'usage') {
    // With --expose-gc the figures can be taken after a full collection (what is retained, not garbage).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc === true && gc !== undefined) gc();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    send({ kind: 'usage', cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external });
    return;
  }
  if (message.kind === 'start')
    start(message.start).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
});

async function start(s: ChildStart): Promise<void> {
  const harness = await load('test/harness.ts');
  const resources = await load('test/resources.ts');
  const parts = (await load('src/parts.ts'))['WAYPOINT_PARTS'];
  // As app.ts of that tree wires it: a tree with telemetry/access-log.ts has its own access log
  // writer and honours ACCESS_LOG; an older one logs through the process's pino logger.
  const bindings = { gateway: 'default/waypoint', pod: 'waypoint-0' };
  let accessLog: Logger = createLogger({ component: 'waypoint', format: 'json' }).child({ ...bindings, scope: 'access' });
  const own = await load('src/telemetry/access-log.ts').catch(() => undefined);
  if (own !== undefined) {
    const accessLogOn = own['accessLogOn'] as (fd: number, format: string, bindings: object) => { logger: Logger };
    accessLog = process.env['ACCESS_LOG'] === 'off' ? silentLogger : accessLogOn(2, 'json', { component: 'waypoint', ...bindings, scope: 'access' }).logger;
  }
  type Start = (credentials: HboneCredentials, parts: unknown, accessLog: unknown) => Promise<{ port: number; xds: { push(typeUrl: string, resources: object[]): void } }>;
  const credentials: HboneCredentials = { keyPem: s.credentials.keyPem, certChainPem: s.credentials.certChainPem, trustBundle: TrustBundle.fromPem(s.credentials.rootsPem) };
  const waypoint = await (harness['startWaypoint'] as Start)(credentials, parts, accessLog);
  const r = resources as { listener(n: string, c: object[]): object; routeConfiguration(h: string, p: number): object; cluster(n: string): object; assignment(n: string, e: object[]): object; outbound(h: string, p: number): string };
  const name = r.outbound(s.host, 80);
  waypoint.xds.push(TYPE_URL.listener, [r.listener('default/waypoint', [{ host: s.host, vip: s.vip, port: 80 }])]);
  waypoint.xds.push(TYPE_URL.routeConfiguration, [r.routeConfiguration(s.host, 80)]);
  waypoint.xds.push(TYPE_URL.cluster, [r.cluster(name)]);
  waypoint.xds.push(TYPE_URL.clusterLoadAssignment, [r.assignment(name, [{ ip: '127.0.0.1', port: s.backendHttpPort, hbone: { identity: s.backendIdentity, port: s.backendHbonePort } }])]);
  send({ kind: 'listening', port: waypoint.port });
}
