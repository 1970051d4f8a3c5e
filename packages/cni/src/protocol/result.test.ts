import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertResult, parseResult } from './result.ts';
import { cniCodeOf } from './errors.ts';

const v11 = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', mtu: 1400, sandbox: '/run/netns/p', pciID: '0000:00:01.0' }],
  ips: [{ address: '10.0.0.2/32', gateway: '10.0.0.1', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1', mtu: 1400, advmss: 1360, priority: 5, table: 100, scope: 0 }],
  dns: { nameservers: ['10.96.0.10'] },
  custom: { kept: true },
};

const conversions: Array<[string, unknown, string, unknown]> = [
  ['same version is unchanged', v11, '1.1.0', v11],
  ['1.1.0 -> 1.0.0 drops the 1.1 fields', v11, '1.0.0', {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', sandbox: '/run/netns/p' }],
    ips: [{ address: '10.0.0.2/32', gateway: '10.0.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
    dns: { nameservers: ['10.96.0.10'] },
    custom: { kept: true },
  }],
  ['0.4.0 -> 1.0.0 drops ips[].version', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24', interface: 0 }] }, '1.0.0',
    { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', interface: 0 }] }],
  ['1.0.0 -> 1.1.0 only relabels', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] }, '1.1.0', { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }] }],
];
for (const [name, input, to, expected] of conversions) {
  test(`convertResult: ${name}`, () => {
    const before = structuredClone(input);
    assert.deepEqual(convertResult(parseResult(input, 'test'), to), expected);
    assert.deepEqual(input, before, 'the input is not modified');
  });
}

const bad: Array<[string, unknown, number]> = [
  ['not an object', [], 6],
  ['no cniVersion', { ips: [] }, 6],
  ['ips not an array', { cniVersion: '1.0.0', ips: {} }, 6],
  ['ip without address', { cniVersion: '1.0.0', ips: [{ gateway: '1.2.3.4' }] }, 6],
  ['interface name not a string', { cniVersion: '1.0.0', interfaces: [{ name: 3 }] }, 6],
  ['0.2.0 cannot be converted', { cniVersion: '0.2.0' }, 1],
];
for (const [name, input, code] of bad) {
  test(`parseResult rejects ${name} with code ${code}`, () => {
    assert.throws(() => parseResult(input, 'prevResult'), (e: unknown) => cniCodeOf(e) === code);
  });
}

test('convertResult refuses to go below 1.0.0', () => {
  assert.throws(() => convertResult(parseResult(v11, 't'), '0.4.0'), (e: unknown) => cniCodeOf(e) === 1);
});
