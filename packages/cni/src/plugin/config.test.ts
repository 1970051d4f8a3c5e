import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePluginConfig } from './config.ts';
import type { Verb } from '../protocol/env.ts';

const base = { cniVersion: '1.1.0', name: 'pods', type: 'ambit-cni', ipam: { type: 'ambit-ipam', subnet: '10.244.1.0/24' } };

test('a minimal primary config is valid, with defaults', () => {
  const r = validatePluginConfig(base, 'ADD');
  assert.ok(r.ok);
  assert.equal(r.config.dataDir, '/var/lib/ambit/cni');
  assert.deepEqual(r.config.ipam, { type: 'ambit-ipam' });
});

test('runtime-owned and plugin-specific keys are tolerated', () => {
  assert.ok(validatePluginConfig({ ...base, runtimeConfig: { portMappings: [] }, args: { cni: {} }, somethingElse: 1 }, 'ADD').ok);
});

const cases: Array<[string, unknown, Verb | undefined, number, RegExp]> = [
  ['not an object', 'x', 'ADD', 6, /JSON object/],
  ['missing cniVersion', { ...base, cniVersion: undefined }, 'ADD', 1, /cniVersion: is missing/],
  ['wrong cniVersion', { ...base, cniVersion: '0.4.0' }, 'ADD', 1, /"0\.4\.0" is not supported; supported versions: 1\.0\.0, 1\.1\.0/],
  ['STATUS with 1.0.0', { ...base, cniVersion: '1.0.0' }, 'STATUS', 1, /does not allow STATUS/],
  ['GC with 1.0.0', { ...base, cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] }, 'GC', 1, /does not allow GC/],
  ['missing name', { ...base, name: undefined }, 'ADD', 7, /name: is missing/],
  ['bad name', { ...base, name: 'a/b' }, 'ADD', 7, /name: "a\/b"/],
  ['ipam without type', { ...base, ipam: {} }, 'ADD', 7, /ipam\.type: is missing/],
  ['ipam type with a path', { ...base, ipam: { type: '../evil' } }, 'ADD', 2, /ipam\.type: "\.\.\/evil"/],
  ['ipMasq true', { ...base, ipMasq: true }, 'ADD', 2, /ipMasq=true is not supported/],
  ['mtu out of range', { ...base, mtu: 20 }, 'ADD', 7, /mtu: 20 must be an integer/],
  ['relative dataDir', { ...base, dataDir: 'var/lib' }, 'ADD', 7, /dataDir: "var\/lib" must be an absolute path/],
  ['bad dns', { ...base, dns: { nameservers: 'x' } }, 'ADD', 7, /dns\.nameservers/],
  ['bad prevResult', { ...base, ipam: undefined, prevResult: { cniVersion: '1.0.0', ips: 3 } }, 'ADD', 6, /prevResult/],
  ['chained with ipam', { ...base, prevResult: { cniVersion: '1.1.0' } }, 'ADD', 2, /not used when ambit-cni is chained/],
  ['GC without attachments', base, 'GC', 7, /valid-attachments: is missing/],
  ['GC with malformed attachments', { ...base, 'cni.dev/valid-attachments': [{ containerID: 1 }] }, 'GC', 7, /valid-attachments\[0\]/],
  ['version problem reported before others', { ...base, cniVersion: '9.9.9', name: undefined }, 'ADD', 1, /cniVersion.*; name/],
];
for (const [name, raw, verb, code, message] of cases) {
  test(`plugin config: ${name} -> code ${code}`, () => {
    const r = validatePluginConfig(raw, verb);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.problems[0]?.cniCode, code);
    assert.match(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '), message);
  });
}

test('GC accepts the older cni.dev/attachments key', () => {
  const r = validatePluginConfig({ ...base, 'cni.dev/attachments': [{ containerID: 'c1', ifname: 'eth0' }] }, 'GC');
  assert.ok(r.ok);
  assert.deepEqual(r.config.validAttachments, [{ containerID: 'c1', ifname: 'eth0' }]);
});
