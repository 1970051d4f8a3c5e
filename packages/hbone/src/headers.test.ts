import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBaggage, buildForwarded, checkHeaderValue, headerText, newTraceparent, parseBaggage, parseForwarded, parseTraceparent } from './headers.ts';

test('buildBaggage writes ztunnel\'s keys in order, leaves out empty ones and escapes values', () => {
  assert.equal(
    buildBaggage({ clusterName: 'Kubernetes', namespace: 'default', workloadType: 'deployment', workloadName: 'web', serviceName: 'web', serviceVersion: 'v1', region: 'eu', zone: 'eu-1a' }),
    'k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=web,service.name=web,service.version=v1,cloud.region=eu,cloud.availability_zone=eu-1a',
  );
  assert.equal(buildBaggage({ namespace: 'ns', workloadType: 'pod', workloadName: 'p-1' }), 'k8s.namespace.name=ns,k8s.pod.name=p-1');
  assert.equal(buildBaggage({ serviceName: 'a b,c;d"é%' }), 'service.name=a%20b%2Cc%3Bd%22%C3%A9%25');
  assert.equal(buildBaggage({}), '');
});

test('parseBaggage round-trips and skips malformed members', () => {
  const text = buildBaggage({ namespace: 'ns', workloadName: 'web', serviceName: 'a b,c' });
  assert.deepEqual({ ...parseBaggage(text) }, { 'k8s.namespace.name': 'ns', 'k8s.deployment.name': 'web', 'service.name': 'a b,c' });
  assert.deepEqual({ ...parseBaggage('a=1;prop=x, =2,b,c=%E0%A4%A,d=4') }, { a: '1', d: '4' });
  assert.deepEqual({ ...parseBaggage(undefined) }, {});
  assert.equal(Object.keys(parseBaggage(Array.from({ length: 200 }, (_, i) => `k${i}=v`).join(','))).length, 64);
  assert.equal(parseBaggage('__proto__=x').__proto__, 'x');
});

test('buildForwarded and parseForwarded (RFC 7239)', () => {
  assert.equal(buildForwarded({ forIp: '10.0.0.1', forPort: 5555 }), 'for="10.0.0.1:5555"');
  assert.equal(buildForwarded({ forIp: 'fd00::1', forPort: 1, host: 'web.default.svc.cluster.local' }), 'for="[fd00::1]:1";host=web.default.svc.cluster.local');
  assert.deepEqual(parseForwarded('for="10.0.0.1:5555";host=web.default.svc.cluster.local').map((e) => ({ ...e })), [{ for: '10.0.0.1:5555', host: 'web.default.svc.cluster.local' }]);
  assert.deepEqual(parseForwarded('For=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"').map((e) => ({ ...e })), [
    { for: '192.0.2.60', proto: 'http', by: '203.0.113.43' },
    { for: '[2001:db8:cafe::17]:4711' },
  ]);
  assert.deepEqual(parseForwarded('for="a\\"b"').map((e) => ({ ...e })), [{ for: 'a"b' }]);
});

test('parseForwarded keeps what parsed before a malformed element and never throws', () => {
  assert.deepEqual(parseForwarded('for=1.2.3.4, garbage').map((e) => ({ ...e })), [{ for: '1.2.3.4' }]);
  for (const input of ['', 'for="unterminated', '=x', 'for', ';;;', ',,,', 'a=b;;c=d', undefined, 'x'.repeat(10_000)]) {
    assert.ok(Array.isArray(parseForwarded(input)));
  }
  assert.equal(parseForwarded(Array.from({ length: 50 }, () => 'for=a').join(',')).length, 16);
});

test('newTraceparent is W3C version 00, random, never all-zero', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const t = newTraceparent();
    assert.match(t, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const parsed = parseTraceparent(t);
    assert.ok(parsed);
    assert.equal(parsed.flags, '00');
    seen.add(t);
  }
  assert.equal(seen.size, 2000);
});

test('parseTraceparent refuses malformed values', () => {
  for (const bad of ['', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-00000000000000000000000000000000-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra']) {
    assert.equal(parseTraceparent(bad), undefined, bad);
  }
  assert.deepEqual(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future'), { version: '01', traceId: '0af7651916cd43dd8448eb211c80319c', parentId: 'b7ad6b7169203331', flags: '01' });
});

test('header values: the client refuses control characters, the server drops them', () => {
  assert.equal(checkHeaderValue('baggage', 'a=b'), 'a=b');
  assert.throws(() => checkHeaderValue('baggage', 'a=b\r\nx: y'), { code: 'AMBIT_HBONE_BAD_HEADER' });
  assert.throws(() => checkHeaderValue('baggage', 'x'.repeat(9000)), { code: 'AMBIT_HBONE_BAD_HEADER' });
  assert.throws(() => checkHeaderValue('baggage', 5), { code: 'AMBIT_HBONE_BAD_HEADER' });
  assert.equal(headerText('ok'), 'ok');
  assert.equal(headerText(['a', 'b']), 'a, b');
  assert.equal(headerText('bad\u0000'), undefined);
  assert.equal(headerText(undefined), undefined);
});
