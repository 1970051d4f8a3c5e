// The proxies' small HTTP endpoints (admin, metrics, readiness of the ztunnel and the waypoint):
// one server per port, a route function per server, every failure answered as 500 rather than
// thrown out of the handler.
import { createServer, type Server } from 'node:http';
import { errorMessage } from './errors.ts';

export interface EndpointReply {
  status: number;
  type: string;
  body: string;
}

export type EndpointRoute = (method: string, path: string) => Promise<EndpointReply | undefined>;

export function serveHttp(host: string, port: number, route: EndpointRoute): Promise<Server> {
  const server = createServer((req, res) => {
    route(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/').then(
      (reply) => {
        const r = reply ?? { status: 404, type: 'text/plain', body: 'not found\n' };
        res.writeHead(r.status, { 'content-type': r.type });
        res.end(r.body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${errorMessage(error)}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
