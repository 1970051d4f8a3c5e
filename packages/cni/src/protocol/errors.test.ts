import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmbitError } from '@ambit/core';
import { cniError, toErrorReply } from './errors.ts';

test('error reply carries the CNI code, msg and the Ambit code in details', () => {
  const reply = toErrorReply(cniError(7, 'AMBIT_CNI_INVALID_CONFIG', 'bad', { hint: 'fix it' }), '1.0.0');
  assert.deepEqual(reply, { cniVersion: '1.0.0', code: 7, msg: 'bad', details: 'hint: fix it [AMBIT_CNI_INVALID_CONFIG]' });
});

test('errors without a CNI code become 999', () => {
  assert.equal(toErrorReply(new Error('boom'), '1.1.0').code, 999);
  assert.equal(toErrorReply(new AmbitError('AMBIT_X', 'x'), '1.1.0').code, 999);
});
