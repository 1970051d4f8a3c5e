// Port 15014: Prometheus `/metrics`, readiness `/ready`, and `/debug/*` for people and for
// `ambit proxy-status`. Plain HTTP; GET everywhere, plus POST for the few `actions` (root
// rotation). Every handler answers JSON or text and never throws.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage, type Logger } from '@ambit/core';

export interface MonitoringRoutes {
  ready(): boolean;
  /** `/debug/<name>` handlers returning JSON-serialisable values. */
  debug: Record<string, () => unknown>;
  /** `POST /debug/<name>?...` handlers: status and JSON body. */
  actions?: Record<string, (query: URLSearchParams) => Promise<{ status: number; body: unknown }>>;
}

export function startMonitoringServer(options: { host: string; port: number; registry: Registry; routes: MonitoringRoutes; logger: Logger }): Promise<Server> {
  const { registry, routes, logger } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    void (async () => {
      try {
        if (path === '/metrics') return send(200, await registry.metrics(), registry.contentType);
        if (path === '/ready') return routes.ready() ? send(200, 'ok\n', 'text/plain') : send(503, 'not ready\n', 'text/plain');
        const name = path.startsWith('/debug/') ? path.slice('/debug/'.length) : undefined;
        const action = name !== undefined ? routes.actions?.[name] : undefined;
        if (action) {
          if (req.method !== 'POST') return send(405, JSON.stringify({ error: `${path} takes POST` }));
          const reply = await action(new URL(req.url ?? '/', 'http://localhost').searchParams);
          return send(reply.status, JSON.stringify(reply.body, jsonReplacer, 2));
        }
        const handler = name !== undefined ? routes.debug[name] : undefined;
        if (!handler) return send(404, JSON.stringify({ error: `no such endpoint ${path}`, endpoints: ['/metrics', '/ready', ...Object.keys(routes.debug).map((d) => `/debug/${d}`)] }));
        return send(200, JSON.stringify(handler(), jsonReplacer, 2));
      } catch (error) {
        logger.error({ path, err: errorMessage(error) }, 'monitoring request failed');
        return send(500, JSON.stringify({ error: errorMessage(error) }));
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

/** Bytes (IP addresses in istio.workload) print as dotted or hex text instead of arrays. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array || (typeof value === 'object' && value !== null && (value as { type?: string }).type === 'Buffer')) {
    const bytes = value instanceof Uint8Array ? value : Uint8Array.from((value as { data: number[] }).data);
    if (bytes.length === 4) return [...bytes].join('.');
    return Buffer.from(bytes).toString('hex');
  }
  return value;
}
