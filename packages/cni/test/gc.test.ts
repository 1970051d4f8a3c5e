// GC: an attachment whose pod is gone (netns deleted, never DELeted) is collected, its IP freed;
// valid attachments are left alone. Once with the binary called directly, once through CniRuntime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CniRuntime, hostVethName } from '../src/index.ts';
import { TestNode, attachmentEnv } from './helpers.ts';

let t: TestNode;
before(() => {
  t = new TestNode('gc');
});
after(() => t.cleanup());

const config = () => ({ cniVersion: '1.1.0', name: 'gcnet', type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: '10.203.0.0/24' } });

test('GC (binary called directly) removes an attachment not in the valid list and frees its IP', async () => {
  const keep = t.addNetns('keep');
  const gone = t.addNetns('gone');
  for (const [id, ns] of [['ctr-keep', keep], ['ctr-gone', gone]] as const) {
    const r = await t.plugin('ambit-cni', attachmentEnv('ADD', id, t.path(ns)), config());
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  assert.deepEqual(t.reservations('gcnet'), ['10.203.0.2', '10.203.0.3']);
  t.deleteNetns(gone);

  const gcRun = await t.plugin('ambit-cni', { CNI_COMMAND: 'GC' }, { ...config(), 'cni.dev/valid-attachments': [{ containerID: 'ctr-keep', ifname: 'eth0' }] });
  assert.equal(gcRun.status, 0, gcRun.stdout + gcRun.stderr);
  assert.equal(gcRun.stdout, '');
  assert.deepEqual(t.reservations('gcnet'), ['10.203.0.2']);
  assert.deepEqual(t.attachments(), ['ctr-keep-eth0.json']);
  assert.ok(t.links(t.node).includes(hostVethName('ctr-keep', 'eth0')));
  assert.match(t.ip(keep, ['-4', 'addr', 'show', 'dev', 'eth0']), /10\.203\.0\.2\/32/);

  // the old key spelling works too, and an empty list collects everything
  const all = await t.plugin('ambit-cni', { CNI_COMMAND: 'GC' }, { ...config(), 'cni.dev/attachments': [] });
  assert.equal(all.status, 0, all.stdout);
  assert.deepEqual(t.reservations('gcnet'), []);
  assert.deepEqual(t.attachments(), []);
  assert.deepEqual(t.links(t.node), ['lo']);
  assert.deepEqual(t.links(keep), ['lo'], 'the collected veth is gone from the pod too');
});

test('GC through CniRuntime: DELs stale cached attachments and GCs every plugin', async () => {
  const runtime = new CniRuntime({
    conflist: { cniVersion: '1.1.0', name: 'gcnet', plugins: [{ type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: '10.203.0.0/24' } }] },
    binDirs: [t.binDir],
    cacheDir: `${t.tmp}/cache`,
    hostNetns: t.node,
  });
  const a = t.addNetns('rt-a');
  const b = t.addNetns('rt-b');
  await runtime.add({ containerId: 'rt-a', netns: t.path(a), ifname: 'eth0' });
  await runtime.add({ containerId: 'rt-b', netns: t.path(b), ifname: 'eth0' });
  // a reservation the runtime never cached (e.g. a crashed ADD) is found by the plugin-level GC
  const orphan = await t.plugin('ambit-ipam', attachmentEnv('ADD', 'orphan', '/nonexistent'), { cniVersion: '1.1.0', name: 'gcnet', type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: '10.203.0.0/24' } });
  assert.equal(orphan.status, 0, orphan.stdout);
  assert.equal(t.reservations('gcnet').length, 3);
  t.deleteNetns(b);

  await runtime.gc([{ containerId: 'rt-a', ifname: 'eth0' }]);
  assert.equal(t.reservations('gcnet').length, 1);
  assert.deepEqual(t.attachments(), ['rt-a-eth0.json']);
  await runtime.del({ containerId: 'rt-a', netns: t.path(a), ifname: 'eth0' });
  assert.deepEqual(t.reservations('gcnet'), []);
});
