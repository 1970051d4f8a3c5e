import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PROBE_MAIN_PATH, SERVER_MAIN_PATH } from '../src/index.ts';

test('the exported entry-point paths exist', () => {
  assert.ok(existsSync(SERVER_MAIN_PATH), SERVER_MAIN_PATH);
  assert.ok(existsSync(PROBE_MAIN_PATH), PROBE_MAIN_PATH);
});
