// ambit-cni chained after Debian's bridge + host-local (cniVersion 1.0.0), the way istio-cni
// follows a primary plugin: the result is passed on unchanged, no second interface appears, and
// DEL in reverse order leaves nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CniRuntime, type CniResult } from '../src/index.ts';
import { DEBIAN_CNI, TestNode, attachmentEnv, requireDebianPlugins } from './helpers.ts';

describe('ambit-cni chained after bridge/host-local', () => {
  let t: TestNode;
  let runtime: CniRuntime;
  let hostLocalDir: string;
  let cacheDir: string;
  let pod: string;
  let result: CniResult;

  before(() => {
    requireDebianPlugins();
    t = new TestNode('chain');
    hostLocalDir = join(t.tmp, 'host-local');
    cacheDir = join(t.tmp, 'cache');
    pod = t.addNetns('pod');
    runtime = new CniRuntime({
      conflist: {
        cniVersion: '1.0.0',
        name: 'chain',
        plugins: [
          { type: 'bridge', bridge: 'ambbr0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', subnet: '10.206.0.0/24', dataDir: hostLocalDir } },
          { type: 'ambit-cni', dataDir: t.dataDir },
        ],
      },
      binDirs: [DEBIAN_CNI, t.binDir],
      cacheDir,
      hostNetns: t.node,
    });
  });
  after(() => t.cleanup());

  const attachment = () => ({ containerId: 'ctr-chain', netns: t.path(pod), ifname: 'eth0', args: { K8S_POD_NAMESPACE: 'prod', K8S_POD_NAME: 'web-0', K8S_POD_UID: 'uid-9' } });

  test('ADD: the bridge result comes out unchanged; ambit-cni made no interface and recorded the pod', async () => {
    result = await runtime.add(attachment());
    assert.equal(result.cniVersion, '1.0.0');
    const names = (result.interfaces ?? []).map((i) => i.name);
    assert.equal(names[0], 'ambbr0');
    assert.equal(names.length, 3, 'bridge, host veth, eth0');
    assert.deepEqual(result.interfaces?.[2]?.sandbox, t.path(pod));
    assert.match(result.ips?.[0]?.address ?? '', /^10\.206\.0\.\d+\/24$/);
    assert.deepEqual(t.links(pod).sort(), ['eth0', 'lo'], 'no second interface in the pod');
    const record = JSON.parse(readFileSync(join(t.dataDir, 'attachments', 'ctr-chain-eth0.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record['mode'], 'chained');
    assert.deepEqual(record['pod'], { namespace: 'prod', name: 'web-0', uid: 'uid-9' });
    assert.deepEqual(record['ips'], (result.ips ?? []).map((i) => ({ address: i.address, gateway: i.gateway })));
    const cached = JSON.parse(readFileSync(join(cacheDir, 'results', 'chain-ctr-chain-eth0'), 'utf8')) as { result: unknown };
    assert.deepEqual(cached.result, result);
  });

  test('the ambit-cni binary echoes prevResult exactly (unknown keys too), converted to the requested version', async () => {
    const prevResult = { ...structuredClone(result), cniVersion: '1.0.0', vendorKey: { kept: [1, 2] } };
    const config = { cniVersion: '1.0.0', name: 'chain', type: 'ambit-cni', dataDir: t.dataDir, prevResult };
    const out = await t.plugin('ambit-cni', attachmentEnv('ADD', 'ctr-echo', t.path(pod)), config);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.deepEqual(out.json, prevResult);
    const v11 = { ...prevResult, cniVersion: '1.1.0', routes: [{ dst: '0.0.0.0/0', gw: '10.206.0.1', priority: 10 }] };
    const down = await t.plugin('ambit-cni', attachmentEnv('ADD', 'ctr-echo2', t.path(pod)), { ...config, prevResult: v11 });
    assert.equal(down.status, 0, down.stdout);
    assert.deepEqual(down.json?.['routes'], [{ dst: '0.0.0.0/0', gw: '10.206.0.1' }], '1.1-only route fields dropped for a 1.0.0 config');
    for (const id of ['ctr-echo', 'ctr-echo2']) {
      const del = await t.plugin('ambit-cni', attachmentEnv('DEL', id, t.path(pod)), { ...config, prevResult });
      assert.equal(del.status, 0, del.stdout);
    }
    assert.deepEqual(t.attachments(), ['ctr-chain-eth0.json']);
  });

  test('chained ADD fails when the previous plugin\'s interface is not in the pod', async () => {
    const empty = t.addNetns('empty');
    const config = { cniVersion: '1.0.0', name: 'chain', type: 'ambit-cni', dataDir: t.dataDir, prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: t.path(empty) }] } };
    const out = await t.plugin('ambit-cni', attachmentEnv('ADD', 'ctr-x', t.path(empty)), config);
    assert.equal(out.status, 1);
    assert.equal(out.json?.['code'], 105);
    assert.deepEqual(t.attachments(), ['ctr-chain-eth0.json']);
  });

  test('CHECK passes through both plugins', async () => {
    await runtime.check(attachment());
  });

  test('DEL in reverse order leaves nothing: no veth, no host-local reservation, no record, no cache', async () => {
    await runtime.del(attachment());
    assert.deepEqual(t.links(pod), ['lo']);
    assert.deepEqual(t.links(t.node).sort(), ['ambbr0', 'lo'], 'only the bridge device (the bridge plugin never deletes it) remains');
    const reserved = readdirSync(join(hostLocalDir, 'chain')).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n));
    assert.deepEqual(reserved, []);
    assert.deepEqual(t.attachments(), []);
    assert.equal(existsSync(join(cacheDir, 'results', 'chain-ctr-chain-eth0')), false);
    await runtime.del(attachment());
  });

  test('STATUS and GC are skipped for a 1.0.0 list, as libcni does', async () => {
    await runtime.status();
    await runtime.gc([]);
  });
});
