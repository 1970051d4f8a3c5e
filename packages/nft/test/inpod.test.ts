// The in-pod capture proven on real traffic, in real network namespaces:
//
//   netns "pod"  (ambit-t<pid>-nftp)  vp 10.203.0.1/24 fd00:203::1/64
//        <-veth->
//   netns "peer" (ambit-t<pid>-nftr)  vr 10.203.0.2/24 fd00:203::2/64
//                                     + 169.254.7.127/32 and fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128
//                                       (the node's probe source, so the peer can play the kubelet)
//   netns "check" (ambit-t<pid>-nftc) no links: every golden script must load there
//
// This test process plays the ztunnel: with @ambit/netns it owns listeners inside the pod netns on
// 15001/15006/15008 (SO_MARK 0x539, as the ztunnel's sockets are) and opens the transparent socket
// of the inbound path. The pod's "app" is a server on :80 in the pod netns and, for outbound, a
// separate Node process started inside the pod netns. The peer runs a "real" server on :80.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { AmbitError } from '@ambit/core';
import { connectInNetns, listenInNetns, originalDestination } from '@ambit/netns';
import { applyInpod, inpodInstalled, nftInNetns, nftListTable, removeInpod, renderInpodRules, type InpodConfig } from '../src/index.ts';
import { clientInNetns, firstJson, Harness, readAll, requireRoot, run, unmap, type Netns } from './helpers.ts';

const POD4 = '10.203.0.1';
const PEER4 = '10.203.0.2';
const POD6 = 'fd00:203::1';
const PEER6 = 'fd00:203::2';
const PROBE4 = '169.254.7.127';
const PROBE6 = 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff';
const ZTUNNEL_MARK = 0x539;
const CONFIG: InpodConfig = { podIps: [POD4, POD6] };
const FAMILIES = [
  { family: 4 as const, pod: POD4, peer: PEER4, probe: PROBE4, elsewhere: '10.203.0.77' },
  { family: 6 as const, pod: POD6, peer: PEER6, probe: PROBE6, elsewhere: 'fd00:203::77' },
];

const harness = new Harness();
let pod: Netns;
let peer: Netns;
let check: Netns;
const servers: Server[] = [];
const sockets = new Set<Socket>();
/** When set, the next connection accepted on 15006 is handed to it instead of being answered. */
let takeInbound: ((socket: Socket) => void) | undefined;

async function listen(netns: Netns, port: number, onConnection: (socket: Socket) => void, mark?: number): Promise<void> {
  const server = await listenInNetns({ netns: netns.path, family: 6, bind: { address: '::', port }, reuseAddress: true, ...(mark === undefined ? {} : { mark }) });
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
}

/** A server that says who it is and whom it sees, then echoes. */
function greeter(who: string): (socket: Socket) => void {
  return (socket) => {
    socket.write(`${JSON.stringify({ who, remote: unmap(socket.remoteAddress), local: `${unmap(socket.localAddress)}:${socket.localPort}` })}\n`);
    socket.pipe(socket);
  };
}

/** A ztunnel listener that answers with the connection's original destination. */
function reporter(who: string): (socket: Socket) => void {
  return (socket) => {
    socket.resume();
    socket.end(`${JSON.stringify({ who, remote: unmap(socket.remoteAddress), dst: originalDestination(socket) })}\n`);
  };
}

async function dial(netns: Netns, host: string, port: number, extra: { mark?: number; localAddress?: string; transparent?: boolean } = {}): Promise<Record<string, unknown>> {
  const socket = await connectInNetns({ netns: netns.path, host, port, timeoutMs: 2000, ...extra });
  sockets.add(socket);
  const text = readAll(socket);
  socket.end();
  return firstJson(await text);
}

const withoutCounters = (text: string | undefined): string => (text ?? '').replace(/counter packets \d+ bytes \d+/g, 'counter');
const ourRules = (ns: Netns, family: 4 | 6): string[] =>
  ns
    .ip(`-${family}`, 'rule', 'show')
    .split('\n')
    .filter((l) => l.startsWith('32764:'));
const tables = (ns: Netns): string[] => ns.exec('nft', 'list', 'tables').split('\n').filter(Boolean);

before(async () => {
  requireRoot();
  pod = harness.addNetns('p');
  peer = harness.addNetns('r');
  check = harness.addNetns('c');
  harness.link(pod, 'vp', [POD4, POD6], peer, 'vr', [PEER4, PEER6]);
  peer.ip('addr', 'add', `${PROBE4}/32`, 'dev', 'vr');
  peer.ip('-6', 'addr', 'add', `${PROBE6}/128`, 'dev', 'vr', 'nodad');
  pod.ip('route', 'add', `${PROBE4}/32`, 'dev', 'vp');
  pod.ip('-6', 'route', 'add', `${PROBE6}/128`, 'dev', 'vp');

  await listen(peer, 80, greeter('peer'));
  await listen(pod, 80, greeter('app'));
  await listen(pod, 15001, reporter('z15001'), ZTUNNEL_MARK);
  await listen(pod, 15008, reporter('z15008'), ZTUNNEL_MARK);
  await listen(
    pod,
    15006,
    (socket) => {
      const take = takeInbound;
      takeInbound = undefined;
      if (take) take(socket);
      else reporter('z15006')(socket);
    },
    ZTUNNEL_MARK,
  );
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  harness.cleanup();
});

describe('golden scripts', () => {
  it('every test/golden/inpod-*.nft loads with nftInNetns in a real namespace', async () => {
    const files = readdirSync(new URL('./golden/', import.meta.url)).filter((f) => f.startsWith('inpod-') && f.endsWith('.nft')); // netpol-*.nft: test/netpol.test.ts
    assert.ok(files.length >= 4, files.join(', '));
    for (const file of files) {
      await nftInNetns(check.path, readFileSync(new URL(`./golden/${file}`, import.meta.url), 'utf8'));
      assert.match((await nftListTable(check.path, 'inet', 'ambit-inpod')) ?? '', /chain nat-output/, file);
    }
    await removeInpod(check.path);
    assert.deepEqual(tables(check), []);
  });
});

describe('applyInpod', () => {
  it('installs the table and the policy routing; twice leaves exactly one table and one rule per family', async () => {
    assert.equal(await inpodInstalled(pod.path), false);
    await applyInpod(pod.path, CONFIG);
    assert.equal(await inpodInstalled(pod.path), true);
    const first = { table: withoutCounters(await nftListTable(pod.path, 'inet', 'ambit-inpod')), v4: ourRules(pod, 4), v6: ourRules(pod, 6), routes: pod.ip('route', 'show', 'table', 'all') };

    await applyInpod(pod.path, CONFIG);
    assert.deepEqual(tables(pod), ['table inet ambit-inpod']);
    assert.deepEqual(ourRules(pod, 4), ['32764:\tfrom all fwmark 0x111/0xfff lookup 100']);
    assert.deepEqual(ourRules(pod, 6), ['32764:\tfrom all fwmark 0x111/0xfff lookup 100']);
    assert.match(pod.ip('-4', 'route', 'show', 'table', '100'), /^local default dev lo scope host\s*$/);
    assert.match(pod.ip('-6', 'route', 'show', 'table', '100'), /^local default dev lo metric 1024 pref medium\s*$/);
    const second = { table: withoutCounters(await nftListTable(pod.path, 'inet', 'ambit-inpod')), v4: ourRules(pod, 4), v6: ourRules(pod, 6), routes: pod.ip('route', 'show', 'table', 'all') };
    assert.deepEqual(second, first, 'the second apply changed nothing');
  });

  it('an IPv4-only config removes the IPv6 policy routing; dual-stack puts it back', async () => {
    await applyInpod(pod.path, { podIps: [POD4] });
    assert.deepEqual(ourRules(pod, 6), []);
    assert.equal(pod.ip('-6', 'route', 'show', 'table', '100').trim(), '');
    assert.doesNotMatch((await nftListTable(pod.path, 'inet', 'ambit-inpod')) ?? '', /ip6/);
    await applyInpod(pod.path, CONFIG);
    assert.equal(ourRules(pod, 6).length, 1);
    assert.match((await nftListTable(pod.path, 'inet', 'ambit-inpod')) ?? '', /ip6 daddr != ::1/);
  });
});

for (const f of FAMILIES) {
  describe(`outbound capture (IPv${f.family})`, () => {
    it('a connection the app (a process in the pod netns) opens lands on 15001, with the dialled address as original destination', async () => {
      for (const target of [f.peer, f.elsewhere]) {
        const out = await clientInNetns(pod, target, 80);
        assert.equal(out.status, 0, `${out.stdout} ${out.stderr}`);
        assert.deepEqual(firstJson(out.stdout), { who: 'z15001', remote: f.pod, dst: { address: target, port: 80, family: f.family } });
      }
    });

    it('a socket with the ztunnel mark 0x539 is not captured and reaches the real peer', async () => {
      const reply = await dial(pod, f.peer, 80, { mark: ZTUNNEL_MARK });
      assert.equal(reply.who, 'peer');
      assert.equal(reply.remote, f.pod);
    });

    it("the app's connections to its own pod address and to loopback are not captured", async () => {
      for (const target of [f.pod, f.family === 4 ? '127.0.0.1' : '::1']) {
        const out = await clientInNetns(pod, target, 80);
        assert.equal(out.status, 0, `${out.stdout} ${out.stderr}`);
        assert.equal(firstJson(out.stdout).who, 'app', target);
      }
    });
  });

  describe(`inbound capture (IPv${f.family})`, () => {
    it('a connection from the peer to the pod on port 80 lands on 15006, original destination podIp:80', async () => {
      assert.deepEqual(await dial(peer, f.pod, 80), { who: 'z15006', remote: f.peer, dst: { address: f.pod, port: 80, family: f.family } });
    });

    it('a connection to 15008 (HBONE) reaches the real 15008 listener, not 15006', async () => {
      const reply = await dial(peer, f.pod, 15008);
      assert.equal(reply.who, 'z15008');
      assert.equal(reply.remote, f.peer);
    });

    it(`a connection from the probe source ${f.probe} is not captured`, async () => {
      const reply = await dial(peer, f.pod, 80, { localAddress: f.probe });
      assert.equal(reply.who, 'app');
      assert.equal(reply.remote, f.probe);
    });
  });

  describe(`transparent inbound (IPv${f.family})`, () => {
    // The ztunnel's inbound path, packet by packet:
    //  1. The peer's SYN to pod:80 enters the pod netns on vp. nat-prerouting redirects it to 15006
    //     (not from the probe source, not to 15008, no ztunnel mark); the ztunnel accepts it and
    //     reads the original destination pod:80.
    //  2. The ztunnel opens a socket in the pod netns with IP_TRANSPARENT (so it may bind the
    //     peer's address, which is not local) and SO_MARK 0x539, bound to peer:0, and connects to
    //     pod:80. The SYN is routed locally through lo; nat-output accepts it (ztunnel mark), so no
    //     redirect. Back in through lo, mangle-prerouting sees skb mark 0x539 and stores connmark
    //     0x111 on the connection. (nat-prerouting does not run: the NAT of this connection was
    //     decided on output.) The app accepts a connection from peer:port: the client's address.
    //  3. The app's SYN-ACK, pod:80 -> peer:port, is routed by the main table out of vp, towards
    //     the real peer, which would reset it. But mangle-output (a `type route` chain) restores
    //     the connmark into the packet mark (0x111), and since the mark changed the kernel routes
    //     the packet again: rule `fwmark 0x111/0xfff lookup 100` finds `local default dev lo`, so
    //     the packet loops back through lo and, with the mark still 0x111, input routing also
    //     uses table 100 and delivers it locally, to the transparent socket bound to peer:port.
    //  4. The ztunnel pipes the two connections: the peer talks to the app through it, and the app
    //     saw the peer's own address.
    it('the app sees the peer as its client and the replies come back to the transparent socket', async () => {
      const accepted = new Promise<Socket>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no connection accepted on 15006 within 2 s')), 2000);
        takeInbound = (socket) => {
          clearTimeout(timer);
          resolve(socket);
        };
      });
      const client = await connectInNetns({ netns: peer.path, host: f.pod, port: 80, timeoutMs: 2000 });
      sockets.add(client);
      const inbound = await accepted;
      assert.deepEqual(originalDestination(inbound), { address: f.pod, port: 80, family: f.family });
      assert.equal(unmap(inbound.remoteAddress), f.peer);

      const upstream = await connectInNetns({ netns: pod.path, host: f.pod, port: 80, localAddress: f.peer, transparent: true, mark: ZTUNNEL_MARK, timeoutMs: 2000 });
      sockets.add(upstream);
      inbound.pipe(upstream);
      upstream.pipe(inbound);
      const heard = readAll(client);
      client.end('hello through the ztunnel\n');
      const lines = (await heard).split('\n');
      const greeting = firstJson(lines[0] ?? '');
      assert.equal(greeting.who, 'app');
      assert.equal(greeting.remote, f.peer, 'the app saw the original client address');
      assert.equal(greeting.local, `${f.pod}:80`);
      assert.equal(lines[1], 'hello through the ztunnel', "the app's echo came back through the transparent socket");
    });
  });
}

describe('the output mangle chain must be a route chain', () => {
  it('with `type filter` instead, the app replies to the real peer and the transparent connect never completes', async () => {
    const filterScript = renderInpodRules(CONFIG).replace('type route hook output', 'type filter hook output');
    assert.notEqual(filterScript, renderInpodRules(CONFIG));
    await nftInNetns(pod.path, filterScript);
    try {
      await assert.rejects(
        connectInNetns({ netns: pod.path, host: POD4, port: 80, localAddress: PEER4, transparent: true, mark: ZTUNNEL_MARK, timeoutMs: 1500 }),
        (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_NETNS_CONNECT_TIMEOUT',
      );
    } finally {
      await applyInpod(pod.path, CONFIG);
    }
    const reply = await dial(pod, POD4, 80, { localAddress: PEER4, mark: ZTUNNEL_MARK, transparent: true });
    assert.equal(reply.remote, PEER4);
  });
});

describe('nftInNetns', () => {
  it('a rejected script changes nothing and the error names the line', async () => {
    const before = withoutCounters(await nftListTable(pod.path, 'inet', 'ambit-inpod'));
    // The delete is valid; the second line fails in the kernel, so the whole transaction is aborted.
    await assert.rejects(nftInNetns(pod.path, 'delete table inet ambit-inpod\ndelete table inet ambit-nonexistent\n'), (e: unknown) => {
      assert.ok(e instanceof AmbitError);
      assert.equal(e.code, 'AMBIT_NFT_SCRIPT_REJECTED');
      assert.match(e.message, /line 2, column \d+: Error: .*No such file or directory.*`delete table inet ambit-nonexistent`/);
      return true;
    });
    assert.equal(withoutCounters(await nftListTable(pod.path, 'inet', 'ambit-inpod')), before);
    await assert.rejects(nftInNetns(pod.path, 'table inet x {\n  chain y {\n    foo bar\n  }\n}\n'), /line 3, column 5: Error: .*`foo bar`/);
  });

  it('nftListTable returns undefined for a missing table', async () => {
    assert.equal(await nftListTable(pod.path, 'inet', 'ambit-nonexistent'), undefined);
  });
});

describe('a namespace that does not exist', () => {
  const missing = `/run/netns/${harness.prefix}missing`;
  const hostState = () => ({ tables: run('nft', ['list', 'tables']), rules: run('ip', ['rule', 'show']), routes: run('ip', ['route', 'show', 'table', 'all']) });
  let hostBefore: ReturnType<typeof hostState>;
  before(() => (hostBefore = hostState()));
  for (const [name, call] of [
    ['applyInpod', () => applyInpod(missing, CONFIG)],
    ['applyInpod on a path that is not a namespace', () => applyInpod('/tmp', CONFIG)],
    ['removeInpod', () => removeInpod(missing)],
    ['inpodInstalled', () => inpodInstalled(missing)],
    ['nftInNetns', () => nftInNetns(missing, 'table inet x {}\n')],
    ['nftListTable', () => nftListTable(missing, 'inet', 'ambit-inpod')],
  ] as const) {
    it(`${name}: AMBIT_NFT_NETNS_NOT_FOUND naming the path, and nothing changed`, async () => {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof AmbitError, String(e));
        assert.equal(e.code, 'AMBIT_NFT_NETNS_NOT_FOUND');
        assert.match(e.message, /network namespace \/(run|tmp).* cannot be used: /);
        return true;
      });
      // Read only: the host's ruleset and rules are as they were (nothing ran in the wrong namespace).
      assert.deepEqual(hostState(), hostBefore);
    });
  }
});

describe('removeInpod', () => {
  it('restores a clean namespace (no table, no rule, no table-100 route), twice', async () => {
    await removeInpod(pod.path);
    await removeInpod(pod.path);
    assert.equal(await inpodInstalled(pod.path), false);
    assert.equal(await nftListTable(pod.path, 'inet', 'ambit-inpod'), undefined);
    assert.deepEqual(tables(pod), []);
    for (const family of [4, 6] as const) {
      assert.deepEqual(ourRules(pod, family), []);
      assert.equal(pod.ip(`-${family}`, 'route', 'show', 'table', '100').trim(), '');
    }
  });

  for (const f of FAMILIES) {
    it(`traffic is no longer captured (IPv${f.family})`, async () => {
      const out = await clientInNetns(pod, f.peer, 80);
      assert.equal(out.status, 0, `${out.stdout} ${out.stderr}`);
      assert.equal(firstJson(out.stdout).who, 'peer');
      const reply = await dial(peer, f.pod, 80);
      assert.equal(reply.who, 'app');
      assert.equal(reply.remote, f.peer);
    });
  }
});
