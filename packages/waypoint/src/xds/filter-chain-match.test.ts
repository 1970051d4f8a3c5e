import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainMatch, selectChain } from './filter-chain-match.ts';

const range = (address_prefix: string, len: number) => ({ address_prefix, prefix_len: { value: len } });

// Chains as a waypoint's Listener has them (ADR 0007) plus a few Envoy corner cases.
const chains = [
  chainMatch(80, [range('10.96.0.10', 32)], 'c0'), // reviews:80
  chainMatch(80, [range('10.96.0.11', 32)], 'c1'), // ratings:80
  chainMatch(9080, [range('10.96.0.0', 16)], 'c2'), // a wide range on 9080
  chainMatch(9080, [range('10.96.0.12', 32)], 'c3'), // the narrower one wins
  chainMatch(undefined, [], 'c4'), // any port, any address
  chainMatch(7000, [], 'c5'), // port 7000, any address
];

const cases: Array<[string, string, number, number]> = [
  ['exact VIP and port', '10.96.0.10', 80, 0],
  ['the other VIP on the same port', '10.96.0.11', 80, 1],
  ['longest prefix wins', '10.96.0.12', 9080, 3],
  ['inside the wide range only', '10.96.5.5', 9080, 2],
  ['a port named by chains but no address matches: no fallback to port-less chains', '10.1.1.1', 80, -1],
  ['a port nobody names falls to the port-less chain', '10.1.1.1', 8443, 4],
  ['a chain with no prefix_ranges matches any address', '192.168.1.1', 7000, 5],
  ['not an IP', 'reviews', 80, -1],
];

for (const [name, ip, port, expected] of cases) {
  test(`selectChain: ${name}`, () => assert.equal(selectChain(chains, ip, port), expected));
}

test('chainMatch names the bad range', () => {
  assert.throws(() => chainMatch(80, [range('10.0.0.300', 32)], 'filter_chains[2].filter_chain_match'), /filter_chains\[2\]\.filter_chain_match\.prefix_ranges\[0\]\.address_prefix/);
  assert.throws(() => chainMatch(80, [range('10.0.0.1', 33)], 'x'), /prefix_len 33 is out of range/);
});
