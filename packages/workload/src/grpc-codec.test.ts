import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEchoReply,
  decodeEchoRequest,
  decodeVarint,
  encodeEchoReply,
  encodeEchoRequest,
  encodeVarint,
  frameGrpcMessage,
  parseGrpcFrames,
} from './grpc-codec.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('varints against hand-written bytes', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16384, '808001'],
    [2 ** 32, '8080808010'],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(encodeVarint(value).toString('hex'), bytes, `encode ${value}`);
    assert.deepEqual(decodeVarint(hex(bytes), 0), { value, next: bytes.length / 2 }, `decode ${bytes}`);
  }
  assert.throws(() => decodeVarint(hex('80'), 0), { code: 'AMBIT_WORKLOAD_BAD_PROTOBUF' });
  assert.throws(() => encodeVarint(-1), { code: 'AMBIT_WORKLOAD_BAD_PROTOBUF' });
});

test('EchoRequest against hand-written hex', () => {
  // field 1, wire type 2 -> tag 0x0a; length 2; "hi"
  assert.equal(encodeEchoRequest({ message: 'hi' }).toString('hex'), '0a026869');
  assert.deepEqual(decodeEchoRequest(hex('0a026869')), { message: 'hi' });
  // proto3 default: the empty message is zero bytes
  assert.equal(encodeEchoRequest({ message: '' }).length, 0);
  assert.deepEqual(decodeEchoRequest(Buffer.alloc(0)), { message: '' });
  // UTF-8 and a length over 127 (two-byte varint length)
  const long = 'é'.repeat(100);
  const encoded = encodeEchoRequest({ message: long });
  assert.equal(encoded.subarray(0, 3).toString('hex'), '0ac801');
  assert.deepEqual(decodeEchoRequest(encoded), { message: long });
});

test('EchoReply against hand-written hex', () => {
  // json = "{}" (0a 02 7b 7d), message = "ok" (12 02 6f 6b)
  assert.equal(encodeEchoReply({ json: '{}', message: 'ok' }).toString('hex'), '0a027b7d12026f6b');
  assert.deepEqual(decodeEchoReply(hex('0a027b7d12026f6b')), { json: '{}', message: 'ok' });
  // fields in any order
  assert.deepEqual(decodeEchoReply(hex('12026f6b0a027b7d')), { json: '{}', message: 'ok' });
});

test('unknown fields are skipped', () => {
  // field 3 varint 150 (18 9601), field 4 fixed64 (21 + 8 bytes), field 5 fixed32 (2d + 4 bytes),
  // field 6 bytes (32 01 ff), then message "hi"
  const bytes = hex('18 9601  21 0102030405060708  2d 01020304  32 01 ff  0a 02 6869');
  assert.deepEqual(decodeEchoRequest(bytes), { message: 'hi' });
});

test('malformed messages are rejected with a stable code', () => {
  for (const bad of ['0a05 6869', '0b', '00 01', '0a']) {
    assert.throws(() => decodeEchoRequest(hex(bad)), { code: 'AMBIT_WORKLOAD_BAD_PROTOBUF' }, bad);
  }
});

test('gRPC length-prefixed framing', () => {
  assert.equal(frameGrpcMessage(hex('0a026869')).toString('hex'), '00000000040a026869');
  assert.deepEqual(parseGrpcFrames(hex('00000000040a026869 0100000000')), [
    { compressed: false, message: hex('0a026869') },
    { compressed: true, message: Buffer.alloc(0) },
  ]);
  assert.deepEqual(parseGrpcFrames(Buffer.alloc(0)), []);
  assert.throws(() => parseGrpcFrames(hex('00000000')), { code: 'AMBIT_WORKLOAD_BAD_GRPC_FRAME' });
  assert.throws(() => parseGrpcFrames(hex('0000000005 0a02')), { code: 'AMBIT_WORKLOAD_BAD_GRPC_FRAME' });
});
