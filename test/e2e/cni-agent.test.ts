// The cni-agent as a process, end to end on one machine (root): the real DeltaAdsServer serves
// PolicyWorkloads from an in-memory source, the real `ambit-cni` plugin (primary mode, driven by
// CniRuntime as a kubelet would) hands pods to the agent, and the ztunnel's HandoffClient sits on
// the hand-off socket. Namespaces `ambit-t<pid>-ca-*`, removed in after().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { isAmbitError, silentLogger, waitFor } from '@ambit/core';
import { CniRuntime, isCniPluginError } from '@ambit/cni';
import { DeltaAdsServer, type ClientInfo, type ResourceChange, type ResourceSnapshot, type ResourceSource, type XdsResource } from '@ambit/control-plane/xds';
import { encodeMessage, TYPE_URL } from '@ambit/xds-types';
import { HandoffClient, type HandoffPod } from '@ambit/ztunnel/handoff';
import { REPO } from './helpers.ts';

const PREFIX = `ambit-t${process.pid}-ca`;
const NODE = 'node-1';
const TYPE = TYPE_URL.policyWorkload;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

class Source implements ResourceSource {
  private resources = new Map<string, XdsResource>();
  private readonly listeners = new Set<(change: ResourceChange) => void>();
  private version = 0;

  snapshot(typeUrl: string, _client: ClientInfo): ResourceSnapshot {
    return { typeUrl, resources: typeUrl === TYPE ? this.resources : new Map() };
  }

  onChange(listener: (change: ResourceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pod(uid: string, name: string, enrolled: boolean): void {
    const body = encodeMessage('ambit.policy.v1.PolicyWorkload', { uid, name, namespace: 'shop', node: NODE, service_account: name, enrolled, labels: {}, namespace_labels: {} });
    const next = new Map(this.resources);
    next.set(uid, { name: uid, version: String(++this.version), body });
    this.resources = next;
    for (const l of this.listeners) l({ typeUrl: TYPE, names: new Set([uid]) });
  }
}

describe('cni-agent end to end', () => {
  const tmp = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  const netns: string[] = [];
  const source = new Source();
  const handoffSocket = join(tmp, 'ztunnel.sock');
  const pluginSocket = join(tmp, 'cni-agent.sock');
  let ads: DeltaAdsServer;
  let grpcServer: grpc.Server;
  let agent: ChildProcess;
  let monitoring = 0;
  let runtime: CniRuntime;
  const clients: HandoffClient[] = [];
  const served = new Map<string, HandoffPod>();
  let snapshots: Array<Set<string>> = [];

  const addNetns = (name: string): string => {
    const full = `${PREFIX}-${name}`;
    sh('ip', ['netns', 'add', full]);
    netns.push(full);
    return full;
  };
  const ztunnel = (inodeOf?: (path: string) => string): HandoffClient => {
    const client = new HandoffClient({
      path: handoffSocket,
      logger: silentLogger,
      backoff: { initialMs: 20, maxMs: 200 },
      ...(inodeOf === undefined ? {} : { inodeOf }),
      onAdd: async (pod) => void served.set(pod.uid, pod),
      onDel: async (uid) => void served.delete(uid),
      onSnapshot: async (uids) => {
        snapshots.push(uids);
        for (const uid of served.keys()) if (!uids.has(uid)) served.delete(uid);
      },
    });
    clients.push(client);
    client.start();
    return client;
  };
  const debugPods = async (): Promise<Array<Record<string, unknown>>> => {
    const body = (await (await fetch(`http://127.0.0.1:${monitoring}/debug/pods`)).json()) as { pods: Array<Record<string, unknown>> };
    return body.pods;
  };
  const inpodTable = (ns: string): string | undefined => {
    try {
      return sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'ambit-inpod']);
    } catch {
      return undefined;
    }
  };
  const attachment = (ns: string, name: string) => ({ containerId: `ctr-${name}`, netns: `/run/netns/${ns}`, ifname: 'eth0', args: { K8S_POD_NAMESPACE: 'shop', K8S_POD_NAME: name, K8S_POD_UID: `uid-${name}` } });

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'this suite creates network namespaces and must run as root');
    const registry = { registerMetric: () => undefined, getSingleMetric: () => undefined } as unknown as ConstructorParameters<typeof DeltaAdsServer>[0]['registry'];
    ads = new DeltaAdsServer({ source, logger: silentLogger, registry, debounceMs: 5, maxDebounceMs: 50 });
    grpcServer = new grpc.Server();
    const { definition, implementation } = ads.service();
    grpcServer.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));

    const node = addNetns('node');
    sh('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    for (const name of ['ambit-cni', 'ambit-ipam']) symlinkSync(join(REPO, 'packages/cni/bin', name), join(bin, name));
    runtime = new CniRuntime({
      conflist: {
        cniVersion: '1.1.0',
        name: 'e2e',
        plugins: [{ type: 'ambit-cni', dataDir: join(tmp, 'data'), agentSocket: pluginSocket, agentTimeoutMs: 8000, ipam: { type: 'ambit-ipam', subnet: '10.209.0.0/24' } }],
      },
      binDirs: [bin],
      cacheDir: join(tmp, 'cache'),
      hostNetns: node,
    });

    agent = spawn(join(REPO, 'node_modules/node/bin/node'), [join(REPO, 'packages/cni-agent/src/main.ts')], {
      env: {
        ...process.env,
        XDS_ADDRESS: `127.0.0.1:${port}`,
        NODE_NAME: NODE,
        HANDOFF_SOCKET: handoffSocket,
        PLUGIN_SOCKET: pluginSocket,
        STATE_FILE: join(tmp, 'pods.json'),
        MONITORING_ADDRESS: '127.0.0.1',
        MONITORING_PORT: '0',
        ADD_TIMEOUT: '2s',
        ACK_TIMEOUT: '2s',
        LOG_FORMAT: 'json',
        // This agent runs in the test's own namespace, not a node's: no NetworkPolicy table here.
        NETWORK_POLICY: 'disabled',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const started = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the agent did not start within 20s')), 20_000);
      agent.once('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
      createInterface({ input: agent.stderr as NodeJS.ReadableStream }).on('line', (line) => {
        if (process.env['AMBIT_TEST_VERBOSE']) process.stderr.write(`agent: ${line}\n`);
        try {
          const entry = JSON.parse(line) as { msg?: string; monitoring?: number };
          if (entry.msg === 'cni-agent started' && typeof entry.monitoring === 'number') {
            clearTimeout(timer);
            resolve(entry.monitoring);
          }
        } catch {
          // not JSON
        }
      });
    });
    monitoring = await started;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${monitoring}/ready`)).status === 200, { timeoutMs: 10_000, what: 'agent /ready' });
  });

  after(async () => {
    for (const c of clients) await c.close();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    grpcServer?.forceShutdown();
    await ads?.close();
    for (const n of netns) {
      try {
        sh('ip', ['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('ADD of an enrolled pod fails with CNI code 11 while no ztunnel acks, and leaves nothing wired', async () => {
    source.pod('uid-web', 'web', true);
    await waitFor(async () => (await debugPods()).some((p) => p['uid'] === 'uid-web' && p['inView'] === true), { timeoutMs: 5000, what: 'the view to reach the agent' });
    const ns = addNetns('web');
    await assert.rejects(runtime.add(attachment(ns, 'web')), (error: unknown) => {
      assert.ok(isCniPluginError(error));
      assert.equal(error.cniCode, 11);
      assert.match(error.cniMsg, /no ztunnel acknowledged/);
      return true;
    });
  });

  test('with a ztunnel connected the same ADD succeeds: rules in the pod, AddWorkload with the right inode acked', async () => {
    const z = ztunnel();
    await waitFor(() => z.synced, { timeoutMs: 5000, what: 'the first snapshot' });
    const ns = `${PREFIX}-web`;
    await runtime.add(attachment(ns, 'web'));
    const pod = served.get('uid-web');
    assert.ok(pod, 'the ztunnel got the pod');
    assert.equal(pod.netnsPath, `/run/netns/${ns}`);
    assert.equal(pod.serviceAccount, 'web');
    assert.match(pod.addresses[0] ?? '', /^10\.209\.0\.\d+$/);
    assert.match(inpodTable(ns) ?? '', /redirect to :15001/);
    const [debug] = (await debugPods()).filter((p) => p['uid'] === 'uid-web');
    assert.equal(debug?.['acked'], true);
    assert.equal(debug?.['captured'], true);
  });

  test('a restarted HandoffClient gets the replay then SnapshotSent', async () => {
    await (clients.pop() as HandoffClient).close();
    served.clear();
    snapshots = [];
    const z = ztunnel();
    await waitFor(() => z.synced, { timeoutMs: 5000, what: 'the replay' });
    assert.deepEqual(snapshots.map((s) => [...s]), [['uid-web']]);
    assert.ok(served.has('uid-web'));
  });

  test('unenrolling sends DelWorkload and removes the rules; enrolling again brings them back', async () => {
    const ns = `${PREFIX}-web`;
    source.pod('uid-web', 'web', false);
    await waitFor(() => !served.has('uid-web') && inpodTable(ns) === undefined, { timeoutMs: 5000, what: 'release of the pod' });
    source.pod('uid-web', 'web', true);
    await waitFor(() => served.has('uid-web') && inpodTable(ns) !== undefined, { timeoutMs: 5000, what: 'enrollment again' });
  });

  test('a wrong inode is acked with an error naming the mismatch, and the pod is not served', async () => {
    await (clients.pop() as HandoffClient).close();
    served.clear();
    const errors: string[] = [];
    const z = ztunnel(() => '1');
    z.on('add', (_pod: unknown, error: string) => {
      if (error !== '') errors.push(error);
    });
    await waitFor(() => errors.length > 0, { timeoutMs: 5000, what: 'an error ack' });
    assert.match(errors[0] ?? '', /has inode 1, the agent sent inode \d+.*AMBIT_ZTUNNEL_HANDOFF_NETNS_MISMATCH/);
    assert.equal(served.has('uid-web'), false);
    await waitFor(async () => /ZTUNNEL_REJECTED|NETNS_MISMATCH/.test(String((await debugPods()).find((p) => p['uid'] === 'uid-web')?.['lastError'])), { timeoutMs: 5000, what: 'lastError in /debug/pods' });
    await (clients.pop() as HandoffClient).close();
    ztunnel();
    await waitFor(() => served.has('uid-web'), { timeoutMs: 5000, what: 'a good ztunnel accepting the pod' });
  });

  test('DEL removes everything: DelWorkload, rules, the agent forgets the pod', async () => {
    const ns = `${PREFIX}-web`;
    await runtime.del(attachment(ns, 'web'));
    assert.equal(served.has('uid-web'), false);
    assert.equal(inpodTable(ns), undefined);
    assert.equal((await debugPods()).find((p) => p['uid'] === 'uid-web')?.['known'], false);
  });

  test('the agent is unreachable: ADD of any pod fails with code 11', async () => {
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
    const ns = addNetns('late');
    await assert.rejects(runtime.add(attachment(ns, 'late')), (error: unknown) => {
      assert.ok(isCniPluginError(error) || isAmbitError(error));
      assert.equal(isCniPluginError(error) ? error.cniCode : 0, 11);
      return true;
    });
  });
});
