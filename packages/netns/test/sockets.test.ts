// Sockets opened inside network namespaces from the test process (host namespace), checked from
// the outside: peers in other namespaces run Node's plain net/dgram (fixtures/peer.ts).
//
//   netns A (ambit-t<pid>-sa)  va 10.201.0.1/24 fd00:201::1/64  <-veth->  vb 10.201.0.2/24 fd00:201::2/64  netns B
//
// Nothing in the host namespace can reach 10.201.0.0/24: any traffic that arrives proves the
// socket lives in the namespace it was opened in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, readFileSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { AmbitError } from '@ambit/core';
import {
  listenInNetns,
  openSocketInNetns,
  type NetnsSocketOptions,
} from '../src/index.ts';
import { Harness, openFdCount, requireRoot, run, threadNetns, type Netns } from './helpers.ts';

const harness = new Harness('s');
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
