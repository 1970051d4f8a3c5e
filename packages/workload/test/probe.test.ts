import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { probeGrpc, probeHttp, probeTcp, probeUdp, runProbes, startWorkloadServer, type WorkloadServer } from '../src/index.ts';
import { freePort, silentServer } from './helpers.ts';

describe('probes against the workload server', () => {
  let server: WorkloadServer;
  let tcp: string;
  let udp: string;

  before(async () => {
    server = await startWorkloadServer({ pod: 'demo/backend-0', node: 'node-2', host: '127.0.0.1', tcp: [0], udp: [0] });
    tcp = `127.0.0.1:${server.tcp[0]}`;
    udp = `127.0.0.1:${server.udp[0]}`;
  });
  after(() => server.close());

  test('TCP: connected when the JSON line comes back; server from its pod field', async () => {
    assert.deepEqual(await probeTcp(tcp, { timeoutMs: 2000 }), { connected: true, status: null, server: 'demo/backend-0', error: null });
  });

  test('TCP by name: resolved with the system resolver', async () => {
    assert.deepEqual(await probeTcp(`localhost:${server.tcp[0]}`, { timeoutMs: 2000 }), { connected: true, status: null, server: 'demo/backend-0', error: null });
  });

  test('UDP: connected when the datagram comes back', async () => {
    assert.deepEqual(await probeUdp(udp, { timeoutMs: 2000 }), { connected: true, status: null, server: 'demo/backend-0', error: null });
  });

  test('HTTP: 200 and 403 are both connected, with their status', async () => {
    assert.deepEqual(await probeHttp(tcp, { timeoutMs: 2000, path: '/api/v1/x' }), { connected: true, status: 200, server: 'demo/backend-0', error: null });
    assert.deepEqual(await probeHttp(tcp, { timeoutMs: 2000, path: '/api/v1/x?status=403', method: 'POST', headers: { 'x-a': 'b' } }), {
      connected: true,
      status: 403,
      server: 'demo/backend-0',
      error: null,
    });
  });

  test('HTTP: a large body is not read to the end to know the server', async () => {
    assert.deepEqual(await probeHttp(tcp, { timeoutMs: 2000, path: '/x?size=67108864' }), { connected: true, status: 200, server: 'demo/backend-0', error: null });
  });

  test('gRPC: Echo reply gives the server; status is the grpc-status', async () => {
    assert.deepEqual(await probeGrpc(tcp, { timeoutMs: 2000 }), { connected: true, status: 0, server: 'demo/backend-0', error: null });
    assert.deepEqual(await probeGrpc(tcp, { timeoutMs: 2000, path: '/ambit.workload.v1.Echo/Missing' }), { connected: true, status: 12, server: null, error: null });
  });

  test('runProbes: one result per probe, in order, with from/to/protocol', async () => {
    const closed = await freePort();
    const results = await runProbes({
      from: 'demo/frontend-0',
      probes: [
        { to: tcp, protocol: 'TCP', timeoutMs: 2000, http: { path: '/x?status=403', method: 'GET', headers: {} } },
        { to: udp, protocol: 'UDP', timeoutMs: 2000 },
        { to: `127.0.0.1:${closed}`, protocol: 'TCP', timeoutMs: 2000 },
        { to: tcp, protocol: 'TCP', timeoutMs: 2000, grpc: true },
        { to: 'no-such-host.invalid:80', protocol: 'TCP', timeoutMs: 2000 },
      ],
    });
    assert.deepEqual(results, [
      { from: 'demo/frontend-0', to: tcp, protocol: 'TCP', connected: true, status: 403, server: 'demo/backend-0', error: null },
      { from: 'demo/frontend-0', to: udp, protocol: 'UDP', connected: true, status: null, server: 'demo/backend-0', error: null },
      { from: 'demo/frontend-0', to: `127.0.0.1:${closed}`, protocol: 'TCP', connected: false, status: null, server: null, error: 'connection refused' },
      { from: 'demo/frontend-0', to: tcp, protocol: 'TCP', connected: true, status: 0, server: 'demo/backend-0', error: null },
      { from: 'demo/frontend-0', to: 'no-such-host.invalid:80', protocol: 'TCP', connected: false, status: null, server: null, error: 'no such host' },
    ]);
  });

});

describe('probes that must not connect', () => {
  test('TCP to a closed port: connection refused', async () => {
    const port = await freePort();
    assert.deepEqual(await probeTcp(`127.0.0.1:${port}`, { timeoutMs: 2000 }), { connected: false, status: null, server: null, error: 'connection refused' });
  });

  test('HTTP and gRPC to a closed port: connection refused', async () => {
    const port = await freePort();
    assert.equal((await probeHttp(`127.0.0.1:${port}`, { timeoutMs: 2000 })).error, 'connection refused');
    assert.equal((await probeGrpc(`127.0.0.1:${port}`, { timeoutMs: 2000 })).error, 'connection refused');
  });

  test('a server that accepts and never answers is not connected: timeout (a local proxy always accepts)', async () => {
    const silent = await silentServer();
    try {
      const to = `127.0.0.1:${silent.port}`;
      const started = Date.now();
      const results = await Promise.all([
        probeTcp(to, { timeoutMs: 300 }),
        probeHttp(to, { timeoutMs: 300 }),
        probeGrpc(to, { timeoutMs: 300 }),
      ]);
      const elapsed = Date.now() - started;
      for (const result of results) assert.deepEqual(result, { connected: false, status: null, server: null, error: 'timeout' });
      assert.ok(elapsed >= 290 && elapsed < 1500, `bounded by the timeout (${elapsed}ms)`);
    } finally {
      await silent.close();
    }
  });

  test('runProbes caps concurrency and keeps the order', async () => {
    const silent = await silentServer();
    try {
      // 7 probes that each time out after 60 ms, 3 at a time: at least 3 rounds.
      const probes = Array.from({ length: 7 }, (_, i) => ({ to: `127.0.0.1:${silent.port}`, protocol: 'TCP' as const, timeoutMs: 60 + i }));
      const finished: number[] = [];
      const started = Date.now();
      const results = await runProbes({ from: 'a/b', probes }, { concurrency: 3, onResult: (index) => finished.push(index) });
      const elapsed = Date.now() - started;
      assert.deepEqual(results.map((r) => r.to), probes.map((p) => p.to));
      assert.ok(results.every((r) => !r.connected && r.error === 'timeout'));
      assert.deepEqual([...finished].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
      assert.ok(elapsed >= 180, `three rounds of 60 ms (${elapsed}ms)`);
    } finally {
      await silent.close();
    }
  });

  test('a server that accepts then closes without a word: connection closed', async () => {
    const server = net.createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      assert.deepEqual(await probeTcp(`127.0.0.1:${port}`, { timeoutMs: 2000 }), { connected: false, status: null, server: null, error: 'connection closed' });
    } finally {
      server.close();
    }
  });

  test('a server that resets the connection: connection reset', async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      assert.equal((await probeTcp(`127.0.0.1:${port}`, { timeoutMs: 2000 })).error, 'connection reset');
    } finally {
      server.close();
    }
  });

  test('some other TCP server answering is connected, with no workload server', async () => {
    const server = net.createServer((socket) => socket.end('+PONG\r\n'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      assert.deepEqual(await probeTcp(`127.0.0.1:${port}`, { timeoutMs: 2000 }), { connected: true, status: null, server: null, error: null });
    } finally {
      server.close();
    }
  });

  test('UDP to a socket that never answers: timeout after resending', async () => {
    const silent = dgram.createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    let datagrams = 0;
    silent.on('message', () => datagrams++);
    try {
      const result = await probeUdp(`127.0.0.1:${silent.address().port}`, { timeoutMs: 700 });
      assert.deepEqual(result, { connected: false, status: null, server: null, error: 'timeout' });
      assert.ok(datagrams >= 3, `resent every 200 ms (${datagrams} datagrams)`);
    } finally {
      silent.close();
    }
  });

  test('UDP to a closed port: connection refused (ICMP port unreachable)', async () => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    assert.deepEqual(await probeUdp(`127.0.0.1:${port}`, { timeoutMs: 2000 }), { connected: false, status: null, server: null, error: 'connection refused' });
  });

  test('a malformed target is rejected with a stable code', async () => {
    await assert.rejects(probeTcp('nope', { timeoutMs: 100 }), { code: 'AMBIT_WORKLOAD_BAD_TARGET' });
  });
});
