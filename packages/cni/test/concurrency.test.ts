// 20 concurrent ADDs on one node (the kubelet runs pods in parallel): 20 distinct addresses, all
// wired, and after DEL every address is free again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CniRuntime } from '../src/index.ts';
import { TestNode } from './helpers.ts';

const COUNT = 20;
let t: TestNode;
let runtime: CniRuntime;
const netns: string[] = [];

before(() => {
  t = new TestNode('conc');
  runtime = new CniRuntime({
    conflist: { cniVersion: '1.1.0', name: 'pods', plugins: [{ type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: '10.202.0.0/24' } }] },
    binDirs: [t.binDir],
    cacheDir: `${t.tmp}/cache`,
    hostNetns: t.node,
  });
  for (let i = 0; i < COUNT; i++) netns.push(t.addNetns(`p${i}`));
});
after(() => t.cleanup());

const attachment = (i: number) => ({ containerId: `ctr-${i}`, netns: t.path(netns[i] ?? ''), ifname: 'eth0' });

test(`${COUNT} concurrent ADDs get ${COUNT} distinct IPs; after DEL all are free`, async () => {
  const results = await Promise.all(netns.map((_, i) => runtime.add(attachment(i))));
  const ips = results.map((r) => r.ips?.[0]?.address ?? '');
  assert.equal(new Set(ips).size, COUNT, `distinct: ${ips.join(' ')}`);
  assert.equal(t.reservations('pods').length, COUNT);
  for (let i = 0; i < COUNT; i++) {
    assert.match(t.ip(netns[i] ?? '', ['-4', 'addr', 'show', 'dev', 'eth0']), new RegExp(`inet ${(ips[i] ?? '').replace(/\./g, '\\.')} `));
  }
  assert.equal(t.links(t.node).filter((l) => l.startsWith('amb')).length, COUNT);

  await Promise.all(netns.map((_, i) => runtime.del(attachment(i))));
  assert.deepEqual(t.reservations('pods'), []);
  assert.deepEqual(t.attachments(), []);
  assert.deepEqual(t.links(t.node), ['lo']);
});
