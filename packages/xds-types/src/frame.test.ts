import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAmbitError } from '@ambit/core';
import { decodeFrames, encodeFrame, FrameDecoder } from './frame.ts';

const code = (c: string) => (e: unknown) => isAmbitError(e) && e.code === c;

test('encodeFrame: 4-byte big-endian length then the message', () => {
  assert.deepEqual([...encodeFrame(Uint8Array.of(7, 8, 9))], [0, 0, 0, 3, 7, 8, 9]);
  assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0, 0, 0, 0]);
  assert.deepEqual([...encodeFrame(new Uint8Array(0x0102)).subarray(0, 4)], [0, 0, 1, 2]);
});

test('FrameDecoder reassembles frames split byte by byte and joined in one chunk', () => {
  const stream = Buffer.concat([encodeFrame(Uint8Array.of(1)), encodeFrame(new Uint8Array(0)), encodeFrame(Uint8Array.of(2, 3))]);
  const d = new FrameDecoder();
  const out: number[][] = [];
  for (const byte of stream) for (const m of d.push(Uint8Array.of(byte))) out.push([...m]);
  d.end();
  assert.deepEqual(out, [[1], [], [2, 3]]);
  assert.deepEqual(decodeFrames(stream).map((m) => [...m]), [[1], [], [2, 3]]);
});

test('a partial frame waits for more input', () => {
  const d = new FrameDecoder();
  assert.deepEqual(d.push(Uint8Array.of(0, 0, 0, 2, 5)), []);
  assert.equal(d.buffered, 5);
  assert.deepEqual(d.push(Uint8Array.of(6)).map((m) => [...m]), [[5, 6]]);
  assert.equal(d.buffered, 0);
});

test('oversize: announced length above the maximum throws before the body arrives', () => {
  const d = new FrameDecoder(16);
  assert.throws(() => d.push(Uint8Array.of(0, 0, 0, 17)), code('AMBIT_XDS_FRAME_TOO_LARGE'));
  assert.throws(() => encodeFrame(new Uint8Array(17), 16), code('AMBIT_XDS_FRAME_TOO_LARGE'));
  assert.doesNotThrow(() => new FrameDecoder(16).push(encodeFrame(new Uint8Array(16), 16)));
  assert.throws(() => new FrameDecoder().push(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), code('AMBIT_XDS_FRAME_TOO_LARGE'));
});

test('truncation: the stream ends inside a prefix or a body', () => {
  assert.throws(() => decodeFrames(Uint8Array.of(0, 0)), code('AMBIT_XDS_FRAME_TRUNCATED'));
  assert.throws(() => decodeFrames(Uint8Array.of(0, 0, 0, 3, 1, 2)), code('AMBIT_XDS_FRAME_TRUNCATED'));
  assert.deepEqual(decodeFrames(new Uint8Array(0)), []);
});
