import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AmbitError } from '@ambit/core';
import { formatIPv6, parseSockaddr } from './sockaddr.ts';
import { describeErrno, openSocketError } from './errors.ts';
import { describeSocket, socketArgs } from './options.ts';

function sockaddrIn(port: number, octets: number[]): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, 2, true);
  v.setUint16(2, port, false);
  b.set(octets, 4);
  return b;
}
function sockaddrIn6(port: number, bytes: number[]): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, 10, true);
  v.setUint16(2, port, false);
  b.set(bytes, 8);
  return b;
}
const v6 = (text: string): number[] => {
  // test-only expansion of a full 8-group address
  return text.split(':').flatMap((g) => [Number.parseInt(g, 16) >> 8, Number.parseInt(g, 16) & 0xff]);
};

describe('parseSockaddr', () => {
  const rows: Array<{ name: string; raw: Uint8Array; want: ReturnType<typeof parseSockaddr> }> = [
    { name: 'sockaddr_in', raw: sockaddrIn(80, [10, 202, 0, 2]), want: { address: '10.202.0.2', port: 80, family: 4 } },
    { name: 'sockaddr_in high port', raw: sockaddrIn(65535, [127, 0, 0, 1]), want: { address: '127.0.0.1', port: 65535, family: 4 } },
    { name: 'sockaddr_in6', raw: sockaddrIn6(443, v6('fd00:202:0:0:0:0:0:2')), want: { address: 'fd00:202::2', port: 443, family: 6 } },
    { name: 'v4-mapped', raw: sockaddrIn6(81, v6('0:0:0:0:0:ffff:a0a:102')), want: { address: '10.10.1.2', port: 81, family: 4 } },
    { name: 'loopback ::1', raw: sockaddrIn6(1, v6('0:0:0:0:0:0:0:1')), want: { address: '::1', port: 1, family: 6 } },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(parseSockaddr(row.raw), row.want));

  for (const [name, raw] of [
    ['empty', new Uint8Array(0)],
    ['short sockaddr_in', sockaddrIn(1, [1, 2, 3, 4]).subarray(0, 6)],
    ['unknown family', new Uint8Array([1, 0, 0, 0])],
  ] as const) {
    it(`rejects ${name}`, () => assert.throws(() => parseSockaddr(raw), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_NETNS_ORIGINAL_DST_FAILED'));
  }

  it('reads a sockaddr at an offset inside a larger buffer', () => {
    const big = new Uint8Array(40);
    big.set(sockaddrIn(8080, [1, 2, 3, 4]), 8);
    assert.deepEqual(parseSockaddr(big.subarray(8, 24)), { address: '1.2.3.4', port: 8080, family: 4 });
  });
});

describe('formatIPv6 (RFC 5952)', () => {
  for (const [groups, text] of [
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
  ] as const) {
    it(`${groups} -> ${text}`, () => assert.equal(formatIPv6(new Uint8Array(v6(groups))), text));
  }
});

describe('socketArgs and error messages', () => {
  it('maps options to the addon arguments with defaults', () => {
    assert.deepEqual(socketArgs({ netns: '/run/netns/x', type: 'tcp' }), ['/run/netns/x', 4, 0, null, 0, -1, -1, false, false]);
    assert.deepEqual(
      socketArgs({ netns: '/n', family: 6, type: 'udp', bind: { address: '::', port: 53 }, mark: 0xffffffff, transparent: true, reuseAddress: true }),
      ['/n', 6, 1, '::', 53, -1, 0xffffffff, true, true],
    );
  });

  it('lists every problem in one AMBIT_NETNS_INVALID_OPTION', () => {
    assert.throws(
      () => socketArgs({ netns: '', family: 5 as 4, type: 'sctp' as 'tcp', mark: -1, listen: -2 }),
      (e: unknown) =>
        e instanceof AmbitError &&
        e.code === 'AMBIT_NETNS_INVALID_OPTION' &&
        ['netns', 'family', 'type', 'mark', 'listen'].every((f) => e.message.includes(f)),
    );
  });

  it('describes sockets and errnos for messages', () => {
    assert.equal(describeSocket(socketArgs({ netns: '/n', type: 'tcp', bind: { address: '0.0.0.0', port: 15001 }, listen: 1 })), 'tcp listener on 0.0.0.0:15001');
    assert.equal(describeSocket(socketArgs({ netns: '/n', family: 6, type: 'udp', bind: { address: '::', port: 5 }, transparent: true })), 'udp6 socket on [::]:5 (transparent)');
    assert.equal(describeErrno(2), 'ENOENT (no such file or directory)');
  });

  it('turns addon failures into coded errors naming the namespace, the step and the errno', () => {
    const failure = Object.assign(new Error('open: No such file or directory'), { errno: 2, syscall: 'open' });
    const error = openSocketError(failure, '/run/netns/x', 'tcp socket');
    assert.ok(error instanceof AmbitError);
    assert.equal(error.code, 'AMBIT_NETNS_OPEN_FAILED');
    assert.equal(error.message, 'cannot enter network namespace /run/netns/x: open: ENOENT (no such file or directory)');
    const bind = openSocketError(Object.assign(new Error('bind'), { errno: 99, syscall: 'bind' }), '/run/netns/x', 'tcp socket on 10.0.0.9:80');
    assert.ok(bind instanceof AmbitError && bind.code === 'AMBIT_NETNS_SOCKET_FAILED' && bind.hint?.includes('transparent'));
    const bug = new TypeError('bug');
    assert.equal(openSocketError(bug, '/n', 'x'), bug);
  });
});
