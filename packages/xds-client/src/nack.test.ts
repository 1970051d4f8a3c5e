import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNack, cleanReason, encodeResourceInfo, MAX_NACK_NAMES, MAX_REASON_LENGTH, RESOURCE_INFO_TYPE_URL } from './nack.ts';

const WDS = 'type.googleapis.com/istio.workload.Address';

test('ResourceInfo encodes resource_type = 1, resource_name = 2, description = 4 (hand-written bytes)', () => {
  const bytes = encodeResourceInfo({ resourceType: 'T', resourceName: 'ab', description: 'why' });
  // 0x0a = field 1 LEN, 0x12 = field 2 LEN, 0x22 = field 4 LEN
  assert.equal(bytes.toString('hex'), '0a0154' + '12026162' + '2203776879');
});

test('ResourceInfo: empty fields are omitted and long strings get multi-byte lengths', () => {
  assert.equal(encodeResourceInfo({ resourceType: '', resourceName: 'n', description: '' }).toString('hex'), '12016e');
  const long = 'x'.repeat(300);
  const bytes = encodeResourceInfo({ resourceType: '', resourceName: long, description: '' });
  assert.equal(bytes.subarray(0, 3).toString('hex'), '12ac02'); // 300 = 0xac 0x02
  assert.equal(bytes.length, 3 + 300);
});

test('buildNack: INVALID_ARGUMENT, "<name>: <reason>" joined by "; ", one ResourceInfo Any per resource', () => {
  const nack = buildNack(WDS, [
    { name: 'default/a', reason: 'address has 5 bytes' },
    { name: 'default/b', reason: 'no uid' },
  ]);
  assert.equal(nack.code, 3);
  assert.equal(nack.message, 'default/a: address has 5 bytes; default/b: no uid');
  assert.deepEqual(
    nack.details.map((d) => d.type_url),
    [RESOURCE_INFO_TYPE_URL, RESOURCE_INFO_TYPE_URL],
  );
  assert.deepEqual(nack.details[0]?.value, encodeResourceInfo({ resourceType: WDS, resourceName: 'default/a', description: 'address has 5 bytes' }));
  assert.deepEqual(nack.details[1]?.value, encodeResourceInfo({ resourceType: WDS, resourceName: 'default/b', description: 'no uid' }));
});

test('buildNack: a problem without a resource name is in the message only', () => {
  const nack = buildNack(WDS, [{ name: 'resources[2]', reason: 'empty name', anonymous: true }, { name: 'x', reason: 'bad' }]);
  assert.equal(nack.message, 'resources[2]: empty name; x: bad');
  assert.equal(nack.details.length, 1);
});

test('buildNack: bounded: at most MAX_NACK_NAMES named, the rest counted; reasons one line and truncated', () => {
  const many = Array.from({ length: MAX_NACK_NAMES + 5 }, (_, i) => ({ name: `n${i}`, reason: 'line one\n  line two' }));
  const nack = buildNack(WDS, many);
  assert.equal(nack.details.length, MAX_NACK_NAMES);
  assert.match(nack.message, /^n0: line one line two; n1: /);
  assert.match(nack.message, /; and 5 more rejected$/);
  assert.equal(cleanReason('y'.repeat(5000)).length, MAX_REASON_LENGTH);
  assert.equal(cleanReason('  \n '), 'rejected');
});
