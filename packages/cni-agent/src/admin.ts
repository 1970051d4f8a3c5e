// Port 15025 in the node namespace: Prometheus /metrics, /debug/pods (what the agent knows) and
// /ready (xDS synced and both sockets listening). Read-only; nothing here changes state.
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { errorMessage, type Logger } from '@ambit/core';
import type * as prom from 'prom-client';

export interface AdminOptions {
  address: string;
  port: number;
  registry: prom.Registry;
  logger: Logger;
  /** Problems that keep the agent unready ([] = ready). */
  readiness(): string[];
  debugPods(): unknown;
  debugState(): unknown;
  debugNetpol(): unknown;
  /** One connection's verdict; throws for a bad query (answered 400). */
  explain(query: { from: string; to: string; port: number; protocol: string }): unknown;
}

export class AdminServer {
  private readonly options: AdminOptions;
  private server: Server | undefined;

  constructor(options: AdminOptions) {
    this.options = options;
  }

  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      const [url = '/', search = ''] = (req.url ?? '/').split('?');
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify(body, null, 2)}\n`);
      };
      if (req.method !== 'GET') return json(405, { error: 'GET only' });
      if (url === '/metrics') {
        this.options.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.options.registry.contentType });
            res.end(text);
          },
          (error: unknown) => json(500, { error: errorMessage(error) }),
        );
        return;
      }
      if (url === '/ready' || url === '/healthz/ready') {
        const problems = this.options.readiness();
        return json(problems.length === 0 ? 200 : 503, { ready: problems.length === 0, problems });
      }
      if (url === '/debug/pods') return json(200, this.options.debugPods());
      if (url === '/debug/state') return json(200, this.options.debugState());
      if (url === '/debug/netpol') return json(200, this.options.debugNetpol());
      if (url === '/debug/netpol/explain') {
        const q = new URLSearchParams(search);
        const port = Number(q.get('port'));
        const from = q.get('from') ?? '';
        const to = q.get('to') ?? '';
        const protocol = (q.get('protocol') ?? 'TCP').toUpperCase();
        const problems: string[] = [];
        if (isIP(from) === 0) problems.push(`from: expected a pod IP, got ${JSON.stringify(from)}`);
        if (isIP(to) === 0) problems.push(`to: expected a pod IP, got ${JSON.stringify(to)}`);
        if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port: expected 1-65535, got ${JSON.stringify(q.get('port'))}`);
        if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) problems.push(`protocol: expected TCP, UDP or SCTP, got ${JSON.stringify(protocol)}`);
        if (problems.length > 0) return json(400, { error: problems.join('; ') });
        try {
          return json(200, this.options.explain({ from, to, port, protocol }));
        } catch (error) {
          return json(400, { error: errorMessage(error) });
        }
      }
      return json(404, { error: `no such endpoint ${url}`, endpoints: ['/metrics', '/ready', '/debug/pods', '/debug/state', '/debug/netpol', '/debug/netpol/explain?from=IP&to=IP&port=P&protocol=TCP'] });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.address, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    this.options.logger.info({ address: this.options.address, port }, 'monitoring listening');
    return port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
