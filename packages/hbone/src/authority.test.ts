import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthority, parseAuthority } from './authority.ts';

test('parseAuthority accepts ip:port and [v6]:port', () => {
  assert.deepEqual(parseAuthority('10.0.0.1:8080'), { ok: true, ip: '10.0.0.1', port: 8080, family: 4 });
  assert.deepEqual(parseAuthority('[fd00::1]:443'), { ok: true, ip: 'fd00::1', port: 443, family: 6 });
  assert.deepEqual(parseAuthority('[FD00::A]:1'), { ok: true, ip: 'fd00::a', port: 1, family: 6 });
  assert.deepEqual(parseAuthority('[::ffff:1.2.3.4]:65535'), { ok: true, ip: '::ffff:1.2.3.4', port: 65535, family: 6 });
});

test('parseAuthority refuses everything else with a reason, never throwing', () => {
  const bad: unknown[] = [
    undefined, 42, '', 'example.com:80', '10.0.0.1', '10.0.0.1:', '10.0.0.1:0', '10.0.0.1:65536', '10.0.0.1:080',
    '10.0.0.1:+80', '10.0.0.1:8 0', '10.0.0.256:80', '010.0.0.1:80', 'fd00::1:80', '[fd00::1]80', '[fd00::1]', '[fe80::1%eth0]:80',
    '[10.0.0.1]:80', ' 10.0.0.1:80', '10.0.0.1:80 ', `${'9'.repeat(65)}`, '[::1]:80x', 'user@10.0.0.1:80',
  ];
  for (const input of bad) {
    const result = parseAuthority(input);
    assert.equal(result.ok, false, String(input));
    assert.ok(!result.ok && result.reason.length > 0);
  }
});

test('formatAuthority brackets IPv6 and refuses host names and bad ports', () => {
  assert.equal(formatAuthority('10.1.2.3', 80), '10.1.2.3:80');
  assert.equal(formatAuthority('FD00::1', 15008), '[fd00::1]:15008');
  assert.throws(() => formatAuthority('example.com', 80), { code: 'AMBIT_HBONE_BAD_AUTHORITY' });
  assert.throws(() => formatAuthority('10.1.2.3', 0), { code: 'AMBIT_HBONE_BAD_AUTHORITY' });
  assert.throws(() => formatAuthority('10.1.2.3', 1.5), { code: 'AMBIT_HBONE_BAD_AUTHORITY' });
  for (const [ip, port] of [['10.1.2.3', 1], ['fd00::1', 65535]] as const) {
    const parsed = parseAuthority(formatAuthority(ip, port));
    assert.ok(parsed.ok && parsed.ip === ip && parsed.port === port);
  }
});
