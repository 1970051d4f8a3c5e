// Bad input gives the spec's error code on stdout (exit 1) and changes nothing: no link in the
// node or the pod, no IPAM reservation, no record, not even the data directory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { CniPluginError, CniRuntime, validatePluginConfig } from '../src/index.ts';
import { TestNode, attachmentEnv } from './helpers.ts';

describe('bad configuration and environment', () => {
  let t: TestNode;
  let pod: string;
  before(() => {
    t = new TestNode('bad');
    pod = t.addNetns('pod');
  });
  after(() => t.cleanup());

  const good = () => ({ cniVersion: '1.1.0', name: 'pods', type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: '10.205.0.0/24' } });
  const add = () => attachmentEnv('ADD', 'ctr-1', t.path(pod));

  const cases: Array<[string, () => Record<string, string>, () => unknown, number, RegExp]> = [
    ['unknown ipam type', add, () => ({ ...good(), ipam: { type: 'no-such-ipam', subnet: '10.205.0.0/24' } }), 2, /ipam\.type="no-such-ipam"/],
    ['bad subnet (reported by ambit-ipam)', add, () => ({ ...good(), ipam: { type: 'ambit-ipam', subnet: '10.205.0.0/33' } }), 7, /ipam\.subnet: "10\.205\.0\.0\/33" is not an IPv4 CIDR/],
    ['subnet with host bits', add, () => ({ ...good(), ipam: { type: 'ambit-ipam', subnet: '10.205.0.9/24' } }), 7, /host bits set/],
    ['missing name', add, () => ({ ...good(), name: undefined }), 7, /name: is missing/],
    ['wrong cniVersion', add, () => ({ ...good(), cniVersion: '0.3.1' }), 1, /cniVersion: "0\.3\.1" is not supported/],
    ['missing ipam in primary mode', add, () => ({ ...good(), ipam: undefined }), 7, /ipam is missing/],
    ['stdin not JSON', add, () => '{"cniVersion":', 6, /cannot decode/],
    ['CNI_NETNS missing', () => ({ ...add(), CNI_NETNS: '' }), good, 4, /CNI_NETNS is missing/],
    ['CNI_IFNAME and CNI_CONTAINERID missing', () => ({ ...add(), CNI_IFNAME: '', CNI_CONTAINERID: '' }), good, 4, /CNI_CONTAINERID is missing; CNI_IFNAME is missing/],
    ['netns does not exist', () => attachmentEnv('ADD', 'ctr-1', '/run/netns/ambit-no-such-netns'), good, 3, /network namespace \/run\/netns\/ambit-no-such-netns of container ctr-1 does not exist/],
    ['unknown verb', () => ({ ...add(), CNI_COMMAND: 'UPGRADE' }), good, 4, /CNI_COMMAND="UPGRADE"/],
    ['GC with a 1.0.0 config', () => ({ CNI_COMMAND: 'GC' }), () => ({ ...good(), cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] }), 1, /does not allow GC/],
    ['STATUS with a 1.0.0 config', () => ({ CNI_COMMAND: 'STATUS' }), () => ({ ...good(), cniVersion: '1.0.0' }), 1, /does not allow STATUS/],
  ];
  for (const [name, env, config, code, message] of cases) {
    test(`${name} -> code ${code}, nothing changed`, async () => {
      const r = await t.plugin('ambit-cni', env(), config());
      assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
      assert.ok(r.json, `stdout is the error JSON: ${r.stdout}`);
      assert.deepEqual(Object.keys(r.json).sort(), ['cniVersion', 'code', 'details', 'msg']);
      assert.equal(r.json['code'], code, String(r.json['msg']));
      assert.match(String(r.json['msg']), message);
      assert.deepEqual(t.links(t.node), ['lo']);
      assert.deepEqual(t.links(pod), ['lo']);
      assert.equal(existsSync(t.dataDir), false, 'no IPAM file, no record');
    });
  }

  test('validatePluginConfig reports every problem of a bad config', () => {
    const r = validatePluginConfig({ cniVersion: '1.1.0', type: 'ambit-cni', mtu: 1, ipam: { type: 'x/y' } }, 'ADD');
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.path, p.cniCode]), [['name', 7], ['ipam.type', 2], ['mtu', 7]]);
  });

  test('CniRuntime rejects an invalid conflist up front', () => {
    assert.throws(() => new CniRuntime({ conflist: { cniVersion: '0.4.0', plugins: [] }, binDirs: [t.binDir], cacheDir: join(t.tmp, 'c') }), (e: unknown) => {
      assert.ok(e instanceof AmbitError);
      assert.equal(e.code, 'AMBIT_CNI_INVALID_CONFLIST');
      assert.match(e.message, /name: is missing; cniVersion: none of 0\.4\.0 is supported.*plugins: must be a non-empty array/);
      return true;
    });
  });

  test('CniRuntime turns a plugin error into AMBIT_CNI_PLUGIN_FAILED with the CNI code, and leaves nothing', async () => {
    const runtime = new CniRuntime({
      conflist: { cniVersion: '1.1.0', name: 'pods', plugins: [{ type: 'ambit-cni', dataDir: t.dataDir, ipam: { type: 'ambit-ipam', subnet: 'not-a-subnet' } }] },
      binDirs: [t.binDir],
      cacheDir: join(t.tmp, 'cache'),
      hostNetns: t.node,
    });
    await assert.rejects(runtime.add({ containerId: 'ctr-2', netns: t.path(pod), ifname: 'eth0' }), (e: unknown) => {
      assert.ok(e instanceof CniPluginError);
      assert.equal(e.code, 'AMBIT_CNI_PLUGIN_FAILED');
      assert.equal(e.plugin, 'ambit-cni');
      assert.equal(e.verb, 'ADD');
      assert.equal(e.cniCode, 7);
      assert.match(e.cniMsg, /ipam\.subnet/);
      return true;
    });
    assert.deepEqual(t.links(t.node), ['lo']);
    assert.deepEqual(t.reservations('pods'), []);
    assert.equal(existsSync(join(t.tmp, 'cache', 'results', 'pods-ctr-2-eth0')), false);
  });

  test('a plugin type missing from binDirs is AMBIT_CNI_PLUGIN_NOT_FOUND', async () => {
    const runtime = new CniRuntime({ conflist: { cniVersion: '1.1.0', name: 'pods', plugins: [{ type: 'nowhere' }] }, binDirs: [t.binDir], cacheDir: join(t.tmp, 'cache'), hostNetns: t.node });
    await assert.rejects(runtime.add({ containerId: 'ctr-3', netns: t.path(pod), ifname: 'eth0' }), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CNI_PLUGIN_NOT_FOUND');
  });
});
