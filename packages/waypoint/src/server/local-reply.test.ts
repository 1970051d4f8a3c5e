import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGrpcMessage, grpcStatusFor } from './local-reply.ts';

// gRPC's doc/http-grpc-status-mapping.md, plus UT -> DEADLINE_EXCEEDED.
const cases: Array<[number, string, number]> = [
  [400, '-', 13],
  [401, '-', 16],
  [403, '-', 7],
  [404, 'NR', 12],
  [429, '-', 14],
  [502, '-', 14],
  [503, 'UH', 14],
  [503, 'UF', 14],
  [504, 'UT', 4],
  [500, '-', 2],
];
for (const [status, flags, expected] of cases) test(`grpcStatusFor(${status}, ${flags}) = ${expected}`, () => assert.equal(grpcStatusFor(status, flags), expected));

test('encodeGrpcMessage percent-encodes % and non-printable bytes only', () => {
  assert.equal(encodeGrpcMessage('RBAC: access denied'), 'RBAC: access denied');
  assert.equal(encodeGrpcMessage('100% sure'), '100%25 sure');
  assert.equal(encodeGrpcMessage('a\nb'), 'a%0Ab');
  assert.equal(encodeGrpcMessage('é'), '%C3%A9');
});
