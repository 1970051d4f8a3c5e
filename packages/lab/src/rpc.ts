// The supervisor's local API: HTTP/1.1 with JSON bodies on a Unix socket in the lab's state
// directory (root-only). The CLI is its only client.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { AmbitError, errorMessage, type Logger } from '@ambit/core';

const MAX_BODY = 64 * 1024 * 1024;

export type Handler = (body: unknown) => Promise<{ status: number; body: unknown }>;

export function startRpcServer(socketPath: string, routes: Record<string, Handler>, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    const handler = routes[route];
    const reply = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!handler) {
      reply(404, { error: `no such route: ${route}` });
      return;
    }
    readBody(req)
      .then((text) => handler(text.length > 0 ? (JSON.parse(text) as unknown) : undefined))
      .then(({ status, body }) => reply(status, body))
      .catch((error: unknown) => {
        logger.error({ route, err: errorMessage(error) }, 'request failed');
        reply(500, { error: errorMessage(error), code: error instanceof AmbitError ? error.code : 'AMBIT_LAB_INTERNAL' });
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new AmbitError('AMBIT_LAB_REQUEST_TOO_LARGE', `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface RpcReply {
  status: number;
  body: unknown;
}

/** Calls the supervisor; rejects with AMBIT_LAB_NOT_RUNNING when nobody listens on the socket. */
export function callSupervisor(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 600_000): Promise<RpcReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null });
          } catch (error) {
            reject(new AmbitError('AMBIT_LAB_BAD_REPLY', `the supervisor sent a reply that is not JSON: ${text.slice(0, 200)}`, { cause: error }));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new AmbitError('AMBIT_LAB_TIMEOUT', `the supervisor did not answer ${method} ${path} within ${timeoutMs}ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(new AmbitError('AMBIT_LAB_NOT_RUNNING', 'the lab is not running', { cause: error }));
      } else reject(error);
    });
    req.end(payload);
  });
}
