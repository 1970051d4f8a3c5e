// CniRuntime follows libcni: order of calls, prevResult chaining and caching, config injection,
// failure handling. Uses fake plugins that log their calls (no netns needed).
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { CniPluginError, CniRuntime } from '../src/index.ts';
import { NODE } from './helpers.ts';

interface Call {
  type: string;
  verb: string;
  env: Record<string, string>;
  config: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'ambit-cni-runtime-'));
const bin = join(dir, 'bin');
const log = join(dir, 'calls.log');
mkdirSync(bin);
for (const type of ['fake-a', 'fake-b']) {
  const file = join(bin, type);
  writeFileSync(file, `#!/bin/sh\nexec "${NODE}" "${join(import.meta.dirname, 'fixtures', 'fake-plugin.ts')}" "${type}"\n`);
  chmodSync(file, 0o755);
}
process.env['FAKE_LOG'] = log;
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => writeFileSync(log, ''));

function calls(): Call[] {
  return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
}

function runtime(extra: Record<string, unknown> = {}, a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): CniRuntime {
  return new CniRuntime({
    conflist: { cniVersion: '1.1.0', name: 'net', plugins: [{ type: 'fake-a', capabilities: { portMappings: true, bandwidth: false }, ...a }, { type: 'fake-b', ...b }], ...extra },
    binDirs: [join(dir, 'empty'), bin],
    cacheDir: join(dir, 'cache'),
  });
}

const c = { containerId: 'ctr1', netns: '/run/netns/x', ifname: 'eth0', args: { K8S_POD_NAME: 'p' }, capabilityArgs: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }], bandwidth: {} } };

test('ADD runs plugins in order, chains prevResult, injects name/cniVersion/runtimeConfig, caches the result', async () => {
  const result = await runtime().add(c);
  assert.deepEqual(result.dns, { search: ['fake-a', 'fake-b'] });
  const [first, second, ...rest] = calls();
  assert.equal(rest.length, 0);
  assert.deepEqual([first?.type, second?.type], ['fake-a', 'fake-b']);
  assert.deepEqual(first?.config, { type: 'fake-a', name: 'net', cniVersion: '1.1.0', runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] } });
  assert.deepEqual((second?.config['prevResult'] as { dns: unknown }).dns, { search: ['fake-a'] });
  assert.deepEqual(first?.env, {
    CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr1', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p', CNI_PATH: `${join(dir, 'empty')}:${bin}`,
  });
  assert.ok(existsSync(join(dir, 'cache', 'results', 'net-ctr1-eth0')));
});

test('CHECK runs in order with the cached result; disableCheck skips it', async () => {
  await runtime().check(c);
  const list = calls();
  assert.deepEqual(list.map((x) => `${x.verb} ${x.type}`), ['CHECK fake-a', 'CHECK fake-b']);
  assert.deepEqual((list[0]?.config['prevResult'] as { dns: unknown }).dns, { search: ['fake-a', 'fake-b'] });
  writeFileSync(log, '');
  await runtime({ disableCheck: true }).check(c);
  assert.deepEqual(calls(), []);
});

test('DEL runs in reverse order with the cached result, then drops the cache; a missing cache is fine', async () => {
  await runtime().del(c);
  const list = calls();
  assert.deepEqual(list.map((x) => `${x.verb} ${x.type}`), ['DEL fake-b', 'DEL fake-a']);
  assert.deepEqual((list[0]?.config['prevResult'] as { dns: unknown }).dns, { search: ['fake-a', 'fake-b'] });
  assert.equal(existsSync(join(dir, 'cache', 'results', 'net-ctr1-eth0')), false);
  writeFileSync(log, '');
  await runtime().del({ containerId: 'ctr1', ifname: 'eth0' });
  assert.deepEqual(calls().map((x) => [x.verb, x.type, x.config['prevResult']]), [['DEL', 'fake-b', undefined], ['DEL', 'fake-a', undefined]]);
});

test('ADD stops at the first error, DELs what ran in reverse, and reports the plugin code', async () => {
  await assert.rejects(runtime({}, {}, { failOn: 'ADD' }).add(c), (e: unknown) => {
    assert.ok(e instanceof CniPluginError);
    assert.deepEqual([e.code, e.plugin, e.verb, e.cniCode, e.cniMsg, e.cniDetails], ['AMBIT_CNI_PLUGIN_FAILED', 'fake-b', 'ADD', 11, 'fake-b failed on purpose', 'fake']);
    return true;
  });
  assert.deepEqual(calls().map((x) => `${x.verb} ${x.type}`), ['ADD fake-a', 'ADD fake-b', 'DEL fake-b', 'DEL fake-a']);
  assert.equal(existsSync(join(dir, 'cache', 'results', 'net-ctr1-eth0')), false);
});

test('STATUS asks every plugin in order; a 1.0.0 list asks none', async () => {
  await runtime().status();
  assert.deepEqual(calls().map((x) => `${x.verb} ${x.type} ${String(x.config['name'])}`), ['STATUS fake-a net', 'STATUS fake-b net']);
  writeFileSync(log, '');
  await runtime({ cniVersion: '1.0.0' }).status();
  assert.deepEqual(calls(), []);
});

test('GC DELs stale cached attachments, GCs every plugin with both keys, continues on error and reports all', async () => {
  await runtime().add(c);
  await runtime().add({ ...c, containerId: 'ctr2' });
  writeFileSync(log, '');
  await assert.rejects(runtime({}, { failOn: 'GC' }).gc([{ containerId: 'ctr2', ifname: 'eth0' }]), (e: unknown) => {
    assert.ok(e instanceof AmbitError);
    assert.equal(e.code, 'AMBIT_CNI_GC_FAILED');
    assert.match(e.message, /1 error\(s\): CNI plugin fake-a GC failed with code 11/);
    return true;
  });
  const list = calls();
  assert.deepEqual(list.map((x) => `${x.verb} ${x.type} ${x.env['CNI_CONTAINERID'] ?? ''}`), ['DEL fake-b ctr1', 'DEL fake-a ctr1', 'GC fake-a ', 'GC fake-b ']);
  const gcConfig = list[3]?.config ?? {};
  assert.deepEqual(gcConfig['cni.dev/valid-attachments'], [{ containerID: 'ctr2', ifname: 'eth0' }]);
  assert.deepEqual(gcConfig['cni.dev/attachments'], [{ containerID: 'ctr2', ifname: 'eth0' }]);
  assert.ok(existsSync(join(dir, 'cache', 'results', 'net-ctr2-eth0')));
  assert.equal(existsSync(join(dir, 'cache', 'results', 'net-ctr1-eth0')), false);
});

test('disableGC skips GC entirely', async () => {
  await runtime({ disableGC: true }).gc([]);
  assert.deepEqual(calls(), []);
});
