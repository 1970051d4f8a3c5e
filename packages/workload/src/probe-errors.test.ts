import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeError } from './probe-errors.ts';

const withCode = (code: string): Error => Object.assign(new Error(`boom ${code}`), { code });

test('probeError maps Node error codes to short stable strings', () => {
  const cases: [unknown, string][] = [
    [withCode('ECONNREFUSED'), 'connection refused'],
    [withCode('ECONNRESET'), 'connection reset'],
    [withCode('EPIPE'), 'connection reset'],
    [withCode('ETIMEDOUT'), 'timeout'],
    [withCode('EHOSTUNREACH'), 'host unreachable'],
    [withCode('ENETUNREACH'), 'network unreachable'],
    [withCode('ENOTFOUND'), 'no such host'],
    [withCode('EAI_AGAIN'), 'dns unavailable'],
    [withCode('HPE_INVALID_CONSTANT'), 'bad http response'],
    [withCode('ERR_HTTP2_SESSION_ERROR'), 'http2 error'],
    [withCode('EWEIRD'), 'eweird'],
    [Object.assign(new Error('cancel', { cause: withCode('ECONNREFUSED') }), { code: 'ERR_HTTP2_STREAM_CANCEL' }), 'connection refused'],
    [withCode('ERR_HTTP2_STREAM_CANCEL'), 'connection reset'],
    [new Error('plain'), 'plain'],
    ['text', 'text'],
  ];
  for (const [error, want] of cases) assert.equal(probeError(error), want);
});
