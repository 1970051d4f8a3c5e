import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H2_PREFACE, MAX_SNIFF_BYTES, sniff, type SniffVerdict } from './sniff.ts';

const cases: { name: string; bytes: Buffer; ended?: boolean; want: SniffVerdict }[] = [
  { name: 'full h2 preface', bytes: H2_PREFACE, want: 'h2c' },
  { name: 'h2 preface plus a frame', bytes: Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]), want: 'h2c' },
  { name: 'partial h2 preface', bytes: H2_PREFACE.subarray(0, 10), want: 'more' },
  { name: 'partial h2 preface, then half-close', bytes: H2_PREFACE.subarray(0, 10), ended: true, want: 'tcp' },
  { name: 'HTTP/1.1 GET', bytes: Buffer.from('GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n'), want: 'http/1.1' },
  { name: 'HTTP/1.0 POST, bare LF', bytes: Buffer.from('POST / HTTP/1.0\n'), want: 'http/1.1' },
  { name: 'request line not complete yet', bytes: Buffer.from('GET /long/pa'), want: 'more' },
  { name: 'method only', bytes: Buffer.from('DELETE'), want: 'more' },
  { name: 'PRI alone could be either', bytes: Buffer.from('PRI'), want: 'more' },
  { name: 'plain line', bytes: Buffer.from('hello\n'), want: 'tcp' },
  { name: 'upper-case words that are not HTTP', bytes: Buffer.from('HELLO WORLD\n'), want: 'tcp' },
  { name: 'HTTP/2 request line without preface', bytes: Buffer.from('GET / HTTP/2.0\r\n'), want: 'tcp' },
  { name: 'lower-case start decides at once', bytes: Buffer.from('ping'), want: 'tcp' },
  { name: 'binary protocol decides at once', bytes: Buffer.from('*1\r\n$4\r\nPING\r\n'), want: 'tcp' },
  { name: 'half-close before a line end', bytes: Buffer.from('GET /'), ended: true, want: 'tcp' },
  { name: 'nothing yet', bytes: Buffer.alloc(0), want: 'more' },
  { name: 'too long without a line end', bytes: Buffer.from(`GET /${'a'.repeat(MAX_SNIFF_BYTES)}`), want: 'tcp' },
];

for (const c of cases) {
  test(`sniff: ${c.name}`, () => {
    assert.equal(sniff(c.bytes, c.ended ?? false), c.want);
  });
}
