import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResponse, LineReader, MAX_LINE, parseRequest } from './plugin-protocol.ts';

const pod = { uid: 'u1', name: 'web', namespace: 'shop', netns: '/run/netns/p1', ips: ['10.244.1.5'] };

test('an add request parses into the pod, optional fields kept only when present', () => {
  assert.deepEqual(parseRequest(JSON.stringify({ v: 1, op: 'add', pod })), { ok: true, value: { op: 'add', pod } });
  const full = { ...pod, serviceAccount: 'web', containerId: 'c1', ips: ['10.0.0.1', 'fd00::1'] };
  assert.deepEqual(parseRequest(`${JSON.stringify({ v: 1, op: 'add', pod: full, future: 1 })}\n`), { ok: true, value: { op: 'add', pod: full } });
});

test('a del request needs only the uid', () => {
  assert.deepEqual(parseRequest('{"v":1,"op":"del","pod":{"uid":"u1"}}'), { ok: true, value: { op: 'del', pod: { uid: 'u1' } } });
  assert.deepEqual(parseRequest('{"v":1,"op":"del","pod":{"uid":"u1","name":"a","namespace":"b"}}'), { ok: true, value: { op: 'del', pod: { uid: 'u1', name: 'a', namespace: 'b' } } });
});

const bad: Array<[string, string, RegExp]> = [
  ['not JSON', '{', /not JSON/],
  ['not an object', '[1]', /JSON object/],
  ['wrong version', '{"v":2,"op":"add","pod":{}}', /v: expected 1, got 2/],
  ['unknown op', '{"v":1,"op":"check","pod":{}}', /op: expected "add" or "del", got "check"/],
  ['no pod', '{"v":1,"op":"add"}', /pod: expected an object/],
  ['every missing field named', '{"v":1,"op":"add","pod":{"ips":[]}}', /pod\.uid: missing; pod\.name: missing; pod\.namespace: missing; pod\.netns: missing/],
  ['relative netns', JSON.stringify({ v: 1, op: 'add', pod: { ...pod, netns: 'run/netns/x' } }), /pod\.netns: expected an absolute path/],
  ['bad ip', JSON.stringify({ v: 1, op: 'add', pod: { ...pod, ips: ['10.0.0.1', '10.0.0.300'] } }), /pod\.ips\[1\]: expected an IP address, got "10\.0\.0\.300"/],
  ['ips not an array', JSON.stringify({ v: 1, op: 'add', pod: { ...pod, ips: '10.0.0.1' } }), /pod\.ips: expected an array/],
  ['empty uid', '{"v":1,"op":"del","pod":{"uid":""}}', /pod\.uid: expected a non-empty string/],
  ['oversized line', JSON.stringify({ v: 1, op: 'add', pod: { ...pod, name: 'x'.repeat(MAX_LINE) } }), /exceeds 16384/],
];
for (const [name, line, message] of bad) {
  test(`a bad request is refused with a reason: ${name}`, () => {
    const result = parseRequest(line);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, message);
  });
}

test('responses are one JSON line with the protocol version', () => {
  assert.equal(encodeResponse({ ok: true, enrolled: true, captured: true }), '{"v":1,"ok":true,"enrolled":true,"captured":true}\n');
  const line = encodeResponse({ ok: false, code: 'AMBIT_CNI_AGENT_NO_ZTUNNEL', error: 'x', retry: true });
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(line), { v: 1, ok: false, code: 'AMBIT_CNI_AGENT_NO_ZTUNNEL', error: 'x', retry: true });
});

test('LineReader joins chunks up to the first newline and ignores what follows', () => {
  const reader = new LineReader();
  assert.equal(reader.push(Buffer.from('{"v":1,')), undefined);
  assert.equal(reader.push(Buffer.from('"op"')), undefined);
  assert.deepEqual(reader.push(Buffer.from(':"x"}\nrest')), { line: '{"v":1,"op":"x"}' });
});

test('LineReader refuses more than MAX_LINE bytes without a newline, even split in chunks', () => {
  const reader = new LineReader();
  assert.equal(reader.push(Buffer.alloc(MAX_LINE - 1, 0x61)), undefined);
  assert.deepEqual(reader.push(Buffer.from('ab')), { error: `request line exceeds ${MAX_LINE} bytes` });
  const exact = new LineReader();
  assert.deepEqual(exact.push(Buffer.concat([Buffer.alloc(MAX_LINE - 1, 0x61), Buffer.from('\n')])), { line: 'a'.repeat(MAX_LINE - 1) });
});
