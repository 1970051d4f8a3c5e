// Keeps the code table in ../README.md and the codes used in src/ in step, both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as codes from './codes.ts';

const here = import.meta.dirname;
const CODE = /AMBIT_API_[A-Z0-9_]+/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('every code used in src is documented in the README table, and every documented code is used', () => {
  const used = new Set(sourceFiles(here).flatMap((f) => readFileSync(f, 'utf8').match(CODE) ?? []));
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
  const documented = new Set(readme.split('\n').filter((l) => l.startsWith('| `AMBIT_API_')).flatMap((l) => l.match(CODE)?.slice(0, 1) ?? []));
  assert.deepEqual([...used].sort(), [...documented].sort());
  assert.deepEqual(Object.values(codes).sort(), [...used].sort());
});

test('every documented row has meaning, cause and fix', () => {
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
  for (const line of readme.split('\n').filter((l) => l.startsWith('| `AMBIT_API_'))) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, line);
    for (const cell of cells) assert.ok(cell.length > 0, line);
  }
});
