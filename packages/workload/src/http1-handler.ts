// HTTP/1.1 requests of the workload server: the JSON answer as body, shaped by ?status, ?delayMs
// and ?size (see http-reply-plan.ts). The http.Server here never listens: the TCP listener hands it
// sockets whose first bytes looked like an HTTP/1 request line.
import http from 'node:http';
import type { Logger } from '@ambit/core';
import { formatEndpoint, makeAnswer, type AnswerHeaders, type ServerIdentity } from './answer.ts';
import { planHttpReply, statusHasBody } from './http-reply-plan.ts';
import { writeSizedBody } from './sized-body.ts';

export const POD_HEADER = 'x-ambit-pod';

export function createHttp1Server(identity: ServerIdentity, logger: Logger): http.Server {
  const server = http.createServer((request, response) => {
    try {
      handle(identity, request, response);
    } catch (error) {
      logger.warn({ err: error }, 'HTTP/1.1 handler failed');
      response.destroy();
    }
  });
  server.on('clientError', (error, socket) => {
    logger.debug({ err: error }, 'HTTP/1.1 client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function handle(identity: ServerIdentity, request: http.IncomingMessage, response: http.ServerResponse): void {
  const method = request.method ?? 'GET';
  const path = request.url ?? '/';
  const socket = request.socket;
  const answer = makeAnswer(
    identity,
    { peer: formatEndpoint(socket.remoteAddress, socket.remotePort), local: formatEndpoint(socket.localAddress, socket.localPort) },
    'http/1.1',
    { method, path, headers: request.headers as AnswerHeaders },
  );
  const plan = planHttpReply(path);
  let timer: NodeJS.Timeout | undefined;
  response.on('close', () => clearTimeout(timer));
  request.on('error', () => response.destroy());
  request.resume();
  request.on('end', () => {
    timer = setTimeout(() => {
      if (response.destroyed) return;
      const withBody = statusHasBody(plan.status, method);
      if (plan.size !== null) {
        response.writeHead(plan.status, { 'content-type': 'application/octet-stream', 'content-length': withBody ? plan.size : 0, [POD_HEADER]: identity.pod });
        if (withBody) writeSizedBody(response, plan.size);
        else response.end();
        return;
      }
      const body = Buffer.from(JSON.stringify(answer), 'utf8');
      response.writeHead(plan.status, { 'content-type': 'application/json', 'content-length': withBody ? body.length : 0, [POD_HEADER]: identity.pod });
      response.end(withBody ? body : undefined);
    }, plan.delayMs);
  });
}
