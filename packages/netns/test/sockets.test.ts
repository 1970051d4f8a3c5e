// Sockets opened inside network namespaces from the test process (host namespace), checked from
// the outside: peers in other namespaces run Node's plain net/dgram (fixtures/peer.ts).
//
//   netns A (ambit-t<pid>-nsa)  va 10.201.0.1/24 fd00:201::1/64  <-veth->  vb 10.201.0.2/24 fd00:201::2/64  netns B
//
// Nothing in the host namespace can reach 10.201.0.0/24: any traffic that arrives proves the
// socket lives in the namespace it was opened in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { AmbitError } from '@ambit/core';
import {
  connectInNetns,
  listenInNetns,
  netnsInode,
  openSocketInNetns,
  udpSocketInNetns,
  type NetnsSocketOptions,
} from '../src/index.ts';
import { Harness, openFdCount, readAll, requireRoot, run, threadNetns, type Netns } from './helpers.ts';

const harness = new Harness('ns');
let a: Netns;
let b: Netns;
const hostNetns = threadNetns();
const servers: Server[] = [];

before(() => {
  requireRoot();
  a = harness.addNetns('a');
  b = harness.addNetns('b');
  harness.link(a, 'va', ['10.201.0.1', 'fd00:201::1'], b, 'vb', ['10.201.0.2', 'fd00:201::2']);
  // A silent drop in B for port 9, so a connect from B waits (for the timeout test).
  b.nft('table inet drop9 {\n chain out { type filter hook output priority 0; tcp dport 9 drop\n }\n}\n');
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  harness.cleanup();
});

function expectAmbitError(code: string, ...fragments: string[]): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof AmbitError, `expected AmbitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  };
}

describe('listenInNetns', () => {
  for (const row of [
    { family: 4 as const, bind: '10.201.0.1', dial: '10.201.0.1', client: '10.201.0.2' },
    { family: 6 as const, bind: 'fd00:201::1', dial: 'fd00:201::1', client: 'fd00:201::2' },
    { family: 6 as const, bind: '::', dial: '10.201.0.1', client: '::ffff:10.201.0.2' },
  ]) {
    it(`a listener opened in netns A from the host accepts a connection from netns B (IPv${row.family} bind ${row.bind}, dial ${row.dial})`, async () => {
      const server = await listenInNetns({ netns: a.path, family: row.family, bind: { address: row.bind, port: 0 }, reuseAddress: true });
      servers.push(server);
      assert.equal(threadNetns(), hostNetns, 'main thread back in its own namespace');
      const { port } = server.address() as AddressInfo;
      server.on('connection', (socket: Socket) => {
        socket.resume(); // read the peer's bytes and FIN, so the half-open socket can close
        socket.end(`${JSON.stringify({ peer: socket.remoteAddress, halfOpen: socket.allowHalfOpen })}\n`);
      });
      const probe = await harness.runPeer(b, 'tcp-probe', row.dial, String(port));
      assert.equal(probe.status, 0, probe.stdout);
      assert.deepEqual(JSON.parse(probe.stdout), { peer: row.client, halfOpen: true });
    });
  }

  it('rejects with AMBIT_NETNS_OPEN_FAILED for a missing namespace and leaves the given server unused', async () => {
    await assert.rejects(
      listenInNetns({ netns: `/run/netns/${harness.prefix}-missing`, bind: { address: '0.0.0.0', port: 0 } }),
      expectAmbitError('AMBIT_NETNS_OPEN_FAILED', `/run/netns/${harness.prefix}-missing`, 'ENOENT'),
    );
    assert.equal(threadNetns(), hostNetns);
  });
});

describe('openSocketInNetns', () => {
  it('returns a non-blocking close-on-exec listening fd that lives in the namespace', () => {
    const fd = openSocketInNetns({ netns: a.path, type: 'tcp', bind: { address: '10.201.0.1', port: 7000 }, listen: 4 });
    try {
      // /proc/self/fdinfo flags are octal: O_NONBLOCK 04000, O_CLOEXEC 02000000.
      const flags = Number.parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '', 8);
      assert.ok(flags & 0o4000, 'O_NONBLOCK');
      assert.ok(flags & 0o2000000, 'O_CLOEXEC');
      // ss in A lists this process's fd as a listener on 10.201.0.1:7000; the host's ss does not.
      const owner = `pid=${process.pid},fd=${fd})`;
      const inA = run('ip', ['netns', 'exec', a.name, 'ss', '-Hltnp', 'sport', '= :7000']);
      assert.ok(inA.includes('10.201.0.1:7000') && inA.includes(owner), inA);
      assert.ok(!run('ss', ['-Hltnp']).includes(owner), 'not visible in the host namespace');
      assert.equal(threadNetns(), hostNetns);
    } finally {
      closeSync(fd);
    }
  });

  it('fails with EADDRINUSE when the port is taken in that namespace', () => {
    const first = openSocketInNetns({ netns: a.path, type: 'tcp', bind: { address: '10.201.0.1', port: 7001 }, listen: 1 });
    try {
      assert.throws(
        () => openSocketInNetns({ netns: a.path, type: 'tcp', bind: { address: '10.201.0.1', port: 7001 }, listen: 1 }),
        expectAmbitError('AMBIT_NETNS_SOCKET_FAILED', 'EADDRINUSE', a.path, 'tcp listener on 10.201.0.1:7001'),
      );
    } finally {
      closeSync(first);
    }
  });

  const missing = `/run/netns/ambit-missing-${process.pid}`;
  const inA = '<A>';
  const errorCases: Array<{ name: string; options: NetnsSocketOptions; code: string; fragments: string[] }> = [
    { name: 'missing namespace', options: { netns: missing, type: 'tcp' }, code: 'AMBIT_NETNS_OPEN_FAILED', fragments: ['cannot enter network namespace', missing, 'open', 'ENOENT'] },
    { name: 'not a namespace file', options: { netns: '/etc/hostname', type: 'tcp' }, code: 'AMBIT_NETNS_OPEN_FAILED', fragments: ['/etc/hostname', 'setns', 'EINVAL'] },
    { name: 'address not assigned in the namespace', options: { netns: inA, type: 'tcp', bind: { address: '10.201.0.77', port: 0 } }, code: 'AMBIT_NETNS_SOCKET_FAILED', fragments: ['bind', 'EADDRNOTAVAIL'] },
    { name: 'address of another namespace', options: { netns: inA, type: 'udp', bind: { address: '10.201.0.2', port: 0 } }, code: 'AMBIT_NETNS_SOCKET_FAILED', fragments: ['udp socket on 10.201.0.2:0', 'EADDRNOTAVAIL'] },
    { name: 'IPv4 address for an IPv6 socket', options: { netns: inA, family: 6, type: 'tcp', bind: { address: '10.201.0.1', port: 0 } }, code: 'AMBIT_NETNS_INVALID_OPTION', fragments: ['bind.address must be an IPv6 address'] },
    { name: 'port out of range and a fractional mark', options: { netns: inA, type: 'tcp', bind: { address: '0.0.0.0', port: 70000 }, mark: 1.5 }, code: 'AMBIT_NETNS_INVALID_OPTION', fragments: ['bind.port', 'mark'] },
    { name: 'listen on udp', options: { netns: inA, type: 'udp', listen: 1 }, code: 'AMBIT_NETNS_INVALID_OPTION', fragments: ['listen applies to tcp'] },
    { name: 'empty path', options: { netns: '', type: 'tcp' }, code: 'AMBIT_NETNS_INVALID_OPTION', fragments: ['netns must be a non-empty path'] },
  ];
  for (const row of errorCases) {
    it(`fails with ${row.code} for ${row.name}; main thread back home, no fd leaked`, () => {
      const options = { ...row.options, netns: row.options.netns === inA ? a.path : row.options.netns };
      const fds = openFdCount();
      for (let i = 0; i < 20; i += 1) assert.throws(() => openSocketInNetns(options), expectAmbitError(row.code, ...row.fragments));
      assert.equal(threadNetns(), hostNetns);
      assert.equal(openFdCount(), fds);
    });
  }
});

describe('connectInNetns', () => {
  before(async () => {
    // Plain Node server inside A (dual-stack on 8080); the test process dials it from inside B.
    await harness.startServer(a, 'tcp-serve', '::', '8080');
  });

  for (const row of [
    { name: 'IPv4', host: '10.201.0.1', expectPeer: /^::ffff:10\.201\.0\.2:\d+$/ },
    { name: 'IPv6', host: 'fd00:201::1', expectPeer: /^fd00:201::2:\d+$/ },
    { name: 'IPv4 from a fixed local address and port', host: '10.201.0.1', localAddress: '10.201.0.2', localPort: 40123, expectPeer: /^::ffff:10\.201\.0\.2:40123$/ },
    { name: 'IPv6 from a fixed local port', host: 'fd00:201::1', localPort: 40124, expectPeer: /^fd00:201::2:40124$/ },
  ]) {
    it(`from the host process reaches a server inside a namespace (${row.name}), with half-close`, async () => {
      const socket = await connectInNetns({
        netns: b.path,
        host: row.host,
        port: 8080,
        timeoutMs: 2000,
        ...(row.localAddress === undefined ? {} : { localAddress: row.localAddress }),
        ...(row.localPort === undefined ? {} : { localPort: row.localPort }),
      });
      assert.equal(threadNetns(), hostNetns);
      assert.equal(socket.allowHalfOpen, true);
      const reply = readAll(socket);
      // End our side first: with allowHalfOpen the echo still arrives after our FIN.
      socket.end('ping\n');
      const [first, ...rest] = (await reply).split('\n');
      assert.match((JSON.parse(first ?? '') as { peer: string }).peer, row.expectPeer);
      assert.deepEqual(rest, ['ping', '']);
      socket.destroy();
    });
  }

  it('reports ECONNREFUSED as AMBIT_NETNS_CONNECT_FAILED', async () => {
    await assert.rejects(connectInNetns({ netns: b.path, host: '10.201.0.1', port: 8081 }), expectAmbitError('AMBIT_NETNS_CONNECT_FAILED', 'ECONNREFUSED', b.path, '10.201.0.1:8081'));
  });

  it('gives up after timeoutMs with AMBIT_NETNS_CONNECT_TIMEOUT (SYN silently dropped in B)', async () => {
    const fds = openFdCount();
    await assert.rejects(connectInNetns({ netns: b.path, host: '10.201.0.1', port: 9, timeoutMs: 200 }), expectAmbitError('AMBIT_NETNS_CONNECT_TIMEOUT', '200ms', '10.201.0.1:9'));
    // The socket was destroyed: its fd is closed once libuv has run the close callback.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(openFdCount(), fds);
  });

  it('rejects a host name and a missing namespace with stable codes', async () => {
    await assert.rejects(connectInNetns({ netns: b.path, host: 'localhost', port: 80 }), expectAmbitError('AMBIT_NETNS_INVALID_OPTION', 'host must be an IP address'));
    await assert.rejects(
      connectInNetns({ netns: `/run/netns/${harness.prefix}-gone`, host: '10.201.0.1', port: 80 }),
      expectAmbitError('AMBIT_NETNS_OPEN_FAILED', `/run/netns/${harness.prefix}-gone`, 'ENOENT'),
    );
    assert.equal(threadNetns(), hostNetns);
  });
});

describe('udpSocketInNetns', () => {
  for (const row of [
    { family: 4 as const, bind: '10.201.0.1', from: '10.201.0.2' },
    { family: 6 as const, bind: 'fd00:201::1', from: 'fd00:201::2' },
  ]) {
    it(`a UDP socket bound in A answers a datagram sent from B (IPv${row.family})`, async () => {
      const socket = await udpSocketInNetns({ netns: a.path, family: row.family, bind: { address: row.bind, port: 5353 } });
      try {
        assert.deepEqual(socket.address(), { address: row.bind, family: `IPv${row.family}`, port: 5353 });
        socket.on('message', (message, from) => socket.send(`pong ${message.toString()} from ${from.address}`, from.port, from.address));
        const probe = await harness.runPeer(b, 'udp-probe', row.bind, '5353');
        assert.equal(probe.status, 0, probe.stdout);
        assert.deepEqual(JSON.parse(probe.stdout), { reply: `pong ping from ${row.from}`, from: `${row.bind}:5353` });
      } finally {
        socket.close();
      }
    });
  }
});

describe('netnsInode', () => {
  it('matches the namespace of a process running in it and differs between namespaces', async () => {
    const child = await harness.startServer(a, 'tcp-serve', '127.0.0.1', '8090');
    const ofChild = netnsInode(`/proc/${child.pid}/ns/net`);
    assert.equal(netnsInode(a.path), ofChild);
    assert.equal(netnsInode(a.path), statSync(a.path, { bigint: true }).ino);
    assert.notEqual(netnsInode(a.path), netnsInode(b.path));
    assert.notEqual(netnsInode(a.path), netnsInode('/proc/self/ns/net'));
    child.kill('SIGKILL');
  });

  it('fails clearly for a missing path and for a file that is not a namespace', () => {
    assert.throws(() => netnsInode(`/run/netns/${harness.prefix}-gone`), expectAmbitError('AMBIT_NETNS_OPEN_FAILED', 'ENOENT'));
    const plain = `/tmp/${harness.prefix}-plain`;
    writeFileSync(plain, '');
    try {
      assert.throws(() => netnsInode(plain), expectAmbitError('AMBIT_NETNS_NOT_A_NAMESPACE', plain));
    } finally {
      rmSync(plain);
    }
  });
});
