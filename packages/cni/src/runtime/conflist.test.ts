import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginStdin, validateConflist } from './conflist.ts';

const list = { cniVersion: '1.1.0', name: 'pods', plugins: [{ type: 'ambit-cni', ipam: { type: 'ambit-ipam', subnet: '10.0.0.0/24' } }] };

test('conflist: valid, negotiated to the highest common version', () => {
  const r = validateConflist({ ...list, cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0', '2.0.0'] });
  assert.ok(r.ok);
  assert.equal(r.conflist.cniVersion, '1.1.0');
  assert.equal(r.conflist.disableCheck, false);
});

const bad: Array<[string, unknown, RegExp]> = [
  ['not an object', [], /JSON object/],
  ['missing name', { ...list, name: undefined }, /name: is missing/],
  ['bad name', { ...list, name: '../x' }, /name: "\.\.\/x"/],
  ['unsupported version', { ...list, cniVersion: '0.3.1' }, /none of 0\.3\.1 is supported/],
  ['no plugins', { ...list, plugins: [] }, /plugins: must be a non-empty array/],
  ['plugin without type', { ...list, plugins: [{}] }, /plugins\[0\]\.type: is missing/],
  ['bad capabilities', { ...list, plugins: [{ type: 'x', capabilities: { portMappings: 'yes' } }] }, /capabilities/],
  ['disableCheck not a bool', { ...list, disableCheck: 'true' }, /disableCheck/],
];
for (const [name, raw, message] of bad) {
  test(`conflist rejects: ${name}`, () => {
    const r = validateConflist(raw);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '), message);
  });
}

test('pluginStdin inserts name/cniVersion/prevResult, builds runtimeConfig from capabilities and drops capabilities', () => {
  const plugin = { type: 'portmap', capabilities: { portMappings: true, bandwidth: false }, snat: true };
  const prevResult = { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/32' }] };
  const out = pluginStdin(plugin, { name: 'pods', cniVersion: '1.1.0', prevResult, capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }], bandwidth: { ingressRate: 1 } } });
  assert.deepEqual(out, {
    type: 'portmap',
    snat: true,
    name: 'pods',
    cniVersion: '1.1.0',
    runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] },
    prevResult,
  });
});

test('pluginStdin for GC sends both attachment keys', () => {
  const out = pluginStdin({ type: 'x' }, { name: 'n', cniVersion: '1.1.0', validAttachments: [{ containerID: 'c', ifname: 'eth0' }] });
  assert.deepEqual(out['cni.dev/valid-attachments'], [{ containerID: 'c', ifname: 'eth0' }]);
  assert.deepEqual(out['cni.dev/attachments'], [{ containerID: 'c', ifname: 'eth0' }]);
});
