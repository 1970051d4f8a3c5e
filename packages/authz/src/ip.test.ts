// Address parsing and CIDR containment. Expected words are computed by hand from the dotted/hex text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, parseCidr, parseIpInto } from './ip.ts';

test('parseIpInto: valid addresses, words big-endian, IPv4-mapped canonicalized to IPv4', () => {
  const rows: Array<[string, 4 | 6, number[]]> = [
    ['10.0.0.1', 4, [0x0a000001]],
    ['0.0.0.0', 4, [0]],
    ['255.255.255.255', 4, [0xffffffff]],
    ['192.168.1.100', 4, [0xc0a80164]],
    ['::', 6, [0, 0, 0, 0]],
    ['::1', 6, [0, 0, 0, 1]],
    ['1::', 6, [0x00010000, 0, 0, 0]],
    ['2001:db8::1', 6, [0x20010db8, 0, 0, 1]],
    ['2001:DB8:0:0:0:0:0:1', 6, [0x20010db8, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', 6, [0x00010002, 0x00030004, 0x00050006, 0x00070008]],
    ['1:2:3:4:5:6:7::', 6, [0x00010002, 0x00030004, 0x00050006, 0x00070000]],
    ['fe80::1%eth0', 6, [0xfe800000, 0, 0, 1]],
    ['64:ff9b::1.2.3.4', 6, [0x0064ff9b, 0, 0, 0x01020304]],
    ['::ffff:10.0.0.1', 4, [0x0a000001]],
    ['::ffff:a00:1', 4, [0x0a000001]],
    ['0:0:0:0:0:ffff:c0a8:164', 4, [0xc0a80164]],
    ['::fffe:10.0.0.1', 6, [0, 0, 0xfffe, 0x0a000001]],
  ];
  for (const [text, family, words] of rows) {
    const out = new Uint32Array(4);
    assert.equal(parseIpInto(text, out), family, text);
    assert.deepEqual([...out.subarray(0, words.length)], words, text);
  }
});

test('parseIpInto: malformed text is family 0', () => {
  const bad = [
    '', ' 10.0.0.1', '10.0.0.1 ', '256.0.0.1', '01.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.4/8', 'localhost',
    ':::', '1:::2', '1::2::3', ':1', '1:', '12345::', 'g::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '1:2:3:4:5:6:7::8',
    '::1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', '%eth0', '::%',
  ];
  for (const text of bad) assert.equal(parseIpInto(text, new Uint32Array(4)), 0, JSON.stringify(text));
});

test('parseCidr: host bits cleared, canonical text, IPv4-mapped blocks become IPv4', () => {
  const rows: Array<[string, string, 4 | 6, number[], number[]]> = [
    ['10.0.0.0/8', '10.0.0.0/8', 4, [0x0a000000], [0xff000000]],
    ['10.1.2.3/8', '10.0.0.0/8', 4, [0x0a000000], [0xff000000]],
    ['0.0.0.0/0', '0.0.0.0/0', 4, [0], [0]],
    ['1.2.3.4', '1.2.3.4/32', 4, [0x01020304], [0xffffffff]],
    ['10.0.0.7/31', '10.0.0.6/31', 4, [0x0a000006], [0xfffffffe]],
    ['2001:db8::/32', '2001:db8::/32', 6, [0x20010db8, 0, 0, 0], [0xffffffff, 0, 0, 0]],
    ['2001:db8:0:0:1::/80', '2001:db8:0:0:1::/80', 6, [0x20010db8, 0, 0x00010000, 0], [0xffffffff, 0xffffffff, 0xffff0000, 0]],
    ['::/0', '::/0', 6, [0, 0, 0, 0], [0, 0, 0, 0]],
    ['::1', '::1/128', 6, [0, 0, 0, 1], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]],
    ['2001:db8::ff/121', '2001:db8::80/121', 6, [0x20010db8, 0, 0, 0x80], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffff80]],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 4, [0x0a000000], [0xff000000]],
    ['::ffff:0:0/96', '0.0.0.0/0', 4, [0], [0]],
    ['::ffff:10.0.0.1', '10.0.0.1/32', 4, [0x0a000001], [0xffffffff]],
    ['::ffff:0:0/95', '::fffe:0:0/95', 6, [0, 0, 0xfffe, 0], [0xffffffff, 0xffffffff, 0xfffffffe, 0]],
  ];
  for (const [text, canonical, family, words, masks] of rows) {
    const c = parseCidr(text);
    assert.ok(c, text);
    assert.equal(c.text, canonical, text);
    assert.equal(c.family, family, text);
    assert.deepEqual([...c.words], words, text);
    assert.deepEqual([...c.masks], masks, text);
  }
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '::/129', 'fe80::1%eth0/64', '10.0.0/8', '/8', 'x/8']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

test('cidrContains: boundaries, /0, /32, /128, families never cross', () => {
  const rows: Array<[string, string, boolean]> = [
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['0.0.0.0/0', '0.0.0.0', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '::1', false],
    ['0.0.0.0/0', '::ffff:1.2.3.4', true],
    ['1.2.3.4/32', '1.2.3.4', true],
    ['1.2.3.4/32', '1.2.3.5', false],
    ['10.0.0.6/31', '10.0.0.7', true],
    ['10.0.0.6/31', '10.0.0.8', false],
    ['128.0.0.0/1', '200.0.0.1', true],
    ['128.0.0.0/1', '127.255.255.255', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.0.0.1', false],
    ['::/0', '::ffff:10.0.0.1', false],
    ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8::ff/121', '2001:db8::80', true],
    ['2001:db8::ff/121', '2001:db8::7f', false],
    ['::1/128', '::1', true],
    ['::1/128', '::2', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::ffff:10.0.0.0/104', '10.9.8.7', true],
    ['::ffff:10.0.0.0/104', '::ffff:10.9.8.7', true],
    ['10.0.0.0/8', '::ffff:10.9.8.7', true],
    ['10.0.0.0/8', '::ffff:11.0.0.1', false],
  ];
  for (const [block, address, expected] of rows) {
    const words = new Uint32Array(4);
    const family = parseIpInto(address, words);
    assert.notEqual(family, 0, address);
    assert.equal(cidrContains(parseCidr(block)!, family as 4 | 6, words), expected, `${block} contains ${address}`);
  }
});
