// Keeps the error table in ../README.md and NftErrorCode in step, both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { NftErrorCode } from './errors.ts';

const here = import.meta.dirname;
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const rows = readme.split('\n').filter((l) => l.startsWith('| `AMBIT_NFT_'));

test('every code is documented in the README table, and every documented code exists', () => {
  const documented = rows.map((l) => /`(AMBIT_NFT_[A-Z0-9_]+)`/.exec(l)?.[1]).sort();
  assert.deepEqual(documented, Object.values(NftErrorCode).sort());
});

test('every code is used outside errors.ts', () => {
  const sources = readdirSync(here, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts')
    .map((f) => readFileSync(`${here}/${f}`, 'utf8'))
    .join('\n');
  for (const [key, code] of Object.entries(NftErrorCode)) assert.ok(sources.includes(`NftErrorCode.${key}`), `${code} is never raised`);
});

test('every documented row has meaning, typical cause and fix', () => {
  assert.ok(readme.includes('| code | meaning | typical cause | fix |'));
  for (const line of rows) {
    const cells = line.replace(/\\\|/g, '').split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, line);
    for (const cell of cells) assert.ok(cell.length > 0, line);
  }
});
