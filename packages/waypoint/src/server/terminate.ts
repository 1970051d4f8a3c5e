// HBONE termination: each CONNECT names `VIP:port`; the Listener's filter chain for it decides
// what the tunnel carries. HTTP chains get one end of an in-memory duplex pair while the other end
// is served as HTTP/1.1 or, when the client opens with the HTTP/2 preface, as h2c. TCP chains
// are relayed to an endpoint of their cluster. No chain -> 503 with the reason, counted and logged.
import http, { type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import { duplexPair, type Duplex } from 'node:stream';
import { errorMessage } from '@ambit/core';
import type { ConnectRequest, ConnectResult, PeerInfo, StreamClosedInfo } from '@ambit/hbone';
import type { TcpConnection } from '../telemetry/tcp.ts';
import { Counter, type Registry } from 'prom-client';
import type { DownstreamConnection, ProxyContext } from './context.ts';
import { handleRequest } from './http-handler.ts';
import { sendLocalReply, type DownstreamResponse } from './local-reply.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export class Terminator {
  readonly #ctx: ProxyContext;
  readonly #refused: Counter<'reason'>;
  /** Tunnels open now, closed on shutdown. */
  readonly #open = new Set<Duplex>();
  /** TCP-proxied streams by `peerAddress:peerPort#streamId`, until the HBONE server reports them closed. */
  readonly #tcpStreams = new Map<string, TcpConnection>();

  constructor(ctx: ProxyContext, registry: Registry) {
    this.#ctx = ctx;
    this.#refused = new Counter({ name: 'ambit_waypoint_connect_refused_total', help: 'HBONE CONNECTs the waypoint refused, by reason', labelNames: ['reason'], registers: [registry] });
  }

  get openTunnels(): number {
    return this.#open.size;
  }

  /** The HBONE server's onConnect. */
  onConnect = async (request: ConnectRequest, peer: PeerInfo): Promise<ConnectResult> => {
    const { ip, port } = request.target;
    const chain = this.#ctx.config.chain(ip, port);
    if (chain === undefined) {
      this.#refused.inc({ reason: 'no_filter_chain' });
      const reason = `no filter chain of the waypoint's Listener matches ${request.authority}`;
      this.#ctx.logger.warn({ authority: request.authority, peer: peer.identity }, reason);
      return { status: 503, reason };
    }
    const connection: DownstreamConnection = { principal: peer.identity, sourceIp: peer.address, sourcePort: peer.port, destinationIp: ip, destinationPort: port };
    if (chain.kind === 'tcp') return this.#tcp(chain.cluster, request, connection);
    const [outer, inner] = duplexPair();
    this.#track(outer);
    this.#track(inner);
    this.#serveHttp(inner, connection);
    return { status: 200, upstream: outer };
  };

  #track(stream: Duplex): void {
    this.#open.add(stream);
    stream.once('close', () => this.#open.delete(stream));
  }

  /** Waits for the first bytes: the HTTP/2 preface means h2c, anything else HTTP/1.1. */
  #serveHttp(end: Duplex, connection: DownstreamConnection): void {
    end.on('error', () => {});
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && seen.length < PREFACE.length) return;
      end.off('data', onData);
      end.pause();
      end.unshift(seen);
      if (h2) this.#h2(end, connection);
      else this.#h1(end, connection);
    };
    end.on('data', onData);
  }

  #handler(connection: DownstreamConnection): (req: http.IncomingMessage | http2.Http2ServerRequest, res: DownstreamResponse) => void {
    return (req, res) => {
      handleRequest(this.#ctx, connection, req, res).catch((error: unknown) => {
        this.#ctx.logger.error({ err: errorMessage(error), path: req.url }, 'request handling failed');
        try {
          sendLocalReply(res, (req.headers['content-type'] ?? '').startsWith('application/grpc'), { status: 500, body: 'internal error', flags: '-' });
        } catch {
          res.destroy();
        }
      });
    };
  }

  #h1(end: Duplex, connection: DownstreamConnection): void {
    // One server per tunnel: its requests know their tunnel without a lookup table.
    const server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, this.#handler(connection) as (req: http.IncomingMessage, res: ServerResponse) => void);
    // A request that does not parse gets Envoy's answer, 400, and the tunnel closes.
    server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    server.emit('connection', end);
    end.resume();
  }

  #h2(end: Duplex, connection: DownstreamConnection): void {
    const server = http2.createServer({}, this.#handler(connection));
    server.on('sessionError', () => {});
    server.emit('connection', end);
    end.resume();
  }

  async #tcp(clusterName: string, request: ConnectRequest, connection: DownstreamConnection): Promise<ConnectResult> {
    const cluster = this.#ctx.config.cluster(clusterName);
    const endpoint = cluster?.pick(new Set());
    if (cluster === undefined || endpoint === undefined) {
      this.#refused.inc({ reason: 'no_healthy_upstream' });
      const reason = `no healthy endpoint in ${clusterName} for ${request.authority}`;
      this.#ctx.logger.warn({ authority: request.authority, peer: connection.principal, cluster: clusterName }, reason);
      return { status: 503, reason };
    }
    try {
      const dialed = await this.#ctx.dialer.dial(endpoint, cluster.connectTimeoutMs);
      this.#track(dialed.stream);
      const chain = this.#ctx.config.chain(connection.destinationIp, connection.destinationPort);
      const record: TcpConnection = {
        startTime: new Date(),
        chain: chain?.name ?? '',
        principal: connection.principal,
        sourceAddress: `${connection.sourceIp}:${connection.sourcePort}`,
        upstreamCluster: clusterName,
        upstreamHost: endpoint.key,
        upstreamPrincipal: dialed.peerIdentity,
      };
      this.#tcpStreams.set(`${connection.sourceIp}:${connection.sourcePort}#${request.streamId}`, record);
      this.#ctx.tcpTelemetry.opened(record);
      return { status: 200, upstream: dialed.stream };
    } catch (error) {
      cluster.record(endpoint, { kind: 'connect-failure', error: error instanceof Error ? error : new Error(errorMessage(error)) });
      this.#refused.inc({ reason: 'upstream_connect_failure' });
      const reason = `cannot reach ${endpoint.key} of ${clusterName}: ${errorMessage(error)}`;
      this.#ctx.logger.warn({ authority: request.authority, cluster: clusterName }, reason);
      return { status: 503, reason };
    }
  }

  /** The HBONE server's onStreamClosed: TCP-proxied streams write their metrics and log line. */
  onStreamClosed = (info: StreamClosedInfo): void => {
    const key = `${info.peer.address}:${info.peer.port}#${info.streamId}`;
    const record = this.#tcpStreams.get(key);
    if (record === undefined) return;
    this.#tcpStreams.delete(key);
    this.#ctx.tcpTelemetry.closed(record, info);
  };

  /** Ends every open tunnel (after the HBONE server's drain). */
  closeAll(): void {
    for (const stream of this.#open) stream.destroy();
  }
}

