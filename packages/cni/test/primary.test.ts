// ambit-cni as the only plugin, driven through CniRuntime (the kubelet/libcni role) with the
// plugins running in a test "node" netns: wiring, pod-to-pod TCP, CHECK, DEL, STATUS, VERSION.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniRuntime, CniPluginError, hostVethName, type CniResult } from '../src/index.ts';
import { TestNode } from './helpers.ts';

describe('ambit-cni primary mode through CniRuntime', () => {
  let t: TestNode;
  let runtime: CniRuntime;
  let conflist: Record<string, unknown>;
  const pods: Record<string, { netns: string; result?: CniResult }> = {};
  let cacheDir: string;

  before(() => {
    t = new TestNode('prim');
    cacheDir = join(t.tmp, 'cache');
    conflist = {
      cniVersion: '1.1.0',
      name: 'pods',
      plugins: [{ type: 'ambit-cni', dataDir: t.dataDir, mtu: 1400, dns: { nameservers: ['10.96.0.10'] }, ipam: { type: 'ambit-ipam', subnet: '10.201.1.0/24' } }],
    };
    runtime = new CniRuntime({ conflist, binDirs: [t.binDir], cacheDir, hostNetns: t.node });
    for (const name of ['a', 'b']) pods[name] = { netns: t.addNetns(`pod-${name}`) };
  });
  after(() => t.cleanup());

  const attach = (name: string) => ({
    containerId: `ctr-${name}`,
    netns: t.path(pods[name]?.netns ?? ''),
    ifname: 'eth0',
    args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: `pod-${name}`, K8S_POD_UID: `uid-${name}` },
  });

  test('ADD wires eth0 with a /32, a link route to the gateway and a default route', async () => {
    for (const name of ['a', 'b']) {
      const pod = pods[name];
      assert.ok(pod);
      pod.result = await runtime.add(attach(name));
    }
    const a = pods['a']?.result;
    assert.ok(a);
    assert.equal(a.cniVersion, '1.1.0');
    const host = hostVethName('ctr-a', 'eth0');
    assert.equal(a.interfaces?.[0]?.name, host);
    assert.equal(a.interfaces?.[0]?.sandbox, undefined);
    assert.deepEqual({ ...a.interfaces?.[1], mac: 'x' }, { name: 'eth0', mac: 'x', mtu: 1400, sandbox: t.path(pods['a']?.netns ?? '') });
    assert.deepEqual(a.ips, [{ address: '10.201.1.2/32', gateway: '10.201.1.1', interface: 1 }]);
    assert.deepEqual(a.routes, [{ dst: '0.0.0.0/0', gw: '10.201.1.1' }]);
    assert.deepEqual(a.dns, { nameservers: ['10.96.0.10'] });
    assert.equal(pods['b']?.result?.ips?.[0]?.address, '10.201.1.3/32');

    const netns = pods['a']?.netns ?? '';
    assert.match(t.ip(netns, ['-4', 'addr', 'show', 'dev', 'eth0']), /inet 10\.201\.1\.2\/32 /);
    assert.match(t.ip(netns, ['link', 'show', 'dev', 'eth0']), /mtu 1400 .*state UP/);
    assert.match(t.ip(netns, ['link', 'show', 'dev', 'lo']), /UP/);
    const routes = t.ip(netns, ['-4', 'route', 'show']);
    assert.match(routes, /^default via 10\.201\.1\.1 dev eth0/m);
    assert.match(routes, /^10\.201\.1\.1 dev eth0 scope link/m);
    // host side, in the node netns (never the host's)
    assert.match(t.ip(t.node, ['-4', 'addr', 'show', 'dev', host]), /inet 10\.201\.1\.1\/32 /);
    assert.match(t.ip(t.node, ['-4', 'route', 'show']), new RegExp(`^10\\.201\\.1\\.2 dev ${host} scope link`, 'm'));
    assert.equal(t.ip(t.node, ['link', 'show', host]).includes('state UP'), true);
    assert.equal(existsSync(`/sys/class/net/${host}`), false, 'nothing appears in the host netns');
    assert.deepEqual(t.reservations('pods'), ['10.201.1.2', '10.201.1.3']);
    assert.deepEqual(t.attachments(), ['ctr-a-eth0.json', 'ctr-b-eth0.json']);
  });

  test('two pods on the node reach each other over TCP', async () => {
    const server = await t.server(pods['b']?.netns ?? '', '10.201.1.3', 8080, 'hello from b');
    try {
      assert.equal(await t.connect(pods['a']?.netns ?? '', '10.201.1.3', 8080), 'hello from b');
    } finally {
      server.stop();
    }
  });

  test('CHECK passes after ADD and fails (code 100) once the pod route is deleted', async () => {
    await runtime.check(attach('a'));
    await runtime.check(attach('b'));
    t.ip(pods['b']?.netns ?? '', ['route', 'del', 'default']);
    await assert.rejects(runtime.check(attach('b')), (e: unknown) => {
      assert.ok(e instanceof CniPluginError);
      assert.equal(e.code, 'AMBIT_CNI_PLUGIN_FAILED');
      assert.equal(e.cniCode, 100);
      assert.match(e.cniMsg, /route 0\.0\.0\.0\/0 via 10\.201\.1\.1 is missing/);
      return true;
    });
  });

  test('DEL removes the veth, releases the IP and the record; DEL twice is fine', async () => {
    const host = hostVethName('ctr-b', 'eth0');
    await runtime.del(attach('b'));
    assert.equal(t.links(t.node).includes(host), false);
    assert.deepEqual(t.links(pods['b']?.netns ?? ''), ['lo']);
    assert.deepEqual(t.reservations('pods'), ['10.201.1.2']);
    assert.deepEqual(t.attachments(), ['ctr-a-eth0.json']);
    assert.equal(existsSync(join(cacheDir, 'results', 'pods-ctr-b-eth0')), false);
    await runtime.del(attach('b'));
  });

  test('DEL succeeds when the netns is already gone, and releases the IP', async () => {
    t.deleteNetns(pods['a']?.netns ?? '');
    await runtime.del(attach('a'));
    await runtime.del({ containerId: 'ctr-a', ifname: 'eth0' });
    assert.deepEqual(t.reservations('pods'), []);
    assert.deepEqual(t.attachments(), []);
    assert.deepEqual(t.links(t.node), ['lo']);
  });

  test('the next ADD gets a fresh address (round robin, no immediate reuse)', async () => {
    const c = t.addNetns('pod-c');
    const result = await runtime.add({ containerId: 'ctr-c', netns: t.path(c), ifname: 'eth0' });
    assert.equal(result.ips?.[0]?.address, '10.201.1.4/32');
    await runtime.del({ containerId: 'ctr-c', netns: t.path(c), ifname: 'eth0' });
    assert.deepEqual(t.reservations('pods'), []);
  });

  test('ADD of an ifname that already exists in the pod fails (code 103) and leaks nothing', async () => {
    const d = t.addNetns('pod-d');
    t.ip(d, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    await assert.rejects(runtime.add({ containerId: 'ctr-d', netns: t.path(d), ifname: 'eth0' }), (e: unknown) => e instanceof CniPluginError && e.cniCode === 103);
    assert.deepEqual(t.reservations('pods'), []);
    assert.deepEqual(t.links(t.node), ['lo']);
  });

  test('STATUS succeeds; with an unusable data dir it fails with code 50', async () => {
    await runtime.status();
    const blocker = join(t.tmp, 'not-a-dir');
    writeFileSync(blocker, '');
    const broken = new CniRuntime({
      conflist: { ...conflist, plugins: [{ type: 'ambit-cni', dataDir: join(blocker, 'data'), ipam: { type: 'ambit-ipam', subnet: '10.201.1.0/24' } }] },
      binDirs: [t.binDir],
      cacheDir,
      hostNetns: t.node,
    });
    await assert.rejects(broken.status(), (e: unknown) => e instanceof CniPluginError && e.cniCode === 50);
  });

  test('VERSION reports 1.0.0 and 1.1.0 for both binaries', async () => {
    for (const type of ['ambit-cni', 'ambit-ipam']) {
      assert.deepEqual(await CniRuntime.version({ type, binDirs: [t.binDir], hostNetns: t.node }), { cniVersion: '1.1.0', supportedVersions: ['1.0.0', '1.1.0'] });
    }
  });
});
