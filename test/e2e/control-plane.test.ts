// The control plane inside a lab, seen from a node as a ztunnel sees it: TLS on 15012 with the
// node's own credential, workloads over Delta xDS (live as `lab apply` changes the cluster), and
// certificates only for identities of pods on the caller's node.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ambit, ambitJson, labName, leftovers, REPO } from './helpers.ts';

const LAB = labName('cp');
const CLIENT = `${REPO}test/e2e/fixtures/mesh-client.ts`;
const STATE = `/run/ambit/${LAB}`;
const ROOT = `${STATE}/ca/self-signed/root-cert.pem`;

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web } }
spec:
  nodeName: node-1
  serviceAccountName: web
  containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: db, namespace: shop, labels: { app: db } }
spec:
  nodeName: node-2
  serviceAccountName: db
  containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 5432 }] }]
`;

function client(node: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn('ip', ['netns', 'exec', `ambit-${LAB}.${node}`, process.execPath, CLIENT, '--root', ROOT, '--token', `${STATE}/credentials/${node}.token`, '--node', node, ...args], {
    stdio: 'pipe',
  });
}

async function csr(node: string, identity: string): Promise<{ ok: boolean; code?: number; details?: string; identities?: string[]; chain?: number }> {
  const child = client(node, ['--mode', 'csr', '--identity', identity]);
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(out.trim(), `no answer from the CSR client: ${err}`);
  return JSON.parse(out) as { ok: boolean };
}

describe('control plane in the lab', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-cp-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, up.stderr);
  });
  after(async () => {
    await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('lab status lists the control plane as a ready component', async () => {
    const status = await ambitJson<{ components: Array<{ kind: string; ready: boolean; pid: number | null }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    const cp = status.components.find((c) => c.kind === 'control-plane');
    assert.equal(cp?.ready, true);
    assert.ok(cp?.pid);
  });

  test('a node gets workloads over Delta xDS on 15012 and sees a new pod after lab apply', async () => {
    const child = client('node-1', ['--mode', 'xds']);
    const lines = createInterface({ input: child.stdout });
    const responses: Array<{ names?: string[]; removed?: string[]; error?: number }> = [];
    const waiters: Array<() => void> = [];
    lines.on('line', (line) => {
      responses.push(JSON.parse(line) as { names?: string[] });
      for (const w of waiters.splice(0)) w();
    });
    const next = (check: (r: { names?: string[]; removed?: string[]; error?: number }) => boolean, what: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(responses)}`)), 20_000);
        const look = (): void => {
          if (responses.some(check)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(look);
        };
        look();
      });
    try {
      await next((r) => (r.names ?? []).includes('Kubernetes//Pod/shop/web'), 'the first response with shop/web');
      const first = responses[0];
      assert.ok(first?.names?.includes('Kubernetes//Pod/shop/db'), 'pods of every node are sent');
      // proxy-status sees this client, authenticated as node-1, and in sync once it ACKed.
      let status = '';
      for (let i = 0; i < 50 && !status.includes('WDS SYNCED'); i++) status = (await ambit(['proxy-status', '--lab', LAB])).stdout;
      assert.match(status, /ztunnel~node-1~.*node\/node-1.*WDS SYNCED/);
      assert.ok(first?.names?.includes('kube-system/kube-dns.kube-system.svc.cluster.local'), 'services too');
      await writeFile(
        join(dir, 'more.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata: { name: cache, namespace: shop }\nspec:\n  nodeName: node-2\n  containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 6379 }] }]\n',
      );
      const apply = await ambit(['lab', 'apply', '--name', LAB, '-f', join(dir, 'more.yaml')]);
      assert.equal(apply.code, 0, apply.stderr);
      await next((r) => (r.names ?? []).length === 1 && r.names?.[0] === 'Kubernetes//Pod/shop/cache', 'a push carrying only the new pod');
      const del = await ambit(['lab', 'delete', '--name', LAB, '-f', join(dir, 'more.yaml')]);
      assert.equal(del.code, 0, del.stderr);
      await next((r) => (r.removed ?? []).includes('Kubernetes//Pod/shop/cache'), 'the removal of the deleted pod');
    } finally {
      child.stdin.end();
      child.kill();
    }
  });

  test('a wrong credential is refused on xDS', async () => {
    const child = spawn('ip', ['netns', 'exec', `ambit-${LAB}.node-1`, process.execPath, CLIENT, '--mode', 'xds', '--root', ROOT, '--token', '/dev/null', '--node', 'node-1'], { stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    assert.match(out, /"error":16/, 'UNAUTHENTICATED');
  });

  test('certificates: own identity and pods on the node are signed; a pod on another node is refused', async () => {
    const own = await csr('node-1', 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
    assert.equal(own.ok, true, JSON.stringify(own));
    const local = await csr('node-1', 'spiffe://cluster.local/ns/shop/sa/web');
    assert.deepEqual(local.identities, ['URI:spiffe://cluster.local/ns/shop/sa/web']);
    assert.ok((local.chain ?? 0) >= 2, 'leaf first, root last');
    const remote = await csr('node-1', 'spiffe://cluster.local/ns/shop/sa/db');
    assert.equal(remote.ok, false);
    assert.equal(remote.code, 7, 'PERMISSION_DENIED');
    const fromItsNode = await csr('node-2', 'spiffe://cluster.local/ns/shop/sa/db');
    assert.equal(fromItsNode.ok, true, 'node-2 hosts db');
    const unknown = await csr('node-1', 'spiffe://cluster.local/ns/shop/sa/nobody');
    assert.equal(unknown.code, 7);
    const otherDomain = await csr('node-1', 'spiffe://evil.example/ns/shop/sa/web');
    assert.equal(otherDomain.ok, false);
  });
});

describe('ambit analyze', () => {
  test('warnings for policies that will not do what they say; errors fail the command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-analyze-'));
    try {
      await writeFile(
        join(dir, 'policy.yaml'),
        `${CLUSTER}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-only, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  rules: [{ to: [{ operation: { methods: [GET], paths: ["/api/*"] } }] }]
`,
      );
      const ok = await ambit(['analyze', '-f', dir]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /policy\.yaml:\d+:\d+ warning: spec\.rules: this policy is enforced by ztunnel, which cannot see methods, paths.*\[AMBIT_ANALYZE_L7_ON_ZTUNNEL\]/);
      await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { ports: [{ port: 0 }] }\n');
      const bad = await ambit(['analyze', '-f', dir]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /bad\.yaml:4:\d+ spec\.ports\[0\]\.port: .*\[AMBIT_API_INVALID_VALUE\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
