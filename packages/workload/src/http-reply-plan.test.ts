import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DELAY_MS, MAX_SIZE_BYTES, planHttpReply, statusHasBody, type HttpReplyPlan } from './http-reply-plan.ts';

const cases: [string, HttpReplyPlan][] = [
  ['/', { status: 200, delayMs: 0, size: null }],
  ['/api/v1/x', { status: 200, delayMs: 0, size: null }],
  ['/x?status=403', { status: 403, delayMs: 0, size: null }],
  ['/x?status=503&delayMs=250', { status: 503, delayMs: 250, size: null }],
  ['/x?status=99', { status: 200, delayMs: 0, size: null }],
  ['/x?status=600', { status: 200, delayMs: 0, size: null }],
  ['/x?status=abc', { status: 200, delayMs: 0, size: null }],
  ['/x?status=-1', { status: 200, delayMs: 0, size: null }],
  ['/x?delayMs=999999', { status: 200, delayMs: MAX_DELAY_MS, size: null }],
  ['/x?size=0', { status: 200, delayMs: 0, size: 0 }],
  ['/x?size=1024', { status: 200, delayMs: 0, size: 1024 }],
  ['/x?size=99999999999', { status: 200, delayMs: 0, size: MAX_SIZE_BYTES }],
  ['/x?size=1.5', { status: 200, delayMs: 0, size: null }],
  ['/x?a=b&status=201&size=3#frag', { status: 201, delayMs: 0, size: 3 }],
];

for (const [path, want] of cases) {
  test(`planHttpReply ${path}`, () => {
    assert.deepEqual(planHttpReply(path), want);
  });
}

test('statusHasBody', () => {
  assert.equal(statusHasBody(200, 'GET'), true);
  assert.equal(statusHasBody(403, 'POST'), true);
  assert.equal(statusHasBody(200, 'HEAD'), false);
  assert.equal(statusHasBody(204, 'GET'), false);
  assert.equal(statusHasBody(304, 'GET'), false);
});
