// onConnect's AbortSignal: a client that cancels its CONNECT before onConnect answers aborts it,
// whether onConnect read the signal before the cancel or only after it. A stream the server
// answers normally never sees an abort while onConnect runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HbonePool, type ConnectRequest, type HboneCredentials } from '../src/index.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID } from './pki.ts';
import { connectOptions, startHbone, withDeadline, type Harness } from './harness.ts';

const READ_FIRST = 1001;
const READ_LATE = 1002;
const ANSWERED = 1003;

let server: Harness;
let clientCreds: HboneCredentials;
const pool = new HbonePool();
/** What onConnect saw, by target port. */
const seen = new Map<number, { abortedAtRead: boolean; aborted: Promise<boolean> }>();

function watchSignal(request: ConnectRequest): { abortedAtRead: boolean; aborted: Promise<boolean> } {
  const signal = request.signal;
  const aborted = signal.aborted ? Promise.resolve(true) : new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true), { once: true }));
  return { abortedAtRead: signal.aborted, aborted };
}

before(async () => {
  const ca = await newCa();
  clientCreds = await issue(ca, CLIENT_ID);
  server = await startHbone(await issue(ca, SERVER_ID), {
    onConnect: async (request) => {
      const port = request.target.port;
      if (port === READ_FIRST) seen.set(port, watchSignal(request));
      // Long enough for the client below to cancel first.
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (port === READ_LATE) seen.set(port, watchSignal(request));
      if (port === ANSWERED) {
        const watched = watchSignal(request);
        seen.set(port, { abortedAtRead: watched.abortedAtRead, aborted: Promise.race([watched.aborted, Promise.resolve(false)]) });
      }
      return { status: 401, reason: 'refused by the test' };
    },
  });
});

after(async () => {
  await pool.close();
  await server.close();
});

async function cancelledConnect(port: number): Promise<void> {
  const connecting = pool.connect({ ...connectOptions(server.port, clientCreds, port, [SERVER_ID]), timeoutMs: 100 });
  // The pool's deadline cancels the stream (RST_STREAM CANCEL) well before onConnect answers.
  await assert.rejects(connecting);
}

test('a client that cancels before onConnect answers aborts the signal read before the cancel', async () => {
  await cancelledConnect(READ_FIRST);
  const watched = seen.get(READ_FIRST);
  assert.ok(watched, 'onConnect did not run');
  assert.equal(watched.abortedAtRead, false);
  assert.equal(await withDeadline(watched.aborted, 5000, 'abort'), true);
});

test('a signal first read after the client cancelled is already aborted', async () => {
  await cancelledConnect(READ_LATE);
  await withDeadline(
    (async () => {
      while (!seen.has(READ_LATE)) await new Promise((resolve) => setTimeout(resolve, 20));
    })(),
    5000,
    'onConnect to read the signal',
  );
  assert.equal(seen.get(READ_LATE)?.abortedAtRead, true);
});

test('a stream the client keeps open sees no abort while onConnect runs', async () => {
  await assert.rejects(pool.connect({ ...connectOptions(server.port, clientCreds, ANSWERED, [SERVER_ID]), timeoutMs: 5000 }), (error: Error & { status?: number }) => error.status === 401);
  assert.equal(seen.get(ANSWERED)?.abortedAtRead, false);
  assert.equal(await seen.get(ANSWERED)?.aborted, false);
});
