// The CA's root is rotated (docs/adr/0004: start, switch, finish) through `ambit lab rotate-root`
// while a long transfer and a stream of new connections cross two ztunnels: no new connection
// fails (also while the two ends hold leaves of different roots), the transfer arrives intact, and
// afterwards the pods' certificates chain to the new root.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ambit/core';
import { ambit, ambitJson, commandOutput, labName, leftovers, PodFixture } from './helpers.ts';

const LAB = labName('rot');
const SERVER_ID = 'spiffe://cluster.local/ns/mesh/sa/server';
const CLIENT_ID = 'spiffe://cluster.local/ns/mesh/sa/client';

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Pod
metadata: { name: server, namespace: mesh, labels: { app: server } }
spec: { nodeName: node-1, serviceAccountName: server, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: mesh, labels: { app: client } }
spec: { nodeName: node-2, serviceAccountName: client, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }
`;

interface ZtunnelDump {
  trustBundle: { file: string; roots: string[] };
  certificates: Array<{ identity: string; state: string; rootFingerprint?: string }>;
}

interface Rotation {
  status?: number;
  phase?: string;
  roots?: string[];
  signingRoot?: string;
  error?: string;
}

/** A fixture in the pod's netns, its stdout as JSON lines; it stops when its stdin ends. */
async function ztunnelDump(node: string): Promise<ZtunnelDump> {
  return JSON.parse(await commandOutput('ip', ['netns', 'exec', `ambit-${LAB}.${node}`, 'curl', '-s', '--max-time', '3', '127.0.0.1:15000/config_dump'])) as ZtunnelDump;
}

const rootOf = (dump: ZtunnelDump, identity: string): string | undefined => dump.certificates.find((c) => c.identity === identity && c.state === 'available')?.rootFingerprint;

function rotate(phase: string): Promise<Rotation> {
  return ambitJson<Rotation>(['lab', 'rotate-root', '--name', LAB, '--phase', phase, '-o', 'json']);
}

describe('CA root rotation under traffic', () => {
  let dir: string;
  let serverIp: string;
  let clientIp: string;
  const fixtures: PodFixture[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-rot-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, up.stderr);
    const status = await ambitJson<{ pods: Array<{ name: string; ip: string; enrolled: boolean }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    serverIp = status.pods.find((p) => p.name === 'server')?.ip ?? '';
    clientIp = status.pods.find((p) => p.name === 'client')?.ip ?? '';
    assert.ok(status.pods.find((p) => p.name === 'server')?.enrolled);
  });

  after(async () => {
    for (const f of fixtures) f.kill();
    await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('start, switch, finish while a transfer and new connections run: zero failures, new certificates chain to the new root', async (t) => {
    const nodes = ['node-1', 'node-2'];
    const initial = await Promise.all(nodes.map(ztunnelDump));
    const oldRoot = initial[0]?.trustBundle.roots[0] ?? '';
    for (const dump of initial) assert.deepEqual(dump.trustBundle.roots, [oldRoot], 'one root before the rotation');
    assert.equal(rootOf(initial[0] as ZtunnelDump, SERVER_ID), oldRoot);
    assert.equal(rootOf(initial[1] as ZtunnelDump, CLIENT_ID), oldRoot);

    const transfer = new PodFixture(LAB, 'mesh/client', 'stream-transfer.ts', [serverIp, '80']);
    fixtures.push(transfer);
    await waitFor(() => transfer.lines.some((l) => l['event'] === 'flowing') || transfer.child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 50, what: 'the transfer to flow' });
    assert.ok(transfer.lines.some((l) => l['event'] === 'flowing'), `transfer: ${JSON.stringify(transfer.lines)}`);
    // New connections both ways: client -> server, and server -> client (whose pooled HBONE
    // sessions are opened anew with each new certificate of node-1, so handshakes happen while the
    // two ends hold leaves of different roots).
    const loops = [new PodFixture(LAB, 'mesh/client', 'connect-loop.ts', [serverIp, '80', '100']), new PodFixture(LAB, 'mesh/server', 'connect-loop.ts', [clientIp, '80', '100'])];
    fixtures.push(...loops);
    const okCount = (loop: PodFixture): number => loop.lines.filter((l) => l['ok'] === true).length;
    const moreExchanges = async (n: number, what: string): Promise<void> => {
      const from = loops.map(okCount);
      await waitFor(() => loops.every((loop, i) => okCount(loop) >= (from[i] ?? 0) + n || loop.child.exitCode !== null), { timeoutMs: 30_000, intervalMs: 50, what });
    };
    await moreExchanges(5, 'new connections before the rotation');

    // Step 1: the union is published; both ztunnels load it.
    const started = await rotate('start');
    assert.equal(started.status, 200, started.error);
    assert.equal(started.phase, 'publishing');
    const newRoot = started.roots?.find((r) => r !== oldRoot) ?? '';
    assert.deepEqual([...(started.roots ?? [])].sort(), [oldRoot, newRoot].sort());
    await waitFor(async () => (await Promise.all(nodes.map(ztunnelDump))).every((d) => [...d.trustBundle.roots].sort().join() === [oldRoot, newRoot].sort().join()), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'both ztunnels to trust the old and the new root',
    });
    await moreExchanges(5, 'new connections after start');

    // Out of order: refused, nothing changes.
    const early = await rotate('finish');
    assert.equal(early.status, 409);
    assert.match(early.error ?? '', /next step is switch/);

    // Step 2: the new root signs. node-2 is cut off from the CA (15012) for a while, so the two
    // ends hold leaves of different roots: new connections must still work (each side trusts the
    // published union, not only its own chain's root). Then both pods get leaves from the new root
    // without waiting for half-life.
    const nft = (args: string[]): Promise<string> => commandOutput('ip', ['netns', 'exec', `ambit-${LAB}.node-2`, 'nft', ...args]);
    await nft(['add', 'table', 'inet', 'rotation_test']);
    await nft(['add', 'chain', 'inet', 'rotation_test', 'out', '{ type filter hook output priority 0 ; }']);
    await nft(['add', 'rule', 'inet', 'rotation_test', 'out', 'tcp', 'dport', '15012', 'drop']);
    assert.match(await nft(['list', 'table', 'inet', 'rotation_test']), /dport 15012 drop/);
    try {
      const switched = await rotate('switch');
      assert.equal(switched.status, 200, switched.error);
      assert.equal(switched.phase, 'signing-new');
      assert.equal(switched.signingRoot, newRoot);
      await waitFor(
        async () => {
          const [one, two] = await Promise.all(nodes.map(ztunnelDump));
          return rootOf(one as ZtunnelDump, SERVER_ID) === newRoot && rootOf(two as ZtunnelDump, CLIENT_ID) === oldRoot;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the server to hold a new-root leaf while the client still holds an old-root one' },
      );
      await moreExchanges(10, 'new connections between a new-root server and an old-root client');
    } finally {
      await nft(['delete', 'table', 'inet', 'rotation_test']);
    }
    await waitFor(
      async () => {
        const [one, two] = await Promise.all(nodes.map(ztunnelDump));
        return rootOf(one as ZtunnelDump, SERVER_ID) === newRoot && rootOf(two as ZtunnelDump, CLIENT_ID) === newRoot;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'both pods\' certificates to chain to the new root' },
    );
    await moreExchanges(10, 'new connections with new-root leaves');

    // Step 3: the old root is dropped everywhere.
    const finished = await rotate('finish');
    assert.equal(finished.status, 200, finished.error);
    assert.equal(finished.phase, 'none');
    assert.deepEqual(finished.roots, [newRoot]);
    await waitFor(async () => (await Promise.all(nodes.map(ztunnelDump))).every((d) => d.trustBundle.roots.join() === newRoot), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'both ztunnels to drop the old root',
    });
    await moreExchanges(10, 'new connections after the old root is gone');

    const loopResults = await Promise.all(loops.map((loop) => loop.stop(15_000)));
    const transferResult = await transfer.stop(120_000);
    for (const loopResult of loopResults) {
      assert.deepEqual(loopResult['failures'], [], `failed new connections: ${JSON.stringify(loopResult)}`);
      assert.ok(Number(loopResult['attempts']) >= 40, `attempts: ${JSON.stringify(loopResult)}`);
      assert.equal(loopResult['ok'], loopResult['attempts']);
    }
    assert.equal(transferResult['error'], null, `transfer: ${JSON.stringify(transferResult)}`);
    assert.equal(transferResult['intact'], true, `transfer: ${JSON.stringify(transferResult)}`);
    assert.ok(Number(transferResult['sent']) > 16 * 1024 * 1024, `transfer moved ${String(transferResult['sent'])} bytes`);

    t.diagnostic(`new connections: ${loopResults.map((r) => `${String(r['ok'])}/${String(r['attempts'])}`).join(' and ')}; transfer: ${String(transferResult['sent'])} bytes in ${String(transferResult['ms'])} ms, intact`);
    const [one, two] = await Promise.all(nodes.map(ztunnelDump));
    for (const [dump, identity] of [[one, SERVER_ID], [two, CLIENT_ID]] as const) {
      assert.equal(rootOf(dump as ZtunnelDump, identity), newRoot, `${identity} chains to the new root`);
      assert.notEqual(rootOf(dump as ZtunnelDump, identity), oldRoot);
    }
  });
});
