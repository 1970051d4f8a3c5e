// Keeps the error table in ../README.md and the codes the package raises in step, both ways: every
// AMBIT_WAYPOINT_* code written as a string in src/ (any part's) has a row, every row is raised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { WAYPOINT_CODES } from './errors.ts';

const here = import.meta.dirname;
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const rows = readme.split('\n').filter((l) => l.startsWith('| `AMBIT_WAYPOINT_'));

function raisedCodes(): string[] {
  const codes = new Set<string>(Object.values(WAYPOINT_CODES));
  for (const file of readdirSync(here, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    for (const m of readFileSync(`${here}/${file}`, 'utf8').matchAll(/['"`](AMBIT_WAYPOINT_[A-Z0-9_]+)['"`]/g)) codes.add(m[1] as string);
  }
  return [...codes].sort();
}

test('every code raised in src/ is documented in the README table, and every documented code is raised', () => {
  const documented = rows.map((l) => /`(AMBIT_WAYPOINT_[A-Z0-9_]+)`/.exec(l)?.[1]).sort();
  assert.deepEqual(documented, raisedCodes());
});

test('every documented row has meaning, typical cause and fix', () => {
  for (const line of rows) {
    const cells = line.replace(/\\\|/g, '').split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, line);
    for (const cell of cells) assert.ok(cell.length > 0, line);
  }
});
