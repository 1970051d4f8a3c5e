// An in-process waypoint on 127.0.0.1 with real certificates and real HBONE on both hops:
//   client --HBONE(VIP:port)--> waypoint (Terminator, WaypointConfig fed by FakeXds)
//          --HBONE(127.0.0.1:backendPort)--> backend HBONE server --> local HTTP/1.1 and h2c servers
import http, { type IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { silentLogger, type Logger } from '@ambit/core';
import { createHboneServer, HbonePool, type HboneCredentials, type HboneServer, type HboneStream } from '@ambit/hbone';
import { CertificateAuthority, createCsr, exportPrivateKeyPem, generateKeyPair, inspectCsr, istioIdentity } from '@ambit/spiffe';
import type { ExecuteRequest } from '../src/contracts.ts';
import type { ProxyContext } from '../src/server/context.ts';
import { extAuthzTransport } from '../src/server/ext-authz.ts';
import { Terminator } from '../src/server/terminate.ts';
import { RequestTelemetry } from '../src/telemetry/requests.ts';
import { TcpTelemetry } from '../src/telemetry/tcp.ts';
import { Dialer } from '../src/upstream/dialer.ts';
import { HttpUpstreams } from '../src/upstream/http-upstreams.ts';
import { WaypointConfig, type ConfigCompilers } from '../src/xds/config.ts';
import { FakeXds } from './resources.ts';

export const TD = 'cluster.local';
export const CLIENT_ID = istioIdentity(TD, 'default', 'client');
export const WAYPOINT_ID = istioIdentity(TD, 'default', 'waypoint');
export const BACKEND_ID = istioIdentity(TD, 'default', 'backend');

export async function issue(ca: CertificateAuthority, identity: string): Promise<HboneCredentials> {
  const keys = await generateKeyPair();
  const csr = await createCsr({ identity, keys });
  const info = await inspectCsr(csr);
  const signed = await ca.sign({ publicKey: info.publicKey, identity: info.identities[0] as string, ttlSeconds: 3600 });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), certChainPem: signed.certChain, trustBundle: ca.bundle };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The HBONE peer that opened the tunnel the request came through. */
  peer: string;
  body: string;
}

export interface Backend {
  hbone: HboneServer;
  hbonePort: number;
  http1Port: number;
  h2Port: number;
  tcpEchoPort: number;
  /** Envoy's HTTP ext_authz check protocol: 200 with x-ext-authz: allow, else 403. */
  extAuthzPort: number;
  checks: SeenRequest[];
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** The backend pod: its ztunnel's HBONE server (identity BACKEND_ID) in front of three local servers. */
export async function startBackend(credentials: HboneCredentials): Promise<Backend> {
  const seen: SeenRequest[] = [];
  // Which HBONE peer opened each local connection: keyed by the local port of the dialled socket.
  const peers = new Map<number, string>();
  const record = async (req: http.IncomingMessage | http2.Http2ServerRequest): Promise<SeenRequest> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, peer: peers.get(req.socket.remotePort ?? 0) ?? 'unknown', body: Buffer.concat(chunks).toString() };
    seen.push(entry);
    return entry;
  };
  const h1 = http.createServer((req, res) => {
    void record(req).then((entry) => {
      // Never answers: the waypoint's route timeout must.
      if (entry.path.startsWith('/slow')) return;
      if (entry.path.startsWith('/status/')) {
        res.writeHead(Number(entry.path.slice('/status/'.length)), { 'content-type': 'text/plain' });
        res.end('status\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': 'h1' });
      res.end(`hello ${entry.method} ${entry.path} ${entry.body}`);
    });
  });
  const h2 = http2.createServer((req, res) => {
    void record(req).then((entry) => {
      if (entry.path.endsWith('/Slow')) return;
      // A gRPC-shaped answer: the request's message echoed, status in the trailers.
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': '0', 'grpc-message': '', 'x-trailer': 'kept' });
      res.end(Buffer.from(entry.body));
    });
  });
  const echo = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const checks: SeenRequest[] = [];
  const extAuthz = http.createServer((req, res) => {
    checks.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, peer: peers.get(req.socket.remotePort ?? 0) ?? 'unknown', body: '' });
    req.resume();
    const ok = req.headers['x-ext-authz'] === 'allow';
    res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain', 'x-ext-authz-check-result': ok ? 'allowed' : 'denied' });
    res.end(ok ? '' : 'denied by ext-authz');
  });
  const sockets = new Set<Socket>();
  for (const server of [h1, h2, echo, extAuthz]) {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  const hbone = createHboneServer({
    credentials,
    onConnect: async (request, peer) => {
      const socket = net.connect({ host: '127.0.0.1', port: request.target.port });
      socket.on('error', () => {});
      try {
        await once(socket, 'connect');
      } catch {
        return { status: 503, reason: 'backend port closed' };
      }
      peers.set(socket.localPort ?? 0, peer.identity);
      return { status: 200, upstream: socket };
    },
  });
  const address = await hbone.listen({ host: '127.0.0.1', port: 0 });
  return {
    hbone,
    hbonePort: address.port,
    http1Port: (h1.address() as AddressInfo).port,
    h2Port: (h2.address() as AddressInfo).port,
    tcpEchoPort: (echo.address() as AddressInfo).port,
    extAuthzPort: (extAuthz.address() as AddressInfo).port,
    checks,
    seen,
    close: async () => {
      await hbone.close({ drainMs: 0 });
      for (const s of sockets) s.destroy();
      await Promise.all([h1, h2, echo, extAuthz].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

export interface WaypointUnderTest {
  xds: FakeXds;
  config: WaypointConfig;
  registry: Registry;
  upstreams: HttpUpstreams;
  hbone: HboneServer;
  port: number;
  close(): Promise<void>;
}

export interface WaypointParts {
  compilers: ConfigCompilers;
  executeRequest: ExecuteRequest;
  normalizePath: (path: string) => string | undefined;
}

/** The waypoint's HBONE termination and HTTP machinery as app.ts wires them, on 127.0.0.1. */
export async function startWaypoint(credentials: HboneCredentials, parts: WaypointParts, accessLog: Logger = silentLogger): Promise<WaypointUnderTest> {
  const xds = new FakeXds();
  const registry = new Registry();
  const pool = new HbonePool({ connectTimeoutMs: 5000 });
  const dialer = new Dialer({ pool, credentials: () => credentials, identity: WAYPOINT_ID, sourceIp: '127.0.0.1' });
  const upstreams = new HttpUpstreams(dialer, silentLogger);
  const config = new WaypointConfig({ xds, listenerName: 'default/waypoint', compilers: parts.compilers, logger: silentLogger, onEndpoints: (keys) => upstreams.retain(keys) });
  const ctx: ProxyContext = {
    config,
    upstreams,
    dialer,
    telemetry: new RequestTelemetry(registry, accessLog),
    tcpTelemetry: new TcpTelemetry(registry, accessLog),
    executeRequest: parts.executeRequest,
    normalizePath: parts.normalizePath,
    extAuthz: extAuthzTransport(config, upstreams),
    logger: silentLogger,
    random: Math.random,
  };
  const terminator = new Terminator(ctx, registry);
  const hbone = createHboneServer({ credentials, onConnect: terminator.onConnect, onStreamClosed: terminator.onStreamClosed });
  const address = await hbone.listen({ host: '127.0.0.1', port: 0 });
  return {
    xds,
    config,
    registry,
    upstreams,
    hbone,
    port: address.port,
    close: async () => {
      await hbone.close({ drainMs: 0 });
      terminator.closeAll();
      await upstreams.close();
      await pool.close();
      config.close();
    },
  };
}

/** The client pod's ztunnel: HBONE to the waypoint, CONNECT authority VIP:port. */
export function tunnel(pool: HbonePool, credentials: HboneCredentials, waypointPort: number, authority: string): Promise<HboneStream> {
  return pool.connect({
    key: { sourceIdentity: CLIENT_ID, destinationIdentities: [WAYPOINT_ID], sourceIp: '127.0.0.1', destinationIp: '127.0.0.1' },
    dial: async () => {
      const socket = net.connect({ host: '127.0.0.1', port: waypointPort });
      socket.on('error', () => {});
      await once(socket, 'connect');
      return socket;
    },
    credentials,
    authority,
  });
}

export interface H1Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request over a fresh tunnel. */
export async function h1Request(stream: HboneStream, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<H1Response> {
  return new Promise((resolve, reject) => {
    const req = http.request({ createConnection: () => stream as unknown as Socket, method: options.method ?? 'GET', path: options.path, headers: { host: 'echo.default.svc.cluster.local', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.once('error', reject);
    });
    req.once('error', reject);
    // With Expect: 100-continue the body waits for the proxy's 100 (Node's client does not wait by itself).
    if (options.headers?.['expect'] === '100-continue') req.once('continue', () => req.end(options.body));
    else req.end(options.body);
  });
}

export interface H2Response {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/2 request on an h2c session over a tunnel. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.once('response', (h) => (responseHeaders = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
    stream.once('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** A gRPC length-prefixed message frame (uncompressed). */
export function grpcFrame(payload: string): Buffer {
  const data = Buffer.from(payload);
  const frame = Buffer.alloc(5 + data.length);
  frame.writeUInt32BE(data.length, 1);
  data.copy(frame, 5);
  return frame;
}
