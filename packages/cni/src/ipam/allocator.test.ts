import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacity, isAllocatable, nextFreeAddress } from './allocator.ts';
import type { IpamRange } from './config.ts';
import { formatIpv4, parseIpv4 } from '../protocol/ipv4.ts';

const ip = (s: string): number => parseIpv4(s) ?? Number.NaN;
/** 10.0.0.0/29: network .0, gateway .1, hosts .2-.6, broadcast .7 */
const small: IpamRange = { network: ip('10.0.0.0'), prefix: 29, broadcast: ip('10.0.0.7'), start: ip('10.0.0.1'), end: ip('10.0.0.6'), gateway: ip('10.0.0.1') };

function next(range: IpamRange, reserved: string[], last?: string): string | undefined {
  const set = new Set(reserved.map(ip));
  const chosen = nextFreeAddress(range, (c) => set.has(c), last === undefined ? undefined : ip(last));
  return chosen === undefined ? undefined : formatIpv4(chosen);
}

const cases: Array<[string, IpamRange, string[], string | undefined, string | undefined]> = [
  ['first allocation skips the gateway', small, [], undefined, '10.0.0.2'],
  ['continues after the last reserved', small, ['10.0.0.2'], '10.0.0.2', '10.0.0.3'],
  ['round robin: a just-released address is not reused', small, [], '10.0.0.3', '10.0.0.4'],
  ['wraps to the start after the end', small, ['10.0.0.3'], '10.0.0.6', '10.0.0.2'],
  ['skips reserved addresses', small, ['10.0.0.4', '10.0.0.5'], '10.0.0.3', '10.0.0.6'],
  ['last reserved outside the range restarts at the start', small, [], '192.168.0.1', '10.0.0.2'],
  ['exhausted', small, ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'], '10.0.0.4', undefined],
  ['sub-range honoured', { ...small, start: ip('10.0.0.4'), end: ip('10.0.0.5') }, ['10.0.0.4'], undefined, '10.0.0.5'],
  ['gateway inside a sub-range is skipped', { ...small, start: ip('10.0.0.3'), end: ip('10.0.0.4'), gateway: ip('10.0.0.3') }, [], undefined, '10.0.0.4'],
];
for (const [name, range, reserved, last, expected] of cases) {
  test(`allocator: ${name}`, () => {
    assert.equal(next(range, reserved, last), expected);
  });
}

test('network, broadcast and gateway are never allocatable', () => {
  const wide: IpamRange = { ...small, start: small.network, end: small.broadcast };
  for (const special of ['10.0.0.0', '10.0.0.1', '10.0.0.7']) assert.equal(isAllocatable(wide, ip(special)), false, special);
  const seen = new Set<string>();
  let last: string | undefined;
  for (;;) {
    const n = next(wide, [...seen], last);
    if (n === undefined) break;
    seen.add(n);
    last = n;
  }
  assert.deepEqual([...seen].sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  assert.equal(capacity(wide), 5);
  assert.equal(capacity(small), 5);
});
