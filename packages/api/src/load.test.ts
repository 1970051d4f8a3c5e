import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brief } from './testing/helpers.ts';
import { loadResourceFiles } from './load.ts';

let dir = '';
const ns = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ambit-api-'));
  await mkdir(join(dir, 'manifests', 'nested'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'manifests', 'b.yaml'), ns('b'));
  await writeFile(join(dir, 'manifests', 'a.yml'), ns('a'));
  await writeFile(join(dir, 'manifests', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }));
  await writeFile(join(dir, 'manifests', 'notes.txt'), 'not yaml: [');
  await writeFile(join(dir, 'manifests', 'nested', 'd.yaml'), ns('d'));
  await writeFile(join(dir, 'single.txt'), ns('Bad'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('loadResourceFiles: directories give their yaml/yml/json files in name order, not recursively', async () => {
  const { resources, problems } = await loadResourceFiles([join(dir, 'manifests')]);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources.map((r) => [r.metadata.name, r.source.file]), [
    ['a', join(dir, 'manifests', 'a.yml')],
    ['b', join(dir, 'manifests', 'b.yaml')],
    ['c', join(dir, 'manifests', 'c.json')],
  ]);
});

test('loadResourceFiles: a file named explicitly is read whatever its extension; unreadable paths are problems', async () => {
  const missing = join(dir, 'missing.yaml');
  const { resources, problems } = await loadResourceFiles([missing, join(dir, 'single.txt'), join(dir, 'empty')]);
  assert.deepEqual(resources, []);
  assert.deepEqual(problems.map((p) => `${p.file} ${brief(p)}`), [
    `${missing} 0:0  AMBIT_API_READ_FAILED`,
    `${join(dir, 'empty')} 0:0  AMBIT_API_NO_FILES warning`,
    `${join(dir, 'single.txt')} 4:3 metadata.name AMBIT_API_INVALID_VALUE`,
  ]);
  assert.equal(problems[0]?.message, 'cannot read: no such file or directory');
});
