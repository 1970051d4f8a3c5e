// The directory config source: files watched live, each file standing alone, a bad file keeping
// its last good resources (bad input changes nothing), deletions announced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceKey } from '@ambit/api';
import { silentLogger, waitFor } from '@ambit/core';
import { DirectoryConfigSource } from '../src/config/directory-source.ts';
import type { ConfigChange } from '../src/config/source.ts';

const ns = (name: string, labels = ''): string => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name}${labels ? `, labels: { ${labels} }` : ''} }\n`;

async function withSource(fn: (dir: string, changes: ConfigChange[], source: DirectoryConfigSource) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-cfg-'));
  const changes: ConfigChange[] = [];
  const source = new DirectoryConfigSource({ dir, logger: silentLogger, rescanMs: 200 });
  try {
    await writeFile(join(dir, 'a.yaml'), ns('a'));
    await source.start((c) => changes.push(c));
    await fn(dir, changes, source);
  } finally {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const keys = (c: ConfigChange | undefined): string[] => (c?.upserted ?? []).map((r) => resourceKey(r));

test('the first batch carries every resource; a new file arrives live', async () => {
  await withSource(async (dir, changes) => {
    assert.deepEqual(keys(changes[0]), ['Namespace/a']);
    await writeFile(join(dir, 'b.yaml'), ns('b'));
    await waitFor(() => changes.some((c) => keys(c).includes('Namespace/b')), { timeoutMs: 5000, what: 'b' });
  });
});

test('a file that turns bad keeps its last good resources and reports the problem', async () => {
  await withSource(async (dir, changes, source) => {
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: A_BAD }\n');
    await waitFor(() => source.problems().length > 0, { timeoutMs: 5000, what: 'the problem' });
    assert.match(source.problems()[0]?.message ?? '', /A_BAD|name/);
    assert.equal(changes.length, 1, 'nothing was announced: the old namespace keeps serving');
    await writeFile(join(dir, 'a.yaml'), ns('a', 'team: x'));
    await waitFor(() => changes.length === 2, { timeoutMs: 5000, what: 'the fixed file' });
    assert.deepEqual(keys(changes[1]), ['Namespace/a']);
    assert.deepEqual(source.problems(), []);
  });
});

test('removing a file, or a resource from a file, announces the deletion', async () => {
  await withSource(async (dir, changes) => {
    await writeFile(join(dir, 'two.yaml'), `${ns('x')}---\n${ns('w')}`);
    await waitFor(() => changes.some((c) => keys(c).includes('Namespace/w')), { timeoutMs: 5000, what: 'x and w' });
    await writeFile(join(dir, 'two.yaml'), ns('x'));
    await waitFor(() => changes.some((c) => c.deleted.includes('Namespace/w')), { timeoutMs: 5000, what: 'w deleted' });
    await unlink(join(dir, 'a.yaml'));
    await waitFor(() => changes.some((c) => c.deleted.includes('Namespace/a')), { timeoutMs: 5000, what: 'a deleted' });
  });
});

test('a resource defined in two files stays with the first; an atomic rename is seen', async () => {
  await withSource(async (dir, changes, source) => {
    await writeFile(join(dir, 'z.yaml'), ns('a', 'from: z'));
    await writeFile(join(dir, '.tmp-c'), ns('c'));
    await rename(join(dir, '.tmp-c'), join(dir, 'c.yaml'));
    await waitFor(() => changes.some((c) => keys(c).includes('Namespace/c')), { timeoutMs: 5000, what: 'c' });
    assert.ok(!changes.slice(1).some((c) => keys(c).includes('Namespace/a')), 'the duplicate in z.yaml did not replace a.yaml’s namespace');
    const before = source.syncedAsOf();
    await writeFile(join(dir, '.sync-request'), 'x');
    await waitFor(() => source.syncedAsOf() > before, { timeoutMs: 5000, what: 'a scan after the request' });
  });
});
