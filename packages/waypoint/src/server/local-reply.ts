// Replies the waypoint makes itself (Envoy's local replies): plain text for HTTP, and for gRPC a
// trailers-only response (HTTP 200, grpc-status and grpc-message in the only HEADERS frame) with
// the status mapped from the HTTP code (gRPC's HTTP-to-gRPC status mapping).
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { HeaderList } from '../contracts.ts';

export type DownstreamResponse = ServerResponse | Http2ServerResponse;

export const GRPC_STATUS = { unknown: 2, deadlineExceeded: 4, permissionDenied: 7, unimplemented: 12, internal: 13, unavailable: 14, unauthenticated: 16 } as const;

/**
 * gRPC status for a local reply: the HTTP mapping of the gRPC spec (doc/http-grpc-status-mapping),
 * except that a route timeout (UT) is DEADLINE_EXCEEDED: the call ran out of time, retrying it
 * elsewhere would not help.
 */
export function grpcStatusFor(httpStatus: number, flags: string): number {
  if (flags === 'UT') return GRPC_STATUS.deadlineExceeded;
  switch (httpStatus) {
    case 400:
      return GRPC_STATUS.internal;
    case 401:
      return GRPC_STATUS.unauthenticated;
    case 403:
      return GRPC_STATUS.permissionDenied;
    case 404:
      return GRPC_STATUS.unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.unavailable;
    default:
      return GRPC_STATUS.unknown;
  }
}

/** grpc-message is percent-encoded: bytes outside printable ASCII, and '%' itself (gRPC spec). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface LocalReply {
  status: number;
  body: string;
  flags: string;
  headers?: HeaderList;
}

/** Sends a local reply; returns the body bytes sent and the gRPC status ('' for HTTP). */
export function sendLocalReply(res: DownstreamResponse, grpc: boolean, reply: LocalReply): { bytes: number; grpcStatus: string; status: number } {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return { bytes: 0, grpcStatus: '', status: reply.status };
  }
  const extra: Record<string, string[]> = {};
  for (const [name, value] of reply.headers ?? []) (extra[name] ??= []).push(value);
  if (grpc) {
    const code = grpcStatusFor(reply.status, reply.flags);
    const headers = { ...extra, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(reply.body) };
    if ('stream' in res) {
      // Trailers-only: one HEADERS frame with END_STREAM.
      res.stream.respond({ ':status': 200, ...headers }, { endStream: true });
    } else {
      (res as ServerResponse).writeHead(200, headers);
      res.end();
    }
    return { bytes: 0, grpcStatus: String(code), status: 200 };
  }
  const body = Buffer.from(reply.body, 'utf8');
  (res as ServerResponse).writeHead(reply.status, { ...extra, 'content-type': 'text/plain', 'content-length': String(body.length) });
  res.end(body);
  return { bytes: body.length, grpcStatus: '', status: reply.status };
}
