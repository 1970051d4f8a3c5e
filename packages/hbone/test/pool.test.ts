// Pooling: streams share sessions up to the per-connection limit, concurrent first connects share
// one handshake, idle sessions close, credential changes reach new connections only, keepalive
// drops a peer that stops answering, and close({ drainMs }) lets open streams finish.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { waitFor } from '@ambit/core';
import { istioIdentity } from '@ambit/spiffe';
import { HbonePool, type HboneCredentials, type HboneStream } from '../src/index.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID, TD } from './pki.ts';
import { connectOptions, echo, readAll, startHbone, startUpstream, withDeadline, type Upstream } from './harness.ts';
import type { CertificateAuthority } from '@ambit/spiffe';

let ca: CertificateAuthority;
let up: Upstream;
let clientCreds: HboneCredentials;
let serverCreds: HboneCredentials;

before(async () => {
  ca = await newCa();
  up = await startUpstream(echo);
  clientCreds = await issue(ca, CLIENT_ID);
  serverCreds = await issue(ca, SERVER_ID);
});

after(async () => {
  await up.close();
});

async function roundTrip(stream: HboneStream, text: string): Promise<void> {
  const got = new Promise<string>((resolve) => stream.once('data', (c: Buffer) => resolve(c.toString())));
  stream.write(text);
  assert.equal(await withDeadline(got, 5000, 'echo'), text);
}

test('150 concurrent streams to one key use exactly 2 sessions (100 + 50), then idle sessions close', async () => {
  const server = await startHbone(serverCreds);
  const pool = new HbonePool({ idleTimeoutMs: 200 });
  try {
    const streams = await Promise.all(Array.from({ length: 150 }, () => pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]))));
    const stats = pool.stats();
    assert.equal(stats.sessions, 2);
    assert.equal(stats.sessionsOpened, 2);
    const sessions = Object.values(stats.keys)[0] ?? [];
    assert.deepEqual(sessions.map((s) => s.streams).sort((a, b) => b - a), [100, 50]);
    assert.equal(new Set(streams.map((s) => s.session)).size, 2);
    assert.equal(server.hbone.stats().sessions, 2);
    // Every stream works, then ends.
    await Promise.all(
      streams.map(async (s, i) => {
        const back = readAll(s);
        s.end(`stream ${i}`);
        assert.equal((await back).toString(), `stream ${i}`);
      }),
    );
    await waitFor(() => pool.stats().streams === 0, { timeoutMs: 5000, what: 'streams to be released' });
    await waitFor(() => pool.stats().sessions === 0, { timeoutMs: 5000, what: 'idle sessions to close' });
    await waitFor(() => server.hbone.stats().sessions === 0, { timeoutMs: 5000, what: 'the server to see the sessions go' });
  } finally {
    await pool.close();
    await server.close();
  }
});

test('a new stream after the first completes reuses the session (no second handshake)', async () => {
  const server = await startHbone(serverCreds);
  const pool = new HbonePool();
  try {
    for (let i = 0; i < 5; i++) {
      const s = await pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]));
      const back = readAll(s);
      s.end('x');
      await back;
    }
    assert.equal(pool.stats().sessionsOpened, 1);
    // A different key (another destination identity set) gets its own session.
    const other = await pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID, istioIdentity(TD, 'default', 'alias')]));
    other.destroy();
    assert.equal(pool.stats().sessionsOpened, 2);
  } finally {
    await pool.close();
    await server.close();
  }
});

test('setCredentials takes effect for new connections while an open stream keeps flowing', async () => {
  const server = await startHbone(serverCreds);
  const renewedId = istioIdentity(TD, 'default', 'server-v2');
  const pool1 = new HbonePool();
  const pool2 = new HbonePool();
  try {
    const old = await pool1.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]));
    assert.equal(old.hbone.peerIdentity, SERVER_ID);
    await roundTrip(old, 'before');
    server.hbone.setCredentials(await issue(ca, renewedId));
    assert.equal(server.hbone.identity, renewedId);
    const fresh = await pool2.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID, renewedId]));
    assert.equal(fresh.hbone.peerIdentity, renewedId);
    await roundTrip(fresh, 'new');
    await roundTrip(old, 'after');
    const back = readAll(old);
    old.end('bye');
    assert.equal((await back).toString(), 'bye');
    fresh.destroy();
  } finally {
    await pool1.close();
    await pool2.close();
    await server.close();
  }
});

test('new client credentials move new streams to a new session; the old one drains', async () => {
  const server = await startHbone(serverCreds);
  const pool = new HbonePool();
  try {
    const a = await pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]));
    const renewed = await issue(ca, CLIENT_ID);
    const b = await pool.connect(connectOptions(server.port, renewed, up.port, [SERVER_ID]));
    assert.notEqual(a.session, b.session);
    assert.equal(pool.stats().sessions, 2);
    await roundTrip(a, 'old still works');
    const oldSession = a.session;
    assert.ok(oldSession);
    const closed = new Promise((resolve) => oldSession.once('close', resolve));
    a.destroy();
    await withDeadline(closed, 5000, 'the drained session to close');
    assert.equal(pool.stats().sessions, 1);
    b.destroy();
  } finally {
    await pool.close();
    await server.close();
  }
});

test('keepalive drops a session whose peer stops answering pings', async () => {
  const server = await startHbone(serverCreds);
  // A TCP relay in front of the server that can go silent (a peer that vanished without a FIN).
  const pairs: [Socket, Socket][] = [];
  const relayServer = net.createServer((inbound) => {
    const outbound = net.connect(server.port, '127.0.0.1');
    inbound.on('error', () => {});
    outbound.on('error', () => {});
    inbound.pipe(outbound).pipe(inbound);
    pairs.push([inbound, outbound]);
  });
  relayServer.listen(0, '127.0.0.1');
  await once(relayServer, 'listening');
  const relayPort = (relayServer.address() as AddressInfo).port;
  const pool = new HbonePool({ pingIntervalMs: 50, pingTimeoutMs: 200 });
  try {
    const s = await pool.connect(connectOptions(relayPort, clientCreds, up.port, [SERVER_ID]));
    s.on('error', () => {});
    assert.equal(pool.stats().sessions, 1);
    for (const [inbound, outbound] of pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      inbound.pause();
      outbound.pause();
    }
    await waitFor(() => pool.stats().sessions === 0, { timeoutMs: 5000, what: 'the silent session to be dropped' });
    await withDeadline(new Promise((resolve) => (s.closed ? resolve(undefined) : s.once('close', resolve))), 5000, 'stream close');
  } finally {
    for (const pair of pairs) for (const socket of pair) socket.destroy();
    relayServer.close();
    await pool.close();
    await server.close();
  }
});

test('close({ drainMs }) sends GOAWAY, lets an open stream finish, and refuses new sessions', async () => {
  const server = await startHbone(serverCreds);
  const pool = new HbonePool();
  try {
    const s = await pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]));
    const goaway = new Promise((resolve) => s.session?.once('goaway', resolve));
    const closing = server.hbone.close({ drainMs: 10_000 });
    await withDeadline(goaway, 5000, 'GOAWAY');
    assert.equal(pool.stats().sessions, 1);
    assert.equal(Object.values(pool.stats().keys)[0]?.[0]?.state, 'draining');
    await roundTrip(s, 'still here');
    const back = readAll(s);
    s.end('last');
    assert.equal((await back).toString(), 'last');
    await withDeadline(closing, 5000, 'server close');
    await assert.rejects(pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID], { timeoutMs: 2000 })), { code: 'AMBIT_HBONE_DIAL' });
  } finally {
    await pool.close();
  }
});

test('close({ drainMs }) destroys streams still open after the drain period', async () => {
  const server = await startHbone(serverCreds);
  const pool = new HbonePool();
  try {
    const s = await pool.connect(connectOptions(server.port, clientCreds, up.port, [SERVER_ID]));
    s.on('error', () => {});
    await withDeadline(server.hbone.close({ drainMs: 100 }), 5000, 'server close');
    await withDeadline(new Promise((resolve) => (s.closed ? resolve(undefined) : s.once('close', resolve))), 5000, 'stream close');
  } finally {
    await pool.close();
  }
});
