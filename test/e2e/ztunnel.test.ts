// The ztunnel data path end to end in a two-node lab with real traffic: enrolled pods talk over
// HBONE (mTLS HTTP/2 CONNECT to 15008) with the app seeing the real client address, bytes stay
// intact with half-close, L4 AuthorizationPolicy and PeerAuthentication are enforced (also on
// open connections when policy changes), and traffic survives the control plane going away and a
// ztunnel restart.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ambit/core';
import { ambit, ambitJson, commandOutput, labName, leftovers, spawnInPod } from './helpers.ts';

const LAB = labName('zt');

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Namespace
metadata: { name: plain }
---
apiVersion: v1
kind: Pod
metadata: { name: server, namespace: mesh, labels: { app: server } }
spec: { nodeName: node-1, serviceAccountName: server, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }, { containerPort: 81 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: mesh, labels: { app: client } }
spec: { nodeName: node-2, serviceAccountName: client, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: other, namespace: mesh, labels: { app: other } }
spec: { nodeName: node-2, serviceAccountName: other, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: outsider, namespace: plain, labels: { app: outsider } }
spec: { nodeName: node-2, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: mesh }
spec: { selector: { app: server }, ports: [{ name: http, port: 80 }, { name: tcp-81, port: 81 }] }
`;

interface Probe {
  connected: boolean;
  server: string | null;
  error: string | null;
}

const inPod = (pod: string, script: string, args: string[]): ChildProcess => spawnInPod(LAB, pod, script, args);

async function runInPod<T>(pod: string, script: string, args: string[]): Promise<T> {
  const child = inPod(pod, script, args);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').pop() ?? 'null') as T;
}

const probe = (from: string, to: string, timeout = '2s'): Promise<Probe> => ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', from, '--to', to, '--timeout', timeout, '-o', 'json']);

describe('ztunnel: HBONE between enrolled pods', () => {
  let dir: string;
  let serverIp: string;
  let clientIp: string;

  async function apply(name: string, text: string): Promise<void> {
    await writeFile(join(dir, name), text);
    const result = await ambit(['lab', 'apply', '--name', LAB, '-f', join(dir, name)]);
    assert.equal(result.code, 0, result.stderr);
  }

  async function remove(name: string): Promise<void> {
    const result = await ambit(['lab', 'delete', '--name', LAB, '-f', join(dir, name)]);
    assert.equal(result.code, 0, result.stderr);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-zt-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, up.stderr);
    const status = await ambitJson<{ pods: Array<{ namespace: string; name: string; ip: string; enrolled: boolean }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    serverIp = status.pods.find((p) => p.name === 'server')?.ip ?? '';
    clientIp = status.pods.find((p) => p.name === 'client')?.ip ?? '';
    assert.ok(status.pods.find((p) => p.name === 'server')?.enrolled);
  });

  after(async () => {
    await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('pod-to-pod and pod-to-Service ride HBONE and the app sees the real client address', async () => {
    for (const to of [`${serverIp}:80`, 'server.mesh:80']) {
      const result = await probe('mesh/client', to);
      assert.equal(result.connected, true, `${to}: ${result.error}`);
      assert.equal(result.server, 'mesh/server');
    }
    const curl = await ambit(['lab', 'exec', '--name', LAB, 'mesh/client', '--', 'curl', '-sS', '--max-time', '3', 'http://server.mesh/who']);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal((JSON.parse(curl.stdout) as { peer: string }).peer.split(':')[0], clientIp, 'transparent: the client pod address, not the ztunnel');
    // The server's ztunnel saw it arrive on 15008 over mTLS with the client's identity.
    const log = await readFile(`/run/ambit/${LAB}/logs/ztunnel.node-1.log`, 'utf8');
    const inbound = log.split('\n').filter((l) => l.includes('"direction":"inbound"') && l.includes(`"dst.addr":"${serverIp}:15008"`));
    assert.ok(inbound.some((l) => l.includes('"src.identity":"spiffe://cluster.local/ns/mesh/sa/client"')), 'inbound HBONE access log with the client identity');
    const metrics = await commandOutput('ip', ['netns', 'exec', `ambit-${LAB}.node-1`, 'curl', '-s', '127.0.0.1:15020/metrics']);
    assert.match(metrics, /istio_tcp_connections_opened_total\{reporter="destination",[^}]*source_principal="spiffe:\/\/cluster.local\/ns\/mesh\/sa\/client"[^}]*connection_security_policy="mutual_tls"\}/);
  });

  test('bytes stay intact through two ztunnels, with half-close, for 1 B, 1 MiB and 256 MiB', async () => {
    for (const bytes of [1, 1024 * 1024, 256 * 1024 * 1024]) {
      const result = await runInPod<{ intact: boolean; received: number; error: string | null; json: { pod: string } | null }>('mesh/client', 'tcp-transfer.ts', [serverIp, '80', String(bytes)]);
      assert.equal(result.error, null, `${bytes} bytes: ${result.error}`);
      assert.equal(result.json?.pod, 'mesh/server');
      assert.equal(result.intact, true, `${bytes} bytes echoed intact after half-close`);
    }
  });

  test('L4 AuthorizationPolicy: ALLOW by principal, DENY by namespace, port and ipBlock', async () => {
    await apply(
      'allow-client.yaml',
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-client, namespace: mesh }
spec:
  selector: { matchLabels: { app: server } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/mesh/sa/client"] } }] }]
`,
    );
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, true, 'the allowed principal');
    assert.equal((await probe('mesh/other', `${serverIp}:80`)).connected, false, 'another principal is denied');
    await remove('allow-client.yaml');
    assert.equal((await probe('mesh/other', `${serverIp}:80`)).connected, true, 'allowed again once the policy is gone');

    await apply(
      'deny.yaml',
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-81, namespace: mesh }
spec:
  selector: { matchLabels: { app: server } }
  action: DENY
  rules: [{ to: [{ operation: { ports: ["81"] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-other-ip, namespace: mesh }
spec:
  selector: { matchLabels: { app: server } }
  action: DENY
  rules: [{ from: [{ source: { ipBlocks: ["${(await ambitJson<{ pods: Array<{ name: string; ip: string }> }>(['lab', 'status', '--name', LAB, '-o', 'json'])).pods.find((p) => p.name === 'other')?.ip}/32"] } }] }]
`,
    );
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, true);
    assert.equal((await probe('mesh/client', `${serverIp}:81`)).connected, false, 'DENY by port');
    assert.equal((await probe('mesh/other', `${serverIp}:80`)).connected, false, 'DENY by ipBlock');
    await remove('deny.yaml');
    await apply(
      'deny-ns.yaml',
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-mesh-ns, namespace: mesh }
spec:
  action: DENY
  rules: [{ from: [{ source: { namespaces: ["mesh"] } }], to: [{ operation: { ports: ["80"] } }] }]
`,
    );
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, false, 'DENY by source namespace');
    await remove('deny-ns.yaml');
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, true);
  });

  test('a policy change closes open connections it now denies', async () => {
    const child = inPod('mesh/other', 'hold.ts', [serverIp, '80']);
    const lines = createInterface({ input: child.stdout! });
    const seen: Array<{ open?: boolean; closed?: boolean }> = [];
    lines.on('line', (l) => seen.push(JSON.parse(l) as { open?: boolean }));
    try {
      await waitFor(() => seen.some((l) => l.open), { timeoutMs: 10_000, what: 'the held connection to open' });
      await apply(
        'deny-other.yaml',
        `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-other, namespace: mesh }
spec:
  selector: { matchLabels: { app: server } }
  action: DENY
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/mesh/sa/other"] } }] }]
`,
      );
      await waitFor(() => seen.some((l) => l.closed), { timeoutMs: 15_000, what: 'the open connection to be closed by the policy change' });
    } finally {
      child.kill();
      await remove('deny-other.yaml');
    }
  });

  test('PeerAuthentication: PERMISSIVE admits a client outside the mesh, STRICT refuses it', async () => {
    assert.equal((await probe('plain/outsider', `${serverIp}:80`)).connected, true, 'plaintext admitted by default (PERMISSIVE)');
    await apply(
      'strict.yaml',
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: mesh }
spec: { mtls: { mode: STRICT } }
`,
    );
    assert.equal((await probe('plain/outsider', `${serverIp}:80`)).connected, false, 'STRICT refuses plaintext');
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, true, 'HBONE is unaffected by STRICT');
    await remove('strict.yaml');
    assert.equal((await probe('plain/outsider', `${serverIp}:80`)).connected, true);
  });

  test('ztunnel-config shows what the ztunnel of a node holds, with the columns of istioctl', async () => {
    const workloads = await ambit(['ztunnel-config', 'workloads', '--lab', LAB, '--node', 'node-1']);
    assert.equal(workloads.code, 0, workloads.stderr);
    assert.match(workloads.stdout, /^NAMESPACE\s+POD NAME\s+ADDRESS\s+NODE\s+WAYPOINT\s+PROTOCOL/);
    assert.match(workloads.stdout, new RegExp(`\\nmesh\\s+server\\s+${serverIp.replaceAll('.', '\\.')}\\s+node-1\\s+None\\s+HBONE`));
    assert.match(workloads.stdout, /\nplain\s+outsider\s+\S+\s+node-2\s+None\s+TCP/);
    const certs = await ambit(['ztunnel-config', 'certificates', '--lab', LAB, '--node', 'node-1']);
    assert.match(certs.stdout, /spiffe:\/\/cluster\.local\/ns\/mesh\/sa\/server\s+Leaf\s+Available\s+true/);
    const json = await ambitJson<Record<string, Array<{ name: string }>>>(['ztunnel-config', 'connections', '--lab', LAB, '-o', 'json']);
    assert.deepEqual(json['node-1']?.map((p) => p.name), ['server']);
  });

  test('removing the label undoes enrollment live; adding it back captures again', async () => {
    const podNetns = `ambit-${LAB}.p.mesh.server`;
    const inpod = async (): Promise<boolean> => (await commandOutput('ip', ['netns', 'exec', podNetns, 'nft', 'list', 'tables'])).includes('ambit-inpod');
    assert.equal(await inpod(), true, 'the enrolled pod has its capture rules');
    await apply('server-out.yaml', CLUSTER.split('---').find((d) => d.includes('name: server, namespace: mesh'))!.replace('labels: { app: server }', 'labels: { app: server, istio.io/dataplane-mode: none }'));
    await waitFor(async () => !(await inpod()), { timeoutMs: 20_000, what: 'the capture rules to go' });
    const direct = await ambit(['lab', 'exec', '--name', LAB, 'mesh/client', '--', 'curl', '-sS', '--max-time', '3', `http://${serverIp}/`]);
    assert.equal(direct.code, 0, direct.stderr);
    const workloads = await ambit(['ztunnel-config', 'workloads', '--lab', LAB, '--node', 'node-1']);
    assert.match(workloads.stdout, /\nmesh\s+server\s+\S+\s+node-1\s+None\s+TCP/, 'the server is now a plain TCP workload');
    await apply('server-in.yaml', CLUSTER.split('---').find((d) => d.includes('name: server, namespace: mesh'))!);
    await waitFor(async () => await inpod(), { timeoutMs: 20_000, what: 'the capture rules to come back' });
    await waitFor(async () => (await probe('mesh/client', `${serverIp}:80`, '1s')).connected, { timeoutMs: 20_000, intervalMs: 200, what: 'HBONE to work again' });
  });

  test('a pod created in an enrolled namespace is captured before its first process starts', async () => {
    await apply(
      'early.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: early, namespace: mesh }
spec:
  nodeName: node-1
  containers:
    - name: c
      image: debian
      command: ["sh", "-c", "if nft list tables | grep -q ambit-inpod; then echo captured-at-start; else echo NOT-captured-at-start; fi; exec sleep 600"]
`,
    );
    const log = await waitFor(
      async () => {
        const text = await readFile(`/run/ambit/${LAB}/logs/pods/mesh.early.c.log`, 'utf8').catch(() => '');
        return text.includes('captured-at-start') ? text : undefined;
      },
      { timeoutMs: 20_000, what: 'the early pod to report' },
    );
    assert.match(log, /^captured-at-start/m, 'the CNI ADD waited for capture and the ztunnel before the app ran');
    await remove('early.yaml');
  });

  test('a client certificate from a CA the mesh does not trust is refused at 15008', async () => {
    const result = await runInPod<{ refused: boolean; stage: string; error?: string; status?: number }>('plain/outsider', 'forged-hbone.ts', [serverIp, 'spiffe://cluster.local/ns/mesh/sa/client', '80']);
    assert.equal(result.refused, true, JSON.stringify(result));
    // Refused by the TLS handshake or the session, not because nothing listens on 15008.
    assert.ok(!['ECONNREFUSED', 'EHOSTUNREACH'].includes(result.error ?? '') && result.stage !== 'timeout', JSON.stringify(result));
    assert.notEqual(result.status, 200);
  });

  test('a restarted CNI agent resynchronises with the ztunnel without leaking listeners', async () => {
    const status = await ambitJson<{ components: Array<{ kind: string; node: string | null; pid: number | null }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    const agent = status.components.find((c) => c.kind === 'cni-agent' && c.node === 'node-1');
    assert.ok(agent?.pid);
    process.kill(agent.pid, 'SIGKILL');
    await waitFor(
      async () => {
        const s = await ambitJson<{ components: Array<{ kind: string; node: string | null; pid: number | null; ready: boolean }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
        const a = s.components.find((c) => c.kind === 'cni-agent' && c.node === 'node-1');
        return a?.ready && a.pid !== agent.pid;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the CNI agent to be restarted' },
    );
    const pods = await ambitJson<Record<string, Array<{ name: string }>>>(['ztunnel-config', 'connections', '--lab', LAB, '--node', 'node-1', '-o', 'json']);
    assert.deepEqual(pods['node-1']?.map((p) => p.name), ['server'], 'one proxy for the pod, not two');
    assert.equal((await probe('mesh/client', `${serverIp}:80`)).connected, true);
  });

  test('traffic keeps flowing without the control plane; a killed ztunnel is restarted and serves again', async () => {
    // A transfer between two pods of node-2 runs while node-1's ztunnel is killed: it must not be cut.
    const otherIp = (await ambitJson<{ pods: Array<{ name: string; ip: string }> }>(['lab', 'status', '--name', LAB, '-o', 'json'])).pods.find((p) => p.name === 'other')?.ip ?? '';
    const longTransfer = runInPod<{ intact: boolean; error: string | null }>('mesh/client', 'tcp-transfer.ts', [otherIp, '80', String(512 * 1024 * 1024)]);
    const status = await ambitJson<{ components: Array<{ kind: string; node: string | null; pid: number | null }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    const cp = status.components.find((c) => c.kind === 'control-plane');
    assert.ok(cp?.pid);
    process.kill(cp.pid, 'SIGKILL');
    for (let i = 0; i < 3; i++) assert.equal((await probe('mesh/client', 'server.mesh:80')).connected, true, 'last good config keeps serving');
    const zt = status.components.find((c) => c.kind === 'ztunnel' && c.node === 'node-1');
    assert.ok(zt?.pid);
    process.kill(zt.pid, 'SIGKILL');
    await waitFor(async () => (await probe('mesh/client', `${serverIp}:80`, '1s')).connected, { timeoutMs: 60_000, intervalMs: 200, what: 'service restored after the ztunnel restart' });
    const transfer = await longTransfer;
    assert.deepEqual([transfer.error, transfer.intact], [null, true], 'the transfer on node-2 was not cut');
  });
});
