import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { startWorkloadServer, type WorkloadServer } from '../src/index.ts';
import { decodeEchoReply, encodeEchoRequest, frameGrpcMessage, parseGrpcFrames } from '../src/grpc-codec.ts';
import { parseJson, readToEnd } from './helpers.ts';

function get(port: number, path: string, options: http.RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; localPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, ...options }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), localPort: request.socket?.localPort }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.method === 'POST' ? 'some body' : undefined);
  });
}

interface H2Reply {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(body);
  });
}

describe('workload server', () => {
  let server: WorkloadServer;
  let port: number;
  let udpPort: number;

  before(async () => {
    server = await startWorkloadServer({ pod: 'demo/web-0', node: 'node-1', host: '127.0.0.1', tcp: [0], udp: [0] });
    port = server.tcp[0] ?? 0;
    udpPort = server.udp[0] ?? 0;
  });
  after(() => server.close());

  test('reports the ports it bound', () => {
    assert.ok(port > 0 && udpPort > 0);
  });

  test('HTTP/1.1 answers 200 with the JSON answer', async () => {
    const reply = await get(port, '/hello?x=1', { headers: { 'x-test': 'yes' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.equal(reply.headers['x-ambit-pod'], 'demo/web-0');
    const answer = parseJson(reply.body.toString());
    assert.deepEqual(Object.keys(answer), ['pod', 'node', 'peer', 'local', 'protocol', 'method', 'path', 'headers']);
    assert.equal(answer['pod'], 'demo/web-0');
    assert.equal(answer['node'], 'node-1');
    assert.equal(answer['protocol'], 'http/1.1');
    assert.equal(answer['method'], 'GET');
    assert.equal(answer['path'], '/hello?x=1');
    assert.equal(answer['local'], `127.0.0.1:${port}`);
    assert.equal(answer['peer'], `127.0.0.1:${reply.localPort}`);
    assert.equal((answer['headers'] as Record<string, string>)['x-test'], 'yes');
  });

  test('HTTP/1.1 keep-alive: a second request on the same connection is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, '/one', { agent });
      const second = await get(port, '/two', { agent, method: 'POST' });
      const a = parseJson(first.body.toString());
      const b = parseJson(second.body.toString());
      assert.equal(a['path'], '/one');
      assert.equal(b['path'], '/two');
      assert.equal(b['method'], 'POST');
      assert.equal(a['peer'], b['peer'], 'both requests used one connection');
    } finally {
      agent.destroy();
    }
  });

  test('HTTP/1.1 ?status, ?delayMs and ?size', async () => {
    const denied = await get(port, '/x?status=403');
    assert.equal(denied.status, 403);
    assert.equal(parseJson(denied.body.toString())['pod'], 'demo/web-0');
    const started = Date.now();
    const delayed = await get(port, '/x?delayMs=50&status=503');
    assert.equal(delayed.status, 503);
    assert.ok(Date.now() - started >= 45, 'the reply waited for delayMs');
    const sized = await get(port, '/x?size=200000');
    assert.equal(sized.status, 200);
    assert.equal(sized.body.length, 200000);
    assert.equal(sized.headers['content-type'], 'application/octet-stream');
    const empty = await get(port, '/x?status=204');
    assert.equal(empty.status, 204);
    assert.equal(empty.body.length, 0);
  });

  test('h2c with prior knowledge answers with protocol h2c', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const reply = await h2Request(session, { ':path': '/h2?status=418', 'x-test': 'h2' });
      assert.equal(reply.headers[':status'], 418);
      assert.equal(reply.headers['content-type'], 'application/json');
      const answer = parseJson(reply.body.toString());
      assert.equal(answer['protocol'], 'h2c');
      assert.equal(answer['method'], 'GET');
      assert.equal(answer['path'], '/h2?status=418');
      assert.equal(answer['local'], `127.0.0.1:${port}`);
      assert.deepEqual(answer['headers'], { 'x-test': 'h2' });
      const sized = await h2Request(session, { ':path': '/big?size=100000' });
      assert.equal(sized.body.length, 100000);
    } finally {
      session.close();
    }
  });

  test('gRPC Echo over h2c: reply decoded, grpc-status 0', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const reply = await h2Request(
        session,
        { ':method': 'POST', ':path': '/ambit.workload.v1.Echo/Echo', 'content-type': 'application/grpc', te: 'trailers', 'x-md': 'v' },
        frameGrpcMessage(encodeEchoRequest({ message: 'ping' })),
      );
      assert.equal(reply.headers[':status'], 200);
      assert.equal(reply.headers['content-type'], 'application/grpc');
      assert.equal(reply.trailers['grpc-status'], '0');
      const frames = parseGrpcFrames(reply.body);
      assert.equal(frames.length, 1);
      const echo = decodeEchoReply(frames[0]?.message ?? Buffer.alloc(0));
      assert.equal(echo.message, 'ping');
      const answer = parseJson(echo.json);
      assert.equal(answer['protocol'], 'grpc');
      assert.equal(answer['pod'], 'demo/web-0');
      assert.equal(answer['method'], 'POST');
      assert.equal(answer['path'], '/ambit.workload.v1.Echo/Echo');
      assert.equal((answer['headers'] as Record<string, string>)['x-md'], 'v');
    } finally {
      session.close();
    }
  });

  test('gRPC unknown method: grpc-status 12', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const reply = await h2Request(
        session,
        { ':method': 'POST', ':path': '/ambit.workload.v1.Echo/Nope', 'content-type': 'application/grpc' },
        frameGrpcMessage(encodeEchoRequest({ message: 'x' })),
      );
      assert.equal(reply.headers[':status'], 200);
      assert.equal(reply.headers['grpc-status'], '12');
      assert.equal(reply.body.length, 0);
    } finally {
      session.close();
    }
  });

  test('gRPC malformed request: grpc-status 13', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const reply = await h2Request(
        session,
        { ':method': 'POST', ':path': '/ambit.workload.v1.Echo/Echo', 'content-type': 'application/grpc' },
        Buffer.from('0000000009', 'hex'),
      );
      assert.equal(reply.headers['grpc-status'], '13');
    } finally {
      session.close();
    }
  });

  test('plain TCP: a JSON line, then the bytes echoed; half-close is honoured', async () => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    await once(socket, 'connect');
    const localPort = socket.localPort;
    const all = readToEnd(socket);
    socket.write('hello\n');
    // Wait for the answer line and the echo of the first line before sending more.
    let seen = '';
    while (!seen.includes('hello\n')) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      seen += chunk.toString();
    }
    socket.end('after half-close? no: before it, then end');
    const text = (await all).toString();
    const newline = text.indexOf('\n');
    const answer = parseJson(text.slice(0, newline));
    assert.equal(answer['protocol'], 'tcp');
    assert.equal(answer['method'], null);
    assert.equal(answer['path'], null);
    assert.equal(answer['headers'], null);
    assert.equal(answer['local'], `127.0.0.1:${port}`);
    assert.equal(answer['peer'], `127.0.0.1:${localPort}`);
    assert.equal(text.slice(newline + 1), 'hello\nafter half-close? no: before it, then end');
    socket.destroy();
  });

  test('plain TCP: client writes a line and half-closes at once, still gets everything and the end', async () => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    await once(socket, 'connect');
    const all = readToEnd(socket);
    socket.end('line\nrest');
    const text = (await all).toString();
    assert.match(text, /^\{"pod":"demo\/web-0".*"protocol":"tcp".*\}\nline\nrest$/);
    socket.destroy();
  });

  test('plain TCP: binary bytes without a line end are answered at once', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.write('*1\r\n');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    assert.match(chunk.toString(), /^\{"pod":"demo\/web-0"/);
    socket.destroy();
  });

  test('UDP: each datagram gets the JSON answer', async () => {
    const socket = dgram.createSocket('udp4');
    try {
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      socket.send('ping', udpPort, '127.0.0.1');
      const [message] = (await once(socket, 'message')) as [Buffer];
      const answer = parseJson(message.toString());
      assert.equal(answer['protocol'], 'udp');
      assert.equal(answer['pod'], 'demo/web-0');
      assert.equal(answer['peer'], `127.0.0.1:${socket.address().port}`);
      assert.equal(answer['local'], `127.0.0.1:${udpPort}`);
      assert.equal(answer['method'], null);
    } finally {
      socket.close();
    }
  });
});

describe('workload server lifecycle', () => {
  test('a port it cannot bind fails with a message naming the port', async () => {
    const first = await startWorkloadServer({ pod: 'a/b', node: 'n', host: '127.0.0.1', tcp: [0] });
    try {
      const busy = first.tcp[0] ?? 0;
      await assert.rejects(startWorkloadServer({ pod: 'a/b', node: 'n', host: '127.0.0.1', tcp: [0, busy] }), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { code?: unknown }).code, 'AMBIT_WORKLOAD_LISTEN_FAILED');
        assert.match(error.message, new RegExp(`TCP port ${busy}.*address already in use`));
        return true;
      });
    } finally {
      await first.close();
    }
  });

  test('close() ends open TCP echo connections and stops listening', async () => {
    const server = await startWorkloadServer({ pod: 'a/b', node: 'n', host: '127.0.0.1', tcp: [0] });
    const port = server.tcp[0] ?? 0;
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    await once(socket, 'connect');
    const all = readToEnd(socket);
    socket.write('x\n');
    await once(socket, 'data');
    await server.close();
    assert.match((await all).toString(), /"protocol":"tcp"/);
    socket.destroy();
    const refused = net.connect({ host: '127.0.0.1', port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
  });
});
