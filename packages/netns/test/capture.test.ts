// The transparent-proxy calls, proven by the kernel's own view:
//   - an nft nat/output redirect inside a "pod" namespace sends its connections to a listener the
//     test process opened there; originalDestination() returns the address the app dialled;
//   - SO_MARK (at socket creation and set later) is seen by nft `meta mark` rules: counters move
//     and the redirect's `meta mark ... return` exemption lets the proxy's own traffic out;
//   - IP_TRANSPARENT lets a socket in the namespace connect to a local app from a non-local source
//     address, and the app sees that address as its peer.
//
//   netns P "pod" (ambit-t<pid>-ncp)  vp 10.202.0.1/24 fd00:202::1/64  <-veth->  vr 10.202.0.2/24 fd00:202::2/64  netns R "remote"
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server, Socket } from 'node:net';
import { AmbitError } from '@ambit/core';
import { connectInNetns, listenInNetns, originalDestination, setSocketMark, type SocketAddress } from '../src/index.ts';
import { Harness, readAll, requireRoot, threadNetns, type Netns } from './helpers.ts';

const PROXY_MARK = 0x539; // the mark the redirect lets through, as Istio's in-pod rules do
const harness = new Harness('nc');
let pod: Netns;
let remote: Netns;
const servers: Server[] = [];
const hostNetns = threadNetns();

before(async () => {
  requireRoot();
  pod = harness.addNetns('p');
  remote = harness.addNetns('r');
  harness.link(pod, 'vp', ['10.202.0.1', 'fd00:202::1'], remote, 'vr', ['10.202.0.2', 'fd00:202::2']);
  pod.nft(`table inet capture {
  chain output {
    type nat hook output priority -100; policy accept;
    meta mark ${PROXY_MARK} return
    tcp dport 80 redirect to :15001
    tcp dport 81 redirect to :15002
  }
}
table inet marks {
  chain output {
    type filter hook output priority 0; policy accept;
    meta mark ${PROXY_MARK} counter comment "m539"
    meta mark 0x540 counter comment "m540"
    meta mark 0x541 counter comment "m541"
  }
}
`);
  // Real servers in R on the dialled ports: reached only when the redirect is skipped.
  await harness.startServer(remote, 'tcp-serve', '::', '80');
  await harness.startServer(remote, 'tcp-serve', '::', '8080');
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  harness.cleanup();
});

/** A capture listener in the pod namespace that answers each connection with its original destination. */
async function captureListener(family: 4 | 6, port: number, mark?: number): Promise<Server> {
  const server = await listenInNetns({
    netns: pod.path,
    family,
    bind: { address: family === 6 ? '::' : '0.0.0.0', port },
    reuseAddress: true,
    ...(mark === undefined ? {} : { mark }),
  });
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    socket.resume();
    let answer: SocketAddress | { error: string };
    try {
      answer = originalDestination(socket);
    } catch (error) {
      answer = { error: error instanceof AmbitError ? error.code : String(error) };
    }
    socket.end(`${JSON.stringify({ captured: answer })}\n`);
  });
  return server;
}

describe('originalDestination', () => {
  before(async () => {
    await captureListener(4, 15001);
    await captureListener(6, 15002); // dual-stack: takes IPv4 (v4-mapped) and IPv6
  });

  for (const row of [
    { name: 'IPv4 listener, IPv4 dial', dial: '10.202.0.2', port: 80, want: { address: '10.202.0.2', port: 80, family: 4 } },
    { name: 'IPv6 listener, IPv6 dial', dial: 'fd00:202::2', port: 81, want: { address: 'fd00:202::2', port: 81, family: 6 } },
    { name: 'dual-stack IPv6 listener, IPv4 dial', dial: '10.202.0.2', port: 81, want: { address: '10.202.0.2', port: 81, family: 4 } },
    { name: 'other IPv4 destinations', dial: '10.202.0.77', port: 80, want: { address: '10.202.0.77', port: 80, family: 4 } },
  ]) {
    it(`returns the address an app in the pod dialled before the nft redirect (${row.name})`, async () => {
      const probe = await harness.runPeer(pod, 'tcp-probe', row.dial, String(row.port));
      assert.equal(probe.status, 0, probe.stdout);
      assert.deepEqual(JSON.parse(probe.stdout.split('\n')[0] ?? ''), { captured: row.want });
    });
  }

  it('returns the local address itself for a tracked connection that was not redirected', async () => {
    // With a nat table in the namespace every connection gets a conntrack entry; without a NAT
    // binding its original destination is simply where it arrived. (A proxy compares the two.)
    const probe = await harness.runPeer(remote, 'tcp-probe', '10.202.0.1', '15001');
    assert.equal(probe.status, 0, probe.stdout);
    assert.deepEqual(JSON.parse(probe.stdout.split('\n')[0] ?? ''), { captured: { address: '10.202.0.1', port: 15001, family: 4 } });
  });

  it('fails with AMBIT_NETNS_ORIGINAL_DST_FAILED where no conntrack entry exists', async () => {
    // The remote namespace has no nat table, hence no connection tracking at all.
    const server = await listenInNetns({ netns: remote.path, bind: { address: '10.202.0.2', port: 15010 } });
    servers.push(server);
    const codes: string[] = [];
    server.on('connection', (socket: Socket) => {
      socket.resume();
      try {
        originalDestination(socket);
        codes.push('none');
      } catch (error) {
        codes.push(error instanceof AmbitError ? `${error.code} ${error.message}` : String(error));
      }
      socket.end('x\n');
    });
    const probe = await harness.runPeer(pod, 'tcp-probe', '10.202.0.2', '15010');
    assert.equal(probe.status, 0, probe.stdout);
    assert.equal(codes.length, 1);
    assert.match(codes[0] ?? '', /^AMBIT_NETNS_ORIGINAL_DST_FAILED .*SO_ORIGINAL_DST.*ENOENT/);
  });
});

describe('SO_MARK', () => {
  it('a connection marked at creation skips the redirect and is counted by `meta mark`', async () => {
    const before539 = pod.counter('inet', 'marks', 'm539');
    const socket = await connectInNetns({ netns: pod.path, host: '10.202.0.2', port: 80, mark: PROXY_MARK, timeoutMs: 2000 });
    const reply = readAll(socket);
    socket.end();
    // The real server in R answered (its JSON names its own address), not the capture listener.
    const first = JSON.parse((await reply).split('\n')[0] ?? '') as { local?: string; captured?: unknown };
    assert.equal(first.captured, undefined);
    assert.equal(first.local, '::ffff:10.202.0.2:80');
    assert.ok(pod.counter('inet', 'marks', 'm539') >= before539 + 2, 'SYN and later packets carried the mark');
    // Unmarked, the same dial is captured.
    const unmarked = await connectInNetns({ netns: pod.path, host: '10.202.0.2', port: 80, timeoutMs: 2000 });
    const captured = readAll(unmarked);
    unmarked.end();
    assert.deepEqual(JSON.parse((await captured).split('\n')[0] ?? ''), { captured: { address: '10.202.0.2', port: 80, family: 4 } });
  });

  it('setSocketMark marks the packets sent after it', async () => {
    const socket = await connectInNetns({ netns: pod.path, host: '10.202.0.2', port: 8080, timeoutMs: 2000 });
    const reply = readAll(socket);
    const start = pod.counter('inet', 'marks', 'm540');
    setSocketMark(socket, 0x540);
    socket.end('after mark\n');
    const lines = (await reply).split('\n');
    assert.ok(lines.includes('after mark'), lines.join('|'));
    assert.ok(pod.counter('inet', 'marks', 'm540') > start, 'data and FIN after setSocketMark carried 0x540');
    assert.equal(threadNetns(), hostNetns);
  });

  it('a listener marked at creation marks what it sends on accepted connections', async () => {
    await captureListener(4, 15009, 0x541);
    const start = pod.counter('inet', 'marks', 'm541');
    const probe = await harness.runPeer(remote, 'tcp-probe', '10.202.0.1', '15009');
    assert.equal(probe.status, 0, probe.stdout);
    assert.ok(pod.counter('inet', 'marks', 'm541') > start);
  });

  it('rejects marks out of range and sockets without an fd', () => {
    assert.throws(
      () => setSocketMark({} as Socket, 2 ** 32),
      (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_NETNS_INVALID_OPTION',
    );
    assert.throws(
      () => setSocketMark({} as Socket, 1),
      (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_NETNS_NO_FD',
    );
  });
});

describe('IP_TRANSPARENT', () => {
  // Minimal setup inside the pod namespace, so that the local app's replies to the spoofed client
  // address come back to the transparent socket:
  //   ip rule add to <client> lookup 100        + ip route add local <client> dev lo table 100
  // The reply's output route lookup then finds a `local` route and loops the packet back through
  // lo, where the transparent socket (bound to <client>) receives it. The route lives in its own
  // table on purpose: a local route in `main` would make the address local for bind(2) too
  // (without custom rules `main` is merged into `local`), and then IP_TRANSPARENT would not be
  // needed, so the test would prove nothing. With the table, bind without the option fails.
  const rows = [
    { family: 4 as const, client: '10.202.9.9', app: '10.202.0.1', peerPattern: /^::ffff:10\.202\.9\.9:\d+$/, v: '-4' },
    { family: 6 as const, client: 'fd00:202:9::9', app: 'fd00:202::1', peerPattern: /^fd00:202:9::9:\d+$/, v: '-6' },
  ];
  before(async () => {
    for (const row of rows) {
      pod.ip(row.v, 'rule', 'add', 'to', row.client, 'lookup', '100', 'pref', '100');
      pod.ip(row.v, 'route', 'add', 'local', row.client, 'dev', 'lo', 'table', '100');
    }
    await harness.startServer(pod, 'tcp-serve', '::', '9080'); // the local app
  });

  for (const row of rows) {
    it(`lets a socket in the namespace reach a local app from a non-local client address (IPv${row.family})`, async () => {
      const socket = await connectInNetns({ netns: pod.path, host: row.app, port: 9080, localAddress: row.client, transparent: true, timeoutMs: 2000 });
      const reply = readAll(socket);
      socket.end();
      const first = JSON.parse((await reply).split('\n')[0] ?? '') as { peer: string };
      assert.match(first.peer, row.peerPattern, 'the app saw the preserved client address');
    });

    it(`without it, binding the client address fails with EADDRNOTAVAIL (IPv${row.family})`, async () => {
      await assert.rejects(
        connectInNetns({ netns: pod.path, host: row.app, port: 9080, localAddress: row.client, timeoutMs: 2000 }),
        (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_NETNS_SOCKET_FAILED' && e.message.includes('EADDRNOTAVAIL'),
      );
    });
  }
});
