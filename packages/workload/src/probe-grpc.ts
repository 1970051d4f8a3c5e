// gRPC probe: one unary call of ambit.workload.v1.Echo/Echo over h2c (prior knowledge). Any reply
// (response headers) is connected; status is the grpc-status when present, else the HTTP status.
import http2 from 'node:http2';
import net from 'node:net';
import { failure, lookupHost, serverOf, startAttempt } from './attempt.ts';
import { decodeEchoReply, encodeEchoRequest, frameGrpcMessage, parseGrpcFrames } from './grpc-codec.ts';
import { ECHO_PATH } from './grpc-handler.ts';
import type { ProbeOutcome, TimeoutOptions } from './probe-types.ts';
import { requireTarget } from './target.ts';

export interface GrpcProbeOptions extends TimeoutOptions {
  /** Defaults to /ambit.workload.v1.Echo/Echo. */
  path?: string;
  /** Request metadata (lower-case names). */
  metadata?: Record<string, string>;
  message?: string;
}

const MAX_REPLY_BYTES = 1024 * 1024;

export async function probeGrpc(to: string, options: GrpcProbeOptions): Promise<ProbeOutcome> {
  const target = requireTarget(to);
  let httpStatus: number | undefined;
  let grpcStatus: number | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  const outcome = (): ProbeOutcome => {
    if (httpStatus === undefined) return failure('timeout');
    return { connected: true, status: grpcStatus ?? httpStatus, server: replyServer(chunks), error: null };
  };
  const readGrpcStatus = (headers: http2.IncomingHttpHeaders): void => {
    const value = headers['grpc-status'];
    if (typeof value === 'string' && /^\d+$/.test(value)) grpcStatus = Number(value);
  };
  const attempt = startAttempt(options.timeoutMs, outcome);
  lookupHost(target.host).then(
    (resolved) => {
      if (attempt.settled()) return;
      const authority = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
      const session = http2.connect(`http://${authority}`, {
        createConnection: () => net.connect({ host: resolved.address, port: target.port, family: resolved.family }),
      });
      attempt.onCleanup(() => session.destroy());
      session.on('error', (error) => (httpStatus === undefined ? attempt.fail(error) : attempt.settle(outcome())));
      session.on('close', () => attempt.settle(httpStatus === undefined ? failure('connection closed') : outcome()));
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': 'POST',
          ':path': options.path ?? ECHO_PATH,
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'ambit-probe',
          ...options.metadata,
        });
      } catch (error) {
        attempt.fail(error);
        return;
      }
      stream.on('error', (error) => (httpStatus === undefined ? attempt.fail(error) : attempt.settle(outcome())));
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status'] ?? 0);
        readGrpcStatus(headers);
      });
      stream.on('trailers', (trailers) => readGrpcStatus(trailers));
      stream.on('data', (chunk: Buffer) => {
        if (size >= MAX_REPLY_BYTES) return;
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('close', () => {
        if (httpStatus !== undefined) attempt.settle(outcome());
        // Let the session report why (refused, reset, ...) before calling it a reset.
        else setImmediate(() => attempt.settle(failure('connection reset')));
      });
      stream.end(frameGrpcMessage(encodeEchoRequest({ message: options.message ?? 'ambit-probe' })));
    },
    (error: unknown) => attempt.fail(error),
  );
  return attempt.promise;
}

function replyServer(chunks: Buffer[]): string | null {
  try {
    const frame = parseGrpcFrames(Buffer.concat(chunks))[0];
    if (frame === undefined || frame.compressed) return null;
    return serverOf(decodeEchoReply(frame.message).json);
  } catch {
    return null;
  }
}
