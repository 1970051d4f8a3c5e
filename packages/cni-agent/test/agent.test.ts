// The agent in-process with real network namespaces and the real nft rules: the control plane's
// view is injected with setView (a fake xDS source belongs to test/e2e, built on the real
// DeltaAdsServer), the plugin speaks the line protocol on the plugin socket, and a fake ztunnel
// made of the xds-types codecs sits on the hand-off socket. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@ambit/core';
import { netnsInode } from '@ambit/netns';
import { inpodInstalled } from '@ambit/nft';
import { decodeRequest, encodeHelloFrame, encodeResponseFrame, FrameDecoder, type handoff } from '@ambit/xds-types';
import * as prom from 'prom-client';
import { AgentMetrics, CniAgent, HandoffServer, nftInpodRules, PluginServer, type PluginResponse, type ViewPod } from '../src/index.ts';

const PREFIX = `ambit-t${process.pid}-ag`;
const NODE = 'node-1';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A ztunnel stand-in: says Hello, records every request, acks with whatever `answer` says. */
class FakeZtunnel {
  readonly requests: handoff.WorkloadRequest[] = [];
  answer: (request: handoff.WorkloadRequest) => string = () => '';
  private socket: Socket | undefined;

  connect(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      this.socket = socket;
      const decoder = new FrameDecoder();
      socket.once('connect', () => {
        socket.write(encodeHelloFrame({ version: 'V1' }));
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => {
        for (const message of decoder.push(chunk)) {
          const request = decodeRequest(message);
          this.requests.push(request);
          socket.write(encodeResponseFrame({ ack: { error: this.answer(request) } }));
        }
      });
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  adds(uid: string): handoff.AddWorkload[] {
    return this.requests.filter((r) => r.payload === 'add' && r.add?.uid === uid).map((r) => r.add as handoff.AddWorkload);
  }

  dels(uid: string): number {
    return this.requests.filter((r) => r.payload === 'del' && r.del?.uid === uid).length;
  }

  snapshots(): number {
    return this.requests.filter((r) => r.payload === 'snapshot_sent').length;
  }
}

function call(path: string, request: object): Promise<PluginResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    socket.once('connect', () => socket.write(`${JSON.stringify({ v: 1, ...request })}\n`));
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.once('error', reject);
    socket.once('close', () => {
      try {
        resolve(JSON.parse(text) as PluginResponse);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

describe('cni-agent with real namespaces', () => {
  const tmp = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  const netns: string[] = [];
  const registry = new prom.Registry();
  const metrics = new AgentMetrics(registry);
  const handoffPath = join(tmp, 'ztunnel.sock');
  const pluginPath = join(tmp, 'cni-agent.sock');
  let handoff: HandoffServer;
  let agent: CniAgent;
  let plugin: PluginServer;
  const ztunnels: FakeZtunnel[] = [];
  const view = new Map<string, ViewPod>();

  const addNetns = (name: string, ip: string): string => {
    const full = `${PREFIX}-${name}`;
    sh('ip', ['netns', 'add', full]);
    netns.push(full);
    sh('ip', ['-n', full, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', full, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
    sh('ip', ['-n', full, 'link', 'set', 'peer0', 'up']);
    sh('ip', ['-n', full, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    sh('ip', ['-n', full, 'link', 'set', 'eth0', 'up']);
    return `/run/netns/${full}`;
  };
  const setPod = (uid: string, enrolled: boolean, node = NODE): void => {
    view.set(uid, { uid, key: `shop/${uid}`, name: uid, namespace: 'shop', node, serviceAccount: `sa-${uid}`, enrolled, meshed: enrolled, addresses: [], ips: [], labels: {}, namespaceLabels: {}, namedPorts: [] });
    agent.setView(view.values());
  };
  const ztunnel = async (): Promise<FakeZtunnel> => {
    const z = new FakeZtunnel();
    ztunnels.push(z);
    await z.connect(handoffPath);
    return z;
  };
  const nftTable = (path: string): string => sh('ip', ['netns', 'exec', path.split('/').at(-1) ?? '', 'nft', 'list', 'table', 'inet', 'ambit-inpod']);

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'these tests create network namespaces and must run as root');
    handoff = new HandoffServer({ path: handoffPath, logger: silentLogger, ackTimeoutMs: 2000 });
    await handoff.listen();
    agent = new CniAgent({ nodeName: NODE, logger: silentLogger, metrics, handoff, inpod: nftInpodRules, addTimeoutMs: 1500, backoffInitialMs: 20, backoffMaxMs: 200 });
    await agent.start();
    plugin = new PluginServer({ path: pluginPath, logger: silentLogger, metrics, handle: (r) => agent.handle(r) });
    await plugin.listen();
  });

  after(async () => {
    for (const z of ztunnels) z.close();
    await plugin?.close();
    await agent?.stop();
    await handoff?.close();
    for (const n of netns) {
      try {
        sh('ip', ['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a pod that is not enrolled is accepted at once and left uncaptured', async () => {
    const ns = addNetns('plain', '10.99.0.2');
    setPod('plain', false);
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'plain', name: 'plain', namespace: 'shop', netns: ns, ips: ['10.99.0.2'] } });
    assert.deepEqual(response, { v: 1, ok: true, enrolled: false, captured: false });
    assert.equal(await inpodInstalled(ns), false);
  });

  test('an enrolled pod with no ztunnel: ADD fails retryable (NO_ZTUNNEL) but the rules are in place (fail closed)', async () => {
    const ns = addNetns('web', '10.99.0.3');
    setPod('web', true);
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'web', name: 'web', namespace: 'shop', netns: ns, ips: ['10.99.0.3'] } });
    assert.equal(response.ok, false);
    if (!response.ok) {
      assert.equal(response.code, 'AMBIT_CNI_AGENT_NO_ZTUNNEL');
      assert.equal(response.retry, true);
    }
    assert.equal(await inpodInstalled(ns), true);
    assert.match(nftTable(ns), /redirect to :15001/);
  });

  test('a ztunnel connects: replay of the enrolled pod with its inode, SnapshotSent; a new ADD succeeds', async () => {
    const z = await ztunnel();
    await waitFor(() => z.snapshots() === 1, { timeoutMs: 5000, what: 'SnapshotSent' });
    const [add] = z.adds('web');
    assert.ok(add);
    assert.equal(add.netns_path, '/run/netns/' + `${PREFIX}-web`);
    assert.equal(add.netns_inode, netnsInode(add.netns_path).toString());
    assert.equal(add.service_account, 'sa-web');
    assert.deepEqual(add.addresses.map((b) => [...b].join('.')), ['10.99.0.3']);
    assert.equal(z.requests.findIndex((r) => r.payload === 'snapshot_sent'), z.requests.length - 1, 'SnapshotSent comes after the replay');
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'web', name: 'web', namespace: 'shop', netns: add.netns_path, ips: ['10.99.0.3'] } });
    assert.deepEqual(response, { v: 1, ok: true, enrolled: true, captured: true });
    assert.ok(agent.debugPods().find((p) => p.uid === 'web' && p.acked && p.captured));
  });

  test('enrolling a running pod by a view change captures it and sends AddWorkload live', async () => {
    const z = ztunnels.at(-1) as FakeZtunnel;
    const ns = `/run/netns/${PREFIX}-plain`;
    setPod('plain', true);
    await waitFor(() => z.adds('plain').length === 1, { timeoutMs: 5000, what: 'AddWorkload plain' });
    assert.equal(await inpodInstalled(ns), true);
  });

  test('unenrolling sends DelWorkload and then removes the rules', async () => {
    const z = ztunnels.at(-1) as FakeZtunnel;
    const ns = `/run/netns/${PREFIX}-plain`;
    setPod('plain', false);
    await waitFor(() => z.dels('plain') === 1, { timeoutMs: 5000, what: 'DelWorkload plain' });
    await waitFor(async () => !(await inpodInstalled(ns)), { timeoutMs: 5000, what: 'rules removed' });
  });

  test('a pod of another node is never enrolled here', async () => {
    const ns = addNetns('other', '10.99.0.9');
    setPod('other', true, 'node-2');
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'other', name: 'other', namespace: 'shop', netns: ns, ips: ['10.99.0.9'] } });
    assert.deepEqual(response, { v: 1, ok: true, enrolled: false, captured: false });
  });

  test('an error ack is retried with backoff until the ztunnel accepts', async () => {
    const z = ztunnels.at(-1) as FakeZtunnel;
    let refusals = 2;
    z.answer = (r) => (r.payload === 'add' && r.add?.uid === 'db' && refusals-- > 0 ? 'not yet' : '');
    const ns = addNetns('db', '10.99.0.4');
    setPod('db', true);
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'db', name: 'db', namespace: 'shop', netns: ns, ips: ['10.99.0.4'] } });
    assert.deepEqual(response, { v: 1, ok: true, enrolled: true, captured: true });
    assert.equal(z.adds('db').length, 3);
    const acks = await registry.getSingleMetricAsString('ambit_cni_agent_handoff_acks_total');
    assert.match(acks, /result="error"\} 2/);
  });

  test('a new ztunnel connection replaces the old one and gets a full snapshot', async () => {
    const old = ztunnels.at(-1) as FakeZtunnel;
    const z = await ztunnel();
    await waitFor(() => z.snapshots() === 1, { timeoutMs: 5000, what: 'second snapshot' });
    assert.deepEqual(z.requests.filter((r) => r.payload === 'add').map((r) => r.add?.uid).sort(), ['db', 'web']);
    const before = old.requests.length;
    setPod('plain', true);
    await waitFor(() => z.adds('plain').length === 1, { timeoutMs: 5000, what: 'live add on the new connection' });
    assert.equal(old.requests.length, before, 'nothing goes to the replaced connection');
  });

  test('DEL sends DelWorkload and removes the rules; a second DEL is a no-op', async () => {
    const z = ztunnels.at(-1) as FakeZtunnel;
    const ns = `/run/netns/${PREFIX}-db`;
    const response = await call(pluginPath, { op: 'del', pod: { uid: 'db' } });
    assert.deepEqual(response, { v: 1, ok: true, enrolled: false, captured: false });
    assert.equal(z.dels('db'), 1);
    assert.equal(await inpodInstalled(ns), false);
    assert.deepEqual(await call(pluginPath, { op: 'del', pod: { uid: 'db' } }), { v: 1, ok: true, enrolled: false, captured: false });
    const debug = agent.debugPods().find((p) => p.uid === 'db');
    assert.equal(debug?.known, false, 'only the view still lists it');
    assert.equal(debug?.captured, false);
  });

  test('a bad request line gets a BAD_REQUEST answer, not a dropped connection', async () => {
    const response = await call(pluginPath, { op: 'add', pod: { uid: 'x' } });
    assert.equal(response.ok, false);
    if (!response.ok) {
      assert.equal(response.code, 'AMBIT_CNI_AGENT_BAD_REQUEST');
      assert.equal(response.retry, false);
    }
  });
});
