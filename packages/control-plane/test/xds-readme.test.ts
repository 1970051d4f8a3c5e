// Every AMBIT_XDS_SERVER_* code has a row in the README's table, and every row is a real code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { XDS_SERVER_ERROR_CODES } from '../src/xds/errors.ts';

test('xDS server error codes and the README table are in step', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const documented = new Set([...readme.matchAll(/^\| `(AMBIT_XDS_SERVER_[A-Z_]+)` \|(.+)\|(.+)\|(.+)\|$/gm)].map((m) => m[1]));
  const defined = new Set(Object.values(XDS_SERVER_ERROR_CODES));
  assert.deepEqual([...defined].filter((c) => !documented.has(c)), [], 'codes without a README row');
  assert.deepEqual([...documented].filter((c) => c !== undefined && !defined.has(c as never)), [], 'README rows without a code');
});
