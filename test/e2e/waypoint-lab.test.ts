// `ambit waypoint` against a lab, as a user drives it: apply a waypoint for an ambient namespace
// and enrol the namespace, see it Programmed in list and status, find the objects the lab's
// deployment controller made for it (ADR 0007), then delete it and see them go.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ambit, ambitJson, labName, leftovers } from './helpers.ts';

const LAB = labName('wpt');
const CONFIG = `/run/ambit/${LAB}/config`;

interface Status {
  namespaces: Array<{ name: string; labels: Record<string, string> }>;
  pods: Array<{ namespace: string; name: string; node: string; ip: string | null; ready: boolean; enrolled: boolean; labels: Record<string, string>; ports: Array<{ port: number }> }>;
  services: Array<{ namespace: string; name: string; clusterIP: string; ports: Array<{ name: string | null; port: number }>; endpoints: string[] }>;
  gateways: Array<{
    namespace: string;
    name: string;
    class: string;
    trafficType: string;
    revision: string;
    programmed: boolean;
    conditions: Array<{ type: string; status: string; reason: string; message: string }>;
    addresses: Array<{ type: string; value: string }>;
  }>;
  components: Array<{ kind: string; node: string | null; pid: number | null; ready: boolean; namespace?: string; name?: string }>;
}

const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio.io/dataplane-mode: ambient, team: checkout } }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web } }
spec:
  containers: [{ name: web, image: ambit/workload, ports: [{ containerPort: 8080 }] }]
`;

const status = (): Promise<Status> => ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']);

describe('ambit waypoint in a lab', () => {
  let dir: string;
  let applied: Awaited<ReturnType<typeof ambit>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-waypoint-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    const up = await ambit(['lab', 'up', '--name', LAB, '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, `lab up failed: ${up.stderr}`);
    applied = await ambit(['waypoint', 'apply', '--lab', LAB, '-n', 'shop', '--enroll-namespace', '--wait', '--waypoint-timeout', '90s']);
  });

  after(async () => {
    const down = await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('apply --enroll-namespace --wait returns once the waypoint is programmed and labels the namespace', async () => {
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(applied.stdout.trim().split('\n'), ['waypoint shop/waypoint applied', 'namespace shop labeled with "istio.io/use-waypoint: waypoint"']);
    const shop = (await status()).namespaces.find((n) => n.name === 'shop');
    assert.equal(shop?.labels['istio.io/use-waypoint'], 'waypoint');
    assert.equal(shop?.labels['team'], 'checkout', 'the namespace keeps its other labels');
  });

  test('list and status show it Programmed', async () => {
    const list = await ambit(['waypoint', 'list', '--lab', LAB, '-n', 'shop']);
    assert.equal(list.code, 0, list.stderr);
    const [header, row, extra] = list.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
    assert.deepEqual(header, ['NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED']);
    assert.deepEqual(row, ['waypoint', 'default', 'service', 'True']);
    assert.equal(extra, undefined);
    const all = await ambitJson<Status['gateways']>(['waypoint', 'list', '--lab', LAB, '-A', '-o', 'json']);
    assert.deepEqual(all.map((g) => [g.namespace, g.name, g.programmed]), [['shop', 'waypoint', true]]);
    const st = await ambit(['waypoint', 'status', '--lab', LAB, '-n', 'shop']);
    assert.equal(st.code, 0, st.stderr);
    const lines = st.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+NAME\s+STATUS\s+TYPE\s+REASON\s+MESSAGE$/);
    assert.match(lines[1] ?? '', /^shop\s+waypoint\s+True\s+Accepted\s+Accepted\s+/);
    assert.match(lines[2] ?? '', /^shop\s+waypoint\s+True\s+Programmed\s+Programmed\s+Resource programmed, assigned to service\(s\) waypoint\.shop\.svc\.cluster\.local:15008$/);
  });

  test('the lab runs the waypoint pod, its Service and ServiceAccount, owned by the Gateway', async () => {
    const s = await status();
    const pod = s.pods.find((p) => p.namespace === 'shop' && p.name === 'waypoint-0');
    assert.ok(pod, 'pod shop/waypoint-0 exists');
    assert.equal(pod.ready, true);
    assert.equal(pod.enrolled, false, 'a waypoint is never captured (istio.io/dataplane-mode: none)');
    assert.equal(pod.labels['gateway.networking.k8s.io/gateway-name'], 'waypoint');
    assert.equal(pod.labels['gateway.istio.io/managed'], 'istio.io-mesh-controller');
    assert.deepEqual(pod.ports.map((p) => p.port).sort(), [15008, 15020, 15021]);
    const svc = s.services.find((x) => x.namespace === 'shop' && x.name === 'waypoint');
    assert.deepEqual(svc?.ports.map((p) => [p.name, p.port]), [['status-port', 15021], ['mesh', 15008]]);
    assert.deepEqual(svc?.endpoints, [pod.ip]);
    const component = s.components.find((c) => c.kind === 'waypoint');
    assert.deepEqual(component && [component.namespace, component.name, component.node, component.ready], ['shop', 'waypoint-0', pod.node, true]);
    // What the control plane reads: the derived objects name their owner.
    const sa = await readFile(`${CONFIG}/ServiceAccount.shop.waypoint.yaml`, 'utf8');
    assert.match(sa, /ownerReferences:\n\s+- apiVersion: gateway\.networking\.k8s\.io\/v1\n\s+kind: Gateway\n\s+name: waypoint\n/);
    assert.match(await readFile(`${CONFIG}/Gateway.shop.waypoint.yaml`, 'utf8'), /status:\n\s+conditions:/);
    assert.deepEqual(s.gateways[0]?.addresses, [
      { type: 'IPAddress', value: svc?.clusterIP },
      { type: 'Hostname', value: 'waypoint.shop.svc.cluster.local' },
    ]);
  });

  test('apply with other settings is refused without --overwrite; delete of an unknown name fails', async () => {
    const again = await ambit(['waypoint', 'apply', '--lab', LAB, '-n', 'shop', '--for', 'all']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /waypoint shop\/waypoint already exists with traffic type service; use --overwrite/);
    const unknown = await ambit(['waypoint', 'delete', '--lab', LAB, '-n', 'shop', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /waypoint shop\/nope not found/);
  });

  test('delete removes the Gateway and with it the pod, Service and ServiceAccount', async () => {
    const del = await ambit(['waypoint', 'delete', '--lab', LAB, '-n', 'shop', 'waypoint']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout.trim(), 'waypoint shop/waypoint deleted');
    const s = await status();
    assert.equal(s.gateways.length, 0);
    assert.equal(s.pods.some((p) => p.name === 'waypoint-0'), false);
    assert.equal(s.services.some((x) => x.name === 'waypoint'), false);
    assert.equal(s.components.some((c) => c.kind === 'waypoint'), false);
    assert.equal(existsSync(`${CONFIG}/ServiceAccount.shop.waypoint.yaml`), false);
    assert.equal(existsSync(`${CONFIG}/Deployment.shop.waypoint.yaml`), false);
  });
});
