// HTTP/2 cleartext (prior knowledge) of the workload server: gRPC streams go to grpc-handler.ts,
// every other stream gets the same answer as HTTP/1.1, with protocol "h2c". The server never
// listens: the TCP listener hands it sockets that began with the HTTP/2 preface.
import http2 from 'node:http2';
import type { Logger } from '@ambit/core';
import { formatEndpoint, makeAnswer, type AnswerHeaders, type ServerIdentity } from './answer.ts';
import { handleGrpcStream, isGrpcRequest } from './grpc-handler.ts';
import { POD_HEADER } from './http1-handler.ts';
import { planHttpReply, statusHasBody } from './http-reply-plan.ts';
import { writeSizedBody } from './sized-body.ts';

export function createH2cServer(identity: ServerIdentity, logger: Logger): http2.Http2Server {
  const server = http2.createServer();
  server.on('session', (session) => {
    session.on('error', (error) => logger.debug({ err: error }, 'h2c session error'));
  });
  server.on('sessionError', (error) => logger.debug({ err: error }, 'h2c session error'));
  server.on('stream', (stream, headers) => {
    stream.on('error', (error) => logger.debug({ err: error }, 'h2c stream error'));
    try {
      handleStream(identity, stream, headers, logger);
    } catch (error) {
      logger.warn({ err: error }, 'h2c handler failed');
      stream.destroy();
    }
  });
  return server;
}

function requestHeaders(headers: http2.IncomingHttpHeaders): AnswerHeaders {
  const result: AnswerHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    result[name] = value;
  }
  return result;
}

function handleStream(identity: ServerIdentity, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, logger: Logger): void {
  const socket = stream.session?.socket;
  const grpc = isGrpcRequest(headers);
  const method = headers[':method'] ?? 'GET';
  const path = headers[':path'] ?? '/';
  const answer = makeAnswer(
    identity,
    { peer: formatEndpoint(socket?.remoteAddress, socket?.remotePort), local: formatEndpoint(socket?.localAddress, socket?.localPort) },
    grpc ? 'grpc' : 'h2c',
    { method, path, headers: requestHeaders(headers) },
  );
  if (grpc) {
    handleGrpcStream(stream, headers, answer, logger);
    return;
  }
  const plan = planHttpReply(path);
  let timer: NodeJS.Timeout | undefined;
  stream.on('close', () => clearTimeout(timer));
  stream.resume();
  stream.on('end', () => {
    timer = setTimeout(() => {
      if (stream.destroyed || stream.headersSent) return;
      const withBody = statusHasBody(plan.status, method);
      if (plan.size !== null) {
        stream.respond({ ':status': plan.status, 'content-type': 'application/octet-stream', 'content-length': withBody ? plan.size : 0, [POD_HEADER]: identity.pod }, { endStream: !withBody });
        if (withBody) writeSizedBody(stream, plan.size);
        return;
      }
      const body = Buffer.from(JSON.stringify(answer), 'utf8');
      stream.respond({ ':status': plan.status, 'content-type': 'application/json', 'content-length': withBody ? body.length : 0, [POD_HEADER]: identity.pod }, { endStream: !withBody });
      if (withBody) stream.end(body);
    }, plan.delayMs);
  });
}
