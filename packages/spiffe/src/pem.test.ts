import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDerEnvelope, decodePem, decodePemBlocks, encodePem } from './pem.ts';

const der = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]);

test('encode then decode is the identity', () => {
  assert.deepEqual(decodePem(encodePem(der, 'CERTIFICATE'), 'CERTIFICATE', 'AMBIT_SPIFFE_BAD_PEM'), der);
});

test('text outside blocks is ignored, several blocks are returned in order', () => {
  const text = `subject=foo\n${encodePem(der, 'CERTIFICATE')}junk\n${encodePem(der, 'X')}`;
  assert.deepEqual(decodePemBlocks(text).map((b) => b.label), ['CERTIFICATE', 'X']);
});

const badPem: Array<[string, string, RegExp]> = [
  ['mismatched END', '-----BEGIN A-----\nMAMCAQU=\n-----END B-----', /ends with "END B"/],
  ['not base64', '-----BEGIN A-----\nMAM*AQU=\n-----END A-----', /not base64/],
  ['empty body', '-----BEGIN A-----\n-----END A-----', /not base64/],
  ['wrong label', encodePem(der, 'PRIVATE KEY'), /found "PRIVATE KEY"/],
  ['two blocks', encodePem(der, 'CERTIFICATE') + encodePem(der, 'CERTIFICATE'), /found 2/],
  ['no block', 'hello', /found 0/],
  ['trailing bytes after DER', encodePem(Uint8Array.from([...der, 0]), 'CERTIFICATE'), /declares 5 bytes but has 6/],
  ['truncated DER', encodePem(der.slice(0, 4), 'CERTIFICATE'), /declares 5 bytes but has 4/],
  ['indefinite length', encodePem(Uint8Array.from([0x30, 0x80, 0, 0]), 'CERTIFICATE'), /indefinite/],
  ['not a SEQUENCE', encodePem(Uint8Array.from([0x04, 0x00]), 'CERTIFICATE'), /SEQUENCE/],
];
for (const [name, text, message] of badPem) {
  test(`PEM refused: ${name}`, () => {
    assert.throws(() => decodePem(text, 'CERTIFICATE', 'AMBIT_SPIFFE_BAD_PEM'), (e: Error & { code?: string }) => e.code === 'AMBIT_SPIFFE_BAD_PEM' && message.test(e.message));
  });
}

test('long-form lengths must be minimal', () => {
  assert.throws(() => checkDerEnvelope(Uint8Array.from([0x30, 0x81, 0x01, 0x00]), 'AMBIT_SPIFFE_BAD_PEM', 'x'), /minimally/);
  const body = new Uint8Array(200);
  assert.doesNotThrow(() => checkDerEnvelope(Uint8Array.from([0x30, 0x81, 200, ...body]), 'AMBIT_SPIFFE_BAD_PEM', 'x'));
});
