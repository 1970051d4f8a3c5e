import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HbonePool } from '../src/index.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID } from './pki.ts';
import { connectOptions, echo, readAll, startHbone, startUpstream } from './harness.ts';

test('smoke', async () => {
  const ca = await newCa();
  const server = await startHbone(await issue(ca, SERVER_ID));
  const up = await startUpstream(echo);
  const pool = new HbonePool();
  try {
    const stream = await pool.connect(connectOptions(server.port, await issue(ca, CLIENT_ID), up.port, [SERVER_ID]));
    stream.end('hello');
    assert.equal((await readAll(stream)).toString(), 'hello');
    console.log(pool.stats(), server.hbone.stats());
  } finally {
    await pool.close();
    await server.close();
    await up.close();
  }
});
