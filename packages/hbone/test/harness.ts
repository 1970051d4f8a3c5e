// Test harness: an HBONE server on 127.0.0.1 in front of upstream servers, and a pool dialing it.
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { createHboneServer, type HboneCredentials, type HboneServer, type HboneServerOptions, type StreamClosedInfo, type HboneConnectOptions, type HbonePool } from '../src/index.ts';

export interface Upstream {
  server: Server;
  port: number;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 running `handler` per connection (sockets allow half-open). */
export async function startUpstream(handler: (socket: Socket) => void): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    handler(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echo: every byte back; ends its side when the client ends. */
export function echo(socket: Socket): void {
  socket.pipe(socket);
}

export function dialTo(port: number): () => Promise<Socket> {
  return () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
}

export interface Harness {
  hbone: HboneServer;
  port: number;
  closed: StreamClosedInfo[];
  /** Upstream sockets handed to the server, newest last. */
  upstreams: Socket[];
  close(): Promise<void>;
}

/** An HBONE server whose onConnect dials 127.0.0.1:<target port> (unless `onConnect` is given). */
export async function startHbone(credentials: HboneCredentials, extra: Partial<HboneServerOptions> = {}): Promise<Harness> {
  const closed: StreamClosedInfo[] = [];
  const upstreams: Socket[] = [];
  const hbone = createHboneServer({
    credentials,
    onConnect: async (request) => {
      const socket = await dialTo(request.target.port)().catch(() => undefined);
      if (!socket) return { status: 503, reason: 'upstream unreachable' };
      upstreams.push(socket);
      return { status: 200, upstream: socket };
    },
    onStreamClosed: (info) => closed.push(info),
    ...extra,
  });
  const address = await hbone.listen({ host: '127.0.0.1', port: 0 });
  return { hbone, port: address.port, closed, upstreams, close: () => hbone.close({ drainMs: 0 }) };
}

export function sha256(data: Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a stream to its end, with a deadline. */
export async function readAll(stream: Duplex, timeoutMs = 60_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
  return withDeadline(done, timeoutMs, 'stream end');
}

export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function connectOptions(port: number, credentials: HboneCredentials, targetPort: number, expect: string[], extra: Partial<HboneConnectOptions> = {}): HboneConnectOptions {
  return {
    key: { sourceIdentity: 'spiffe://cluster.local/ns/default/sa/client', destinationIdentities: expect, sourceIp: '127.0.0.1', destinationIp: '127.0.0.1' },
    dial: dialTo(port),
    credentials,
    authority: `127.0.0.1:${targetPort}`,
    ...extra,
  };
}

export type { HbonePool };
