// The byte pipe on real loopback sockets: bytes intact both ways, half-close carried in each
// direction on its own, a reset tears both sides down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { pipeBoth } from './pipe.ts';

/** A "proxy": accepts on one port and pipes each connection to an upstream port. */
async function proxyTo(upstreamPort: number): Promise<{ server: Server; port: number; results: Array<Promise<{ error: Error | undefined }>> }> {
  const results: Array<Promise<{ error: Error | undefined }>> = [];
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: upstreamPort, host: '127.0.0.1', allowHalfOpen: true });
    results.push(pipeBoth(client, upstream));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, results };
}

async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'end');
  return Buffer.concat(chunks);
}

test('bytes intact both ways and half-close in each direction', async () => {
  // Upstream: reads everything the client sends, then answers with its hash and 1 MiB, then ends.
  const payload = randomBytes(1024 * 1024);
  const upstream = createServer({ allowHalfOpen: true }, (s) => {
    const hash = createHash('sha256');
    s.on('data', (c: Buffer) => hash.update(c));
    s.once('end', () => {
      s.write(hash.digest('hex'));
      s.end(payload);
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const proxy = await proxyTo((upstream.address() as { port: number }).port);
  try {
    const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    const sent = randomBytes(3 * 1024 * 1024 + 7);
    client.end(sent); // half-close: the client is done sending but keeps reading
    const reply = await readAll(client);
    assert.equal(reply.subarray(0, 64).toString(), createHash('sha256').update(sent).digest('hex'));
    assert.ok(reply.subarray(64).equals(payload));
    const [result] = await Promise.all(proxy.results);
    assert.equal(result?.error, undefined);
  } finally {
    proxy.server.close();
    upstream.close();
  }
});

test('a reset on one side tears down the other', async () => {
  const upstream = createServer((s) => s.resetAndDestroy());
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const proxy = await proxyTo((upstream.address() as { port: number }).port);
  try {
    const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    const reset = new Promise<string | undefined>((resolve) => client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code)));
    client.write('hello');
    assert.equal(await reset, 'ECONNRESET', 'the client sees the upstream reset, not a clean end');
    const [result] = await Promise.all(proxy.results);
    assert.ok(result?.error, 'the pipe reports the failure');
  } finally {
    proxy.server.close();
    upstream.close();
  }
});
