// Node credentials of the lab: issued by the supervisor, hashed on the control plane side,
// reloaded when the file changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { AmbitError } from '@ambit/core';
import { bearerToken, hashToken, issueNodeCredentials, NodeTokenAuthenticator } from '../src/ca/credentials.ts';
import { RecordingLogger } from './ca-harness.ts';

function bearer(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', value);
  return metadata;
}

describe('node credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-ca-cred-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('issueNodeCredentials writes 0600 token files and only hashes in nodes.json', async () => {
    const issued = await issueNodeCredentials(join(dir, 'a'), ['node-1', 'node-2']);
    const token = (await readFile(issued.tokenFiles['node-1'] as string, 'utf8')).trim();
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal((await stat(issued.tokenFiles['node-1'] as string)).mode & 0o777, 0o600);
    const nodes = await readFile(issued.nodesFile, 'utf8');
    assert.equal(nodes.includes(token), false);
    assert.deepEqual(JSON.parse(nodes), {
      nodes: {
        [hashToken(token)]: 'node-1',
        [hashToken((await readFile(issued.tokenFiles['node-2'] as string, 'utf8')).trim())]: 'node-2',
      },
    });
  });

  test('node names that could escape the directory are refused', async () => {
    for (const bad of ['../etc', 'Node-1', '', 'a/b']) {
      await assert.rejects(issueNodeCredentials(join(dir, 'b'), [bad]), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CORE_BAD_NODE_NAME');
    }
  });

  test('the authenticator knows each node by its token, and nothing else', async () => {
    const issued = await issueNodeCredentials(join(dir, 'c'), ['node-1', 'node-2']);
    const auth = new NodeTokenAuthenticator({ file: issued.nodesFile, logger: new RecordingLogger() });
    await auth.load();
    const t1 = (await readFile(issued.tokenFiles['node-1'] as string, 'utf8')).trim();
    const t2 = (await readFile(issued.tokenFiles['node-2'] as string, 'utf8')).trim();
    assert.deepEqual(await auth.authenticate(bearer(`Bearer ${t1}`)), { kind: 'node', node: 'node-1', subject: 'node/node-1' });
    assert.deepEqual(await auth.authenticate(bearer(`bearer ${t2}`)), { kind: 'node', node: 'node-2', subject: 'node/node-2' });
    assert.equal(await auth.authenticate(new Metadata()), undefined);
    assert.equal(await auth.authenticate(bearer(t1)), undefined, 'no scheme');
    assert.equal(await auth.authenticate(bearer(`Basic ${t1}`)), undefined);
    assert.equal(await auth.authenticate(bearer(`Bearer ${hashToken(t1)}`)), undefined, 'the hash is not the token');
    assert.equal(await auth.authenticate(bearer(`Bearer ${'a'.repeat(100_000)}`)), undefined);
    const twice = bearer(`Bearer ${t1}`);
    twice.add('authorization', `Bearer ${t2}`);
    assert.equal(bearerToken(twice), undefined, 'two authorization headers are refused');
  });

  test('re-issuing credentials is picked up without a restart; the old token stops working', async () => {
    const target = join(dir, 'd');
    const first = await issueNodeCredentials(target, ['node-1']);
    const logger = new RecordingLogger();
    const auth = new NodeTokenAuthenticator({ file: first.nodesFile, logger });
    await auth.load();
    const old = (await readFile(first.tokenFiles['node-1'] as string, 'utf8')).trim();
    assert.equal((await auth.authenticate(bearer(`Bearer ${old}`)))?.node, 'node-1');
    const second = await issueNodeCredentials(target, ['node-1', 'node-3']);
    const fresh = (await readFile(second.tokenFiles['node-3'] as string, 'utf8')).trim();
    assert.equal((await auth.authenticate(bearer(`Bearer ${fresh}`)))?.node, 'node-3');
    assert.equal(await auth.authenticate(bearer(`Bearer ${old}`)), undefined);
    assert.deepEqual(auth.nodes(), ['node-1', 'node-3']);
  });

  test('a broken file keeps the last good credentials and logs an error', async () => {
    const issued = await issueNodeCredentials(join(dir, 'e'), ['node-1']);
    const logger = new RecordingLogger();
    const auth = new NodeTokenAuthenticator({ file: issued.nodesFile, logger });
    await auth.load();
    const token = (await readFile(issued.tokenFiles['node-1'] as string, 'utf8')).trim();
    await writeFile(issued.nodesFile, '{"nodes": {"not-a-hash": "node-9"}}\n');
    assert.equal((await auth.authenticate(bearer(`Bearer ${token}`)))?.node, 'node-1');
    const line = logger.records.find((r) => r.level === 'error');
    assert.ok(line);
    assert.match(String(line.fields['err']), /is not a lower-case sha256 hex digest.*\[AMBIT_CA_CREDENTIALS_FILE\]/);
  });

  test('load() fails fast on a missing or malformed file', async () => {
    const missing = new NodeTokenAuthenticator({ file: join(dir, 'nope.json'), logger: new RecordingLogger() });
    await assert.rejects(missing.load(), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CA_CREDENTIALS_FILE');
    const file = join(dir, 'bad.json');
    await writeFile(file, '[]');
    const bad = new NodeTokenAuthenticator({ file, logger: new RecordingLogger() });
    await assert.rejects(bad.load(), /expected \{"nodes"/);
  });
});
