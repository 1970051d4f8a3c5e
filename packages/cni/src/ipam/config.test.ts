import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateIpamConfig } from './config.ts';
import { formatIpv4 } from '../protocol/ipv4.ts';

const conf = (ipam: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ cniVersion: '1.1.0', name: 'pods', type: 'ambit-cni', ...extra, ipam: { type: 'ambit-ipam', ...ipam } });

test('defaults: gateway is the first host, the range is every host address, route default via gateway', () => {
  const r = validateIpamConfig(conf({ subnet: '10.244.1.0/24' }), 'ADD');
  assert.ok(r.ok);
  const { range } = r.config;
  assert.deepEqual([range.network, range.gateway, range.start, range.end, range.broadcast].map(formatIpv4), ['10.244.1.0', '10.244.1.1', '10.244.1.1', '10.244.1.254', '10.244.1.255']);
  assert.deepEqual(r.config.routes, [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }]);
  assert.equal(r.config.dataDir, '/var/lib/ambit/cni');
});

test('explicit range, gateway, routes and dataDir', () => {
  const r = validateIpamConfig(conf({ subnet: '10.1.0.0/16', rangeStart: '10.1.2.10', rangeEnd: '10.1.2.20', gateway: '10.1.255.254', routes: [{ dst: '10.96.0.0/16' }], dataDir: '/tmp/x' }), 'ADD');
  assert.ok(r.ok);
  assert.deepEqual([r.config.range.start, r.config.range.end, r.config.range.gateway].map(formatIpv4), ['10.1.2.10', '10.1.2.20', '10.1.255.254']);
  assert.deepEqual(r.config.routes, [{ dst: '10.96.0.0/16', gw: '10.1.255.254' }]);
  assert.equal(r.config.dataDir, '/tmp/x');
});

test('the top-level dataDir is used when ipam.dataDir is absent', () => {
  const r = validateIpamConfig(conf({ subnet: '10.1.0.0/24' }, { dataDir: '/srv/cni' }), 'ADD');
  assert.ok(r.ok);
  assert.equal(r.config.dataDir, '/srv/cni');
});

const bad: Array<[string, Record<string, unknown>, number, RegExp]> = [
  ['missing subnet', {}, 7, /ipam\.subnet: is missing/],
  ['garbage subnet', { subnet: 'banana' }, 7, /"banana" is not an IPv4 CIDR/],
  ['prefix 33', { subnet: '10.0.0.0/33' }, 7, /not an IPv4 CIDR/],
  ['octet 256', { subnet: '10.0.256.0/24' }, 7, /not an IPv4 CIDR/],
  ['host bits set', { subnet: '10.0.0.5/24' }, 7, /host bits set; for a \/24 the network address is 10\.0\.0\.0/],
  ['too small', { subnet: '10.0.0.0/31' }, 7, /prefix must be from \/8 to \/30/],
  ['IPv6', { subnet: 'fd00::/64' }, 2, /IPv6 is not supported/],
  ['rangeStart outside', { subnet: '10.0.0.0/24', rangeStart: '10.0.1.5' }, 7, /rangeStart: "10\.0\.1\.5" is not a host address/],
  ['rangeEnd is broadcast', { subnet: '10.0.0.0/24', rangeEnd: '10.0.0.255' }, 7, /rangeEnd/],
  ['start after end', { subnet: '10.0.0.0/24', rangeStart: '10.0.0.20', rangeEnd: '10.0.0.10' }, 7, /after rangeEnd/],
  ['gateway is the network address', { subnet: '10.0.0.0/24', gateway: '10.0.0.0' }, 7, /gateway/],
  ['route without dst', { subnet: '10.0.0.0/24', routes: [{ gw: '10.0.0.1' }] }, 7, /routes\[0\]/],
];
for (const [name, ipam, code, message] of bad) {
  test(`ipam config: ${name} -> code ${code}`, () => {
    const r = validateIpamConfig(conf(ipam), 'ADD');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.problems[0]?.cniCode, code);
    assert.match(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '), message);
  });
}

test('DEL and GC do not need a valid range (release by attachment)', () => {
  assert.ok(validateIpamConfig(conf({ subnet: 'banana' }), 'DEL').ok);
  assert.ok(validateIpamConfig(conf({}, { 'cni.dev/valid-attachments': [] }), 'GC').ok);
});
