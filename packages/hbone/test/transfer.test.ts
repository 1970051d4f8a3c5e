// Bytes through a CONNECT stream: sizes from 1 byte to 64 MiB intact both ways, half-close in
// both directions, resets propagate, and a reader that stops pauses the far side.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { waitFor } from '@ambit/core';
import { HbonePool, type HboneCredentials } from '../src/index.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID } from './pki.ts';
import { connectOptions, readAll, sha256, startHbone, startUpstream, withDeadline, type Harness, type Upstream } from './harness.ts';

let server: Harness;
let clientCreds: HboneCredentials;
let pool: HbonePool;
const upstreams: Upstream[] = [];
/** What the hashing echo received, per connection, in order of arrival. */
const received: Promise<string>[] = [];

before(async () => {
  const ca = await newCa();
  server = await startHbone(await issue(ca, SERVER_ID));
  clientCreds = await issue(ca, CLIENT_ID);
  pool = new HbonePool();
});

after(async () => {
  await pool.close();
  await server.close();
  for (const u of upstreams) await u.close();
});

async function upstream(handler: (socket: Socket) => void): Promise<number> {
  const u = await startUpstream(handler);
  upstreams.push(u);
  return u.port;
}

function closedStream(stream: Duplex): Promise<unknown> {
  return stream.closed ? Promise.resolve() : withDeadline(new Promise((resolve) => stream.once('close', resolve)), 5000, 'stream close');
}

function open(port: number): ReturnType<HbonePool['connect']> {
  return pool.connect(connectOptions(server.port, clientCreds, port, [SERVER_ID]));
}

/** Echo that also hashes what arrives, so both directions are checked. */
function hashingEcho(socket: Socket): void {
  const hash = createHash('sha256');
  received.push(
    new Promise((resolve) => {
      socket.on('data', (c: Buffer) => hash.update(c));
      socket.once('end', () => resolve(hash.digest('hex')));
    }),
  );
  socket.pipe(socket);
}

for (const size of [1, 1024 * 1024, 64 * 1024 * 1024]) {
  test(`${size} bytes go through and come back intact (SHA-256 both ways)`, async () => {
    const port = await upstream(hashingEcho);
    const data = randomBytes(size);
    const at = received.length;
    const stream = await open(port);
    const back = readAll(stream, 120_000);
    stream.end(data);
    const echoed = await back;
    assert.equal(echoed.length, size);
    assert.equal(sha256(echoed), sha256(data));
    await waitFor(() => received.length > at, { timeoutMs: 5000, what: 'upstream connection' });
    assert.equal(await withDeadline(received[at] as Promise<string>, 5000, 'upstream end'), sha256(data));
    await waitFor(() => server.closed.find((c) => c.bytesFromClient === size && c.bytesToClient === size), { timeoutMs: 5000, what: 'onStreamClosed with the byte counts' });
  });
}

test('client ends its side and still receives everything the server sends after that', async () => {
  const reply = randomBytes(3 * 1024 * 1024);
  const port = await upstream((socket) => {
    const got: Buffer[] = [];
    socket.on('data', (c: Buffer) => got.push(c));
    socket.once('end', () => {
      // The client's FIN arrived; answer afterwards, then close our side.
      socket.write(Buffer.concat(got));
      socket.end(reply);
    });
  });
  const stream = await open(port);
  const back = readAll(stream);
  stream.end('question');
  const answer = await back;
  assert.equal(answer.subarray(0, 8).toString(), 'question');
  assert.equal(sha256(answer.subarray(8)), sha256(reply));
});

test('server ends its side and still receives everything the client sends after that', async () => {
  let gotAll!: (hash: string) => void;
  const upstreamHash = new Promise<string>((resolve) => (gotAll = resolve));
  const port = await upstream((socket) => {
    const hash = createHash('sha256');
    socket.on('data', (c: Buffer) => hash.update(c));
    socket.once('end', () => gotAll(hash.digest('hex')));
    socket.end('bye');
  });
  const stream = await open(port);
  const fromServer = await readAll(stream);
  assert.equal(fromServer.toString(), 'bye');
  // The server's direction ended; ours is still open.
  const payload = randomBytes(2 * 1024 * 1024);
  stream.end(payload);
  assert.equal(await withDeadline(upstreamHash, 10_000, 'upstream end'), sha256(payload));
  await closedStream(stream);
  assert.equal(stream.rstCode, 0);
});

test('an upstream reset reaches the client as RST_STREAM CONNECT_ERROR', async () => {
  const port = await upstream((socket) => {
    socket.once('data', () => socket.resetAndDestroy());
  });
  const stream = await open(port);
  stream.on('error', () => {});
  stream.write('x');
  await closedStream(stream);
  assert.equal(stream.rstCode, 0xa);
  const info = await waitFor(() => server.closed.find((c) => c.authority === `127.0.0.1:${port}`), { timeoutMs: 5000, what: 'onStreamClosed' });
  assert.equal(info.failedSide, 'upstream');
});

test('a client reset closes the upstream connection', async () => {
  let upstreamClosed!: () => void;
  const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  const port = await upstream((socket) => {
    socket.once('close', () => upstreamClosed());
  });
  const stream = await open(port);
  stream.write('x');
  stream.destroy();
  await withDeadline(closed, 5000, 'upstream close');
});

test('a client that stops reading pauses the upstream instead of buffering without bound', async () => {
  let written = 0;
  let firehose: Socket | undefined;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const port = await upstream((socket) => {
    firehose = socket;
    const pump = (): void => {
      while (!socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const before = server.upstreams.length;
  const stream = await open(port);
  stream.pause();
  const relayed = await waitFor(() => server.upstreams[before], { timeoutMs: 5000, what: 'upstream socket' });
  // Stalled: the server-side pipe paused its read of the upstream, and the firehose waits for drain.
  await waitFor(() => relayed.readableFlowing === false && relayed.isPaused() && firehose?.writableNeedDrain === true, { timeoutMs: 10_000, what: 'the upstream to be paused' });
  const stalledAt = written;
  // One stream window (4 MiB) plus socket and stream buffers: far below 64 MiB.
  assert.ok(stalledAt < 64 * 1024 * 1024, `firehose wrote ${stalledAt} bytes before stalling`);
  // Let a few keepalive round trips happen: the stall is stable.
  const session = stream.session;
  assert.ok(session);
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve, reject) => session.ping((e) => (e ? reject(e) : resolve())));
  assert.ok(written - stalledAt <= 1024 * 1024, `firehose went on writing ${written - stalledAt} bytes`);
  // Reading again resumes the flow.
  let got = 0;
  stream.on('data', (c: Buffer) => (got += c.length));
  stream.resume();
  await waitFor(() => written > stalledAt + 8 * 1024 * 1024, { timeoutMs: 10_000, what: 'flow to resume' });
  assert.ok(got > 0);
  stream.close(0x8);
});
