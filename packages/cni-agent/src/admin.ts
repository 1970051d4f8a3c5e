// Port 15025 in the node namespace: Prometheus /metrics, /debug/pods (what the agent knows) and
// /ready (xDS synced and both sockets listening). Read-only; nothing here changes state.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
}

export class AdminServer {
  private readonly options: AdminOptions;
  private server: Server | undefined;

  constructor(options: AdminOptions) {
    this.options = options;
  }

  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
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
      return json(404, { error: `no such endpoint ${url}`, endpoints: ['/metrics', '/ready', '/debug/pods', '/debug/state'] });
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
