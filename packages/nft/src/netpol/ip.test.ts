import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp } from './ip.ts';

test('IPv6 text round trip (RFC 5952)', () => {
  for (const [input, out] of [['fd00::1', 'fd00::1'], ['::', '::'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], ['::ffff:10.0.0.1', '::ffff:a00:1']] as const) {
    const ip = parseIp(input);
    assert.ok(ip);
    assert.equal(formatIp(ip.family, ip.value), out);
  }
});

test('CIDR: host bits cleared, containment per family', () => {
  const c = parseCidr('192.168.1.77/24');
  assert.ok(c);
  assert.equal(formatCidr(c), '192.168.1.0/24');
  assert.ok(cidrContains(c, parseIp('192.168.1.200')!));
  assert.ok(!cidrContains(c, parseIp('192.168.2.1')!));
  assert.ok(!cidrContains(c, parseIp('::1')!));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.equal(formatCidr(parseCidr('fd00::1/16')!), 'fd00::/16');
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')!), '0.0.0.0/0');
});
