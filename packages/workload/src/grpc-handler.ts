// gRPC over h2c: the unary method ambit.workload.v1.Echo/Echo. Replies with the JSON answer and
// the request's message; anything else gets a trailers-only reply with a non-zero grpc-status.
import type { ServerHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { errorMessage, type Logger } from '@ambit/core';
import type { Answer } from './answer.ts';
import { decodeEchoRequest, encodeEchoReply, frameGrpcMessage, parseGrpcFrames } from './grpc-codec.ts';

export const ECHO_PATH = '/ambit.workload.v1.Echo/Echo';
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

export function isGrpcRequest(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && /^application\/grpc(?:$|[+;])/.test(type);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message);
}

function replyStatusOnly(stream: ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeGrpcMessage(message) },
    { endStream: true },
  );
}

export function handleGrpcStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, answer: Answer, logger: Logger): void {
  const path = headers[':path'];
  if (path !== ECHO_PATH || headers[':method'] !== 'POST') {
    stream.resume();
    replyStatusOnly(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${String(headers[':method'])} ${String(path)}`);
    return;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  stream.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > MAX_REQUEST_BYTES) {
      replyStatusOnly(stream, GrpcStatus.RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes`);
      stream.close();
      return;
    }
    chunks.push(chunk);
  });
  stream.on('end', () => {
    if (stream.destroyed || stream.headersSent) return;
    try {
      const frames = parseGrpcFrames(Buffer.concat(chunks));
      const frame = frames[0];
      if (frames.length !== 1 || frame === undefined) {
        replyStatusOnly(stream, GrpcStatus.INTERNAL, `expected one request message, got ${frames.length}`);
        return;
      }
      if (frame.compressed) {
        replyStatusOnly(stream, GrpcStatus.UNIMPLEMENTED, 'compressed messages are not supported');
        return;
      }
      const request = decodeEchoRequest(frame.message);
      const reply = frameGrpcMessage(encodeEchoReply({ json: JSON.stringify(answer), message: request.message }));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => {
        stream.sendTrailers({ 'grpc-status': String(GrpcStatus.OK), 'grpc-message': '' });
      });
      stream.end(reply);
    } catch (error) {
      logger.debug({ err: error }, 'bad gRPC request');
      replyStatusOnly(stream, GrpcStatus.INTERNAL, errorMessage(error));
    }
  });
}
