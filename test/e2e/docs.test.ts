// Error codes and their documentation stay in step (fastify's habit): every code raised in
// packages/*/src has a row in docs/reference/errors.md or its package README, and every documented
// code is still raised somewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { REPO } from './helpers.ts';

const CODE = /['[](AMBIT_[A-Z0-9]+_[A-Z0-9_]+)['\]]/g;
const DOC_CODE = /`(AMBIT_[A-Z0-9]+_[A-Z0-9_]+)`/g;

function codesIn(files: string[], pattern: RegExp): Set<string> {
  const codes = new Set<string>();
  for (const file of files) for (const m of readFileSync(file, 'utf8').matchAll(pattern)) codes.add(m[1] as string);
  return codes;
}

const sources = globSync('packages/*/src/**/*.ts', { cwd: REPO })
  .filter((f) => !f.endsWith('.test.ts'))
  .map((f) => `${REPO}${f}`);
const raised = codesIn(sources, CODE);
raised.delete('AMBIT_LAB_ROOT'); // an environment variable, not an error code
const docs = [`${REPO}docs/reference/errors.md`, ...globSync('packages/*/README.md', { cwd: REPO }).map((f) => `${REPO}${f}`)];
const documented = codesIn(docs, DOC_CODE);

test('every error code raised in the code is documented', () => {
  const missing = [...raised].filter((c) => !documented.has(c)).sort();
  assert.deepEqual(missing, []);
});

test('every documented error code is raised somewhere', () => {
  const stale = [...documented].filter((c) => !raised.has(c)).sort();
  assert.deepEqual(stale, []);
});
