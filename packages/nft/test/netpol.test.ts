// NetworkPolicy rulesets in the kernel (root; fails, not skips, without it):
//
//   netns "node" (ambit-t<pid>-nftnetnode), ip_forward on, the node side of three veths:
//     vsrv 10.210.1.1/24 <-> "server" pod x/a  (…-nftnetsrv)  eth0 10.210.1.2, servers on :80 and :81
//     vcla 10.210.2.1/24 <-> "client" pod x/b  (…-nftnetcla)  eth0 10.210.2.2  (labels pod=b)
//     vclb 10.210.3.1/24 <-> "client" pod x/c  (…-nftnetclb)  eth0 10.210.3.2  (labels pod=c)
//   netns "check" (…-nftnetchk), no links: every golden netpol-*.nft loads there with `nft -c -f`.
//
// Pods route everything through the node (default via the node end of their veth), so pod to pod
// traffic crosses the node's forward hook, where compileNetworkPolicies' table filters it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { connectInNetns, listenInNetns } from '@ambit/netns';
import { applyNetworkPolicies, compileNetworkPolicies, nftListTable, type PolicyPod } from '../src/index.ts';
import { parseNftCounters } from '../src/netpol/counters.ts';
import { clientInNetns, Harness, requireRoot, run, unmap, type Netns } from './helpers.ts';
import { gnp, policy } from './netpol-fixtures.ts';

const harness = new Harness();
let node: Netns;
let server: Netns;
let clientB: Netns;
let clientC: Netns;
let check: Netns;
const servers: Server[] = [];
const sockets = new Set<Socket>();

const podOf = (name: string, ip: string, hostVeth: string): PolicyPod => ({
  key: `x/${name}`,
  namespace: 'x',
  labels: { pod: name },
  namespaceLabels: { 'kubernetes.io/metadata.name': 'x' },
  ips: [ip],
  namedPorts: [{ name: 'http', port: 80, protocol: 'TCP' }],
  hostVeth,
});
const SERVER = podOf('a', '10.210.1.2', 'vsrv');
const CLIENT_B = podOf('b', '10.210.2.2', 'vcla');
const CLIENT_C = podOf('c', '10.210.3.2', 'vclb');
const PODS = [SERVER, CLIENT_B, CLIENT_C];
const DEFAULT_DENY = policy('x/default-deny', { podSelector: {}, policyTypes: ['Ingress'] });
// The allowed port is written as the named port "http" (80 on the server pod).
const ALLOW_B = policy('x/allow-b', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }] });
const ALLOWING = compileNetworkPolicies({ localPods: PODS, allPods: PODS, policies: [DEFAULT_DENY, ALLOW_B] });
const DENYING = compileNetworkPolicies({ localPods: PODS, allPods: PODS, policies: [DEFAULT_DENY] });
// Calico (reference 4.3): a GNP ordered before the Kubernetes policies (order 100 < 1000) denies
// pod=c and TCP 81 first; a Kubernetes allow-all for x/a follows. Upstream: c on 80 and b on 81
// are denied (Deny is final), b on 80 is allowed (allow-all).
const CALICO_DENY_FIRST = compileNetworkPolicies({
  localPods: PODS,
  allPods: PODS,
  policies: [policy('x/allow-all', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{}] })],
  calicoPolicies: [gnp('screen', { order: 100, selector: "pod == 'a'", ingress: [{ action: 'Deny', source: { selector: "pod == 'c'" } }, { action: 'Deny', protocol: 'TCP', destination: { ports: [81] } }] })],
});
// HBONE: the server is meshed; ALLOW_B admits TCP (named port http) from pod b only, so TCP 15008
// to the server is admitted from b and not from c.
const MESHED = PODS.map((p) => (p === SERVER ? { ...p, meshed: true } : p));
const MESH_ALLOWING = compileNetworkPolicies({ localPods: MESHED, allPods: MESHED, policies: [DEFAULT_DENY, ALLOW_B] });

function addPod(suffix: string, hostVeth: string, subnet: number): Netns {
  const pod = harness.addNetns(suffix);
  node.ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name);
  node.ip('addr', 'add', `10.210.${subnet}.1/24`, 'dev', hostVeth);
  node.ip('link', 'set', hostVeth, 'up');
  pod.ip('addr', 'add', `10.210.${subnet}.2/24`, 'dev', 'eth0');
  pod.ip('link', 'set', 'eth0', 'up');
  pod.ip('route', 'add', 'default', 'via', `10.210.${subnet}.1`);
  return pod;
}

async function listen(port: number): Promise<void> {
  const s = await listenInNetns({ netns: server.path, family: 4, bind: { address: '0.0.0.0', port }, reuseAddress: true });
  servers.push(s);
  s.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(`port ${port} sees ${unmap(socket.remoteAddress)}\n`);
    socket.pipe(socket);
  });
}

/** A new connection by a separate Node process inside the client pod: the greeting, or undefined when it failed. */
async function probe(client: Netns, port: number): Promise<string | undefined> {
  const result = await clientInNetns(client, SERVER.ips[0] ?? '', port);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Sends `text` on an open connection and waits for its echo. */
function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no echo of ${text} within 3 s (got ${JSON.stringify(got)})`)), 3000);
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('utf8');
      if (got.includes(text)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

before(async () => {
  requireRoot();
  node = harness.addNetns('netnode');
  node.exec('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  server = addPod('netsrv', 'vsrv', 1);
  clientB = addPod('netcla', 'vcla', 2);
  clientC = addPod('netclb', 'vclb', 3);
  check = harness.addNetns('netchk');
  await listen(80);
  await listen(81);
  await listen(15008);
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  harness.cleanup();
});

describe('golden NetworkPolicy rulesets', () => {
  it('every test/golden/netpol-*.nft passes nft -c -f, and loads twice for real', async () => {
    const files = readdirSync(new URL('./golden/', import.meta.url)).filter((f) => f.startsWith('netpol-') && f.endsWith('.nft'));
    assert.ok(files.length >= 4, files.join(', '));
    for (const file of files) {
      const path = new URL(`./golden/${file}`, import.meta.url).pathname;
      run('ip', ['netns', 'exec', check.name, 'nft', '-c', '-f', path]);
      const text = readFileSync(path, 'utf8');
      await applyNetworkPolicies(check.path, text);
      const once = await nftListTable(check.path, 'inet', 'ambit-netpol');
      await applyNetworkPolicies(check.path, text);
      assert.equal(await nftListTable(check.path, 'inet', 'ambit-netpol'), once, `${file}: applying twice changes nothing`);
    }
  });
});

describe('NetworkPolicy on real traffic through the node', () => {
  it('without policy every pod reaches the server (the topology works)', async () => {
    assert.equal(await probe(clientC, 80), 'port 80 sees 10.210.3.2');
    assert.equal(await probe(clientB, 81), 'port 81 sees 10.210.2.2');
  });

  it('default deny ingress + allow from pod=b on the named port http: b on 80 passes, c on 80 and b on 81 do not', async () => {
    await applyNetworkPolicies(node.path, ALLOWING.ruleset);
    const [b80, c80, b81] = await Promise.all([probe(clientB, 80), probe(clientC, 80), probe(clientB, 81)]);
    assert.equal(b80, 'port 80 sees 10.210.2.2');
    assert.equal(c80, undefined, 'x/c is not selected by the allow rule');
    assert.equal(b81, undefined, 'port 81 is not the named port http');
    // explain says the same
    assert.equal(ALLOWING.explain({ ip: CLIENT_B.ips[0] ?? '' }, SERVER, 80, 'TCP').allowed, true);
    assert.equal(ALLOWING.explain({ ip: CLIENT_C.ips[0] ?? '' }, SERVER, 80, 'TCP').allowed, false);
    assert.equal(ALLOWING.explain({ ip: CLIENT_B.ips[0] ?? '' }, SERVER, 81, 'TCP').allowed, false);
  });

  it('an established connection survives a re-apply, and even a tightening; new connections follow the new policy', async () => {
    await applyNetworkPolicies(node.path, ALLOWING.ruleset);
    const socket = await connectInNetns({ netns: clientB.path, host: SERVER.ips[0] ?? '', port: 80, timeoutMs: 3000 });
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    assert.match(await echo(socket, 'one\n'), /port 80 sees 10\.210\.2\.2\n[\s\S]*one\n/);

    const listed = await nftListTable(node.path, 'inet', 'ambit-netpol');
    await applyNetworkPolicies(node.path, ALLOWING.ruleset);
    assert.equal((await nftListTable(node.path, 'inet', 'ambit-netpol'))?.replace(/packets \d+ bytes \d+/g, ''), listed?.replace(/packets \d+ bytes \d+/g, ''), 're-applying changes nothing');
    assert.match(await echo(socket, 'two\n'), /two\n/);

    // Ambit keeps established flows when a policy tightens (conntrack); only new ones are refused.
    await applyNetworkPolicies(node.path, DENYING.ruleset);
    assert.match(await echo(socket, 'three\n'), /three\n/);
    assert.equal(await probe(clientB, 80), undefined);
    socket.destroy();
  });

  it('Calico: a Deny ordered before the Kubernetes allow-all is final (c on 80, b on 81 refused; b on 80 passes) and counts into its named counter', async () => {
    await applyNetworkPolicies(node.path, CALICO_DENY_FIRST.ruleset);
    const [b80, c80, b81] = await Promise.all([probe(clientB, 80), probe(clientC, 80), probe(clientB, 81)]);
    assert.equal(b80, 'port 80 sees 10.210.2.2');
    assert.equal(c80, undefined, 'Deny by default.screen ingress[0] before x/allow-all');
    assert.equal(b81, undefined, 'Deny by default.screen ingress[1] before x/allow-all');
    const counters = parseNftCounters(run('ip', ['netns', 'exec', node.name, 'nft', '-j', 'list', 'counters', 'table', 'inet', 'ambit-netpol']));
    const named = (rule: number): string => CALICO_DENY_FIRST.counters.find((c) => c.policy === 'default.screen' && c.rule === rule)?.name ?? '';
    assert.ok((counters.get(named(0))?.packets ?? 0) > 0, `c's SYN counted: ${JSON.stringify([...counters])}`);
    assert.ok((counters.get(named(1))?.packets ?? 0) > 0, `b's SYN to 81 counted: ${JSON.stringify([...counters])}`);
    assert.equal(CALICO_DENY_FIRST.explain({ ip: CLIENT_C.ips[0] ?? '' }, SERVER, 80, 'TCP').allowed, false);
    assert.equal(CALICO_DENY_FIRST.explain({ ip: CLIENT_B.ips[0] ?? '' }, SERVER, 80, 'TCP').allowed, true);
  });

  it('HBONE: TCP 15008 to a meshed pod is admitted only from a peer some TCP allow rule admits (b), not from c', async () => {
    await applyNetworkPolicies(node.path, MESH_ALLOWING.ruleset);
    const [b15008, c15008, c80] = await Promise.all([probe(clientB, 15008), probe(clientC, 15008), probe(clientC, 80)]);
    assert.equal(b15008, 'port 15008 sees 10.210.2.2');
    assert.equal(c15008, undefined, 'no rule admits any TCP port from c');
    assert.equal(c80, undefined);
    // without the mesh flag the same policies refuse 15008 from b (the inner port 80 is the only one allowed)
    await applyNetworkPolicies(node.path, ALLOWING.ruleset);
    assert.equal(await probe(clientB, 15008), undefined);
  });
});
