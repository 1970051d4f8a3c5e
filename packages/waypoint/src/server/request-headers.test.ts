import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureTracing, forwardable, headersFromRaw, isGrpc, newTraceparent, validTraceparent } from './request-headers.ts';

test('headersFromRaw lower-cases names, keeps order and repeats, drops pseudo-headers', () => {
  assert.deepEqual(headersFromRaw([':authority', 'a', 'X-Foo', '1', 'x-foo', '2', 'Host', 'h']), [
    ['x-foo', '1'],
    ['x-foo', '2'],
    ['host', 'h'],
  ]);
});

test('forwardable drops hop-by-hop headers and those Connection names, keeps te: trailers', () => {
  const input: Array<[string, string]> = [
    ['connection', 'keep-alive, X-Secret'],
    ['keep-alive', 'timeout=5'],
    ['x-secret', 's'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'websocket'],
    ['host', 'reviews'],
    ['te', 'trailers'],
    ['expect', '100-continue'],
    ['accept', '*/*'],
  ];
  assert.deepEqual(forwardable(input), [
    ['te', 'trailers'],
    ['accept', '*/*'],
  ]);
  assert.deepEqual(forwardable([['te', 'gzip']]), []);
});

// W3C Trace Context: version-traceid-parentid-flags, lower-case hex, all-zero ids and version ff invalid.
const traceparents: Array<[string, boolean]> = [
  ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true],
  ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', true],
  ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
  ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
  ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
  ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false],
  ['garbage', false],
];
for (const [value, valid] of traceparents) test(`validTraceparent(${value})`, () => assert.equal(validTraceparent(value) !== undefined, valid));

test('ensureTracing keeps a client x-request-id and a valid traceparent', () => {
  const headers: Array<[string, string]> = [
    ['x-request-id', 'abc'],
    ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ];
  assert.deepEqual(ensureTracing(headers, true), { requestId: 'abc', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  assert.equal(headers.length, 2);
});

test('ensureTracing generates a UUID request id and starts a sampled version-00 trace', () => {
  const headers: Array<[string, string]> = [['traceparent', 'nonsense'], ['tracestate', 'k=v']];
  const { requestId, traceparent } = ensureTracing(headers, true);
  assert.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.deepEqual(headers.map(([n]) => n).sort(), ['traceparent', 'x-request-id']);
});

test('ensureTracing leaves x-request-id absent when the HCM does not generate ids', () => {
  const headers: Array<[string, string]> = [];
  assert.equal(ensureTracing(headers, false).requestId, '');
  assert.equal(headers.some(([n]) => n === 'x-request-id'), false);
});

test('isGrpc: application/grpc and its +proto/+json forms', () => {
  assert.equal(isGrpc([['content-type', 'application/grpc']]), true);
  assert.equal(isGrpc([['content-type', 'application/grpc+proto']]), true);
  assert.equal(isGrpc([['content-type', 'application/json']]), false);
  assert.equal(isGrpc([]), false);
});

test('newTraceparent: valid W3C version-00 sampled traces, distinct across refills of the random pool', () => {
  // 24 random bytes per trace and a 4 KiB pool: 500 traces span three refills.
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const value = newTraceparent();
    assert.match(value, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(validTraceparent(value), value);
    seen.add(value.slice(3, 35));
    seen.add(value.slice(36, 52));
  }
  assert.equal(seen.size, 1000, 'no trace id or span id repeats');
});
