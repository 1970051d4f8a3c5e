import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFileContent } from './file-watch.ts';
import { silentLogger } from './logger.ts';
import { waitFor } from './wait.ts';

test('watchFileContent reports a replaced file once per new content and survives a throwing handler', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-watch-'));
  const path = join(dir, 'bundle.pem');
  await writeFile(path, 'one');
  const seen: string[] = [];
  const watch = watchFileContent(path, {
    initial: 'one',
    intervalMs: 100,
    logger: silentLogger,
    onChange: (text) => {
      seen.push(text);
      if (text === 'two') throw new Error('handler failure');
    },
  });
  try {
    await writeFile(`${path}.tmp`, 'two');
    await rename(`${path}.tmp`, path);
    await waitFor(() => seen.length === 1, { timeoutMs: 5000, intervalMs: 20, what: 'the first change' });
    await writeFile(path, 'two');
    await watch.check();
    assert.deepEqual(seen, ['two'], 'same content: no report');
    await rm(path);
    await watch.check();
    await writeFile(`${path}.tmp`, 'three');
    await rename(`${path}.tmp`, path);
    await waitFor(() => seen.length === 2, { timeoutMs: 5000, intervalMs: 20, what: 'the second change' });
    assert.deepEqual(seen, ['two', 'three']);
  } finally {
    watch.close();
    await rm(dir, { recursive: true, force: true });
  }
});
