// The built-in workload server: on each TCP port it sniffs every connection's first bytes and hands
// it to HTTP/1.1, h2c (and gRPC over it) or plain TCP echo; on each UDP port it answers datagrams.
import net from 'node:net';
import type dgram from 'node:dgram';
import type { Http2Session } from 'node:http2';
import { silentLogger, type Logger } from '@ambit/core';
import { formatEndpoint, makeAnswer, type ServerIdentity } from './answer.ts';
import { createH2cServer } from './h2c-handler.ts';
import { createHttp1Server } from './http1-handler.ts';
import { listenError } from './listen-error.ts';
import { sniff } from './sniff.ts';
import { serveTcpEcho } from './tcp-echo.ts';
import { bindUdpEcho } from './udp-echo.ts';

export interface WorkloadServerOptions {
  /** `namespace/name` of the pod, reported in every answer. */
  pod: string;
  node: string;
  /** TCP ports to serve (0 picks a free port). */
  tcp?: readonly number[];
  /** UDP ports to serve (0 picks a free port). */
  udp?: readonly number[];
  /** Address to bind; default 0.0.0.0. */
  host?: string;
  logger?: Logger;
  /** How long close() lets open connections finish before destroying them; default 1000 ms. */
  closeGraceMs?: number;
}

export interface WorkloadServer {
  /** Bound TCP ports, in the order asked. */
  readonly tcp: readonly number[];
  /** Bound UDP ports, in the order asked. */
  readonly udp: readonly number[];
  readonly host: string;
  /** Stops listening, ends every connection (destroying the stragglers after the grace period). */
  close(): Promise<void>;
}

/** A connection that has not sent its first bytes within this long is dropped. */
const SNIFF_IDLE_MS = 60_000;

export async function startWorkloadServer(options: WorkloadServerOptions): Promise<WorkloadServer> {
  const identity: ServerIdentity = { pod: options.pod, node: options.node };
  const host = options.host ?? '0.0.0.0';
  const logger = options.logger ?? silentLogger;
  const grace = options.closeGraceMs ?? 1000;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<Http2Session>();
  const http1 = createHttp1Server(identity, logger);
  const h2c = createH2cServer(identity, logger);
  h2c.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  const onConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (error) => logger.debug({ err: error }, 'connection error'));
    socket.setTimeout(SNIFF_IDLE_MS, () => socket.destroy());
    let sniffed = Buffer.alloc(0);
    let ended = false;
    const decide = (): void => {
      const verdict = sniff(sniffed, ended);
      if (verdict === 'more') return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.setTimeout(0);
      socket.pause();
      if (verdict === 'tcp') {
        const endpoints = { peer: formatEndpoint(socket.remoteAddress, socket.remotePort), local: formatEndpoint(socket.localAddress, socket.localPort) };
        serveTcpEcho(socket, sniffed, ended, makeAnswer(identity, endpoints, 'tcp'));
        return;
      }
      socket.unshift(sniffed);
      if (verdict === 'h2c') {
        h2c.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        // http.Server reads the socket's handle directly; the unshifted bytes flow once resumed.
        socket.resume();
      }
    };
    const onData = (chunk: Buffer): void => {
      sniffed = Buffer.concat([sniffed, chunk]);
      decide();
    };
    const onEnd = (): void => {
      ended = true;
      decide();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  };

  const listeners: net.Server[] = [];
  const udpSockets: dgram.Socket[] = [];
  const closeAll = async (): Promise<void> => {
    // net.Server.close() calls back only once every connection is gone: do not wait for it here.
    for (const server of listeners) server.close();
    await Promise.all(udpSockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    for (const session of sessions) session.close();
    for (const socket of sockets) socket.end();
    if (sockets.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
        resolve();
      }, grace);
      const check = (): void => {
        if (sockets.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const socket of sockets) socket.once('close', () => setImmediate(check));
    });
  };

  try {
    for (const port of options.tcp ?? []) {
      const server = net.createServer({ allowHalfOpen: true }, onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => reject(listenError('TCP', host, port, error)));
        server.listen({ port, host, exclusive: true }, () => resolve());
      });
      server.on('error', (error) => logger.warn({ err: error, port }, 'TCP listener error'));
      listeners.push(server);
    }
    for (const port of options.udp ?? []) {
      udpSockets.push(await bindUdpEcho(identity, host, port, logger));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const tcp = listeners.map((server) => (server.address() as net.AddressInfo).port);
  const udp = udpSockets.map((socket) => socket.address().port);
  logger.info({ pod: identity.pod, node: identity.node, host, tcp, udp }, 'workload server listening');
  let closing: Promise<void> | undefined;
  return {
    tcp,
    udp,
    host,
    close: () => {
      closing ??= closeAll();
      return closing;
    },
  };
}
