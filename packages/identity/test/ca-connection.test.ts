// CaConnection across a root change, against a CA that accepts TCP and never answers: a request
// already in flight keeps its own client (it ends by its own deadline, not by being cancelled),
// later requests go to the new client, and close() ends everything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { CertificateAuthority } from '@ambit/spiffe';
import { CaConnection, CaError, IDENTITY_CODES } from '../src/index.ts';
import { TD, WEB, ZTUNNEL } from './helpers.ts';

let silent: Server;
const sockets = new Set<Socket>();
let address = '';
let rootsA = '';
let rootsB = '';

before(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  rootsA = (await CertificateAuthority.createSelfSigned({ trustDomain: TD })).rootPem;
  rootsB = (await CertificateAuthority.createSelfSigned({ trustDomain: TD })).rootPem;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    assert.ok(error instanceof CaError, `not a CaError: ${String(error)}`);
    return error.code;
  }
};

test('a request in flight when the roots change ends by its deadline, not cancelled; close() cancels the rest', async () => {
  const ca = new CaConnection(rootsA, { address, trustDomain: TD, token: () => 'token', nodeIdentity: ZTUNNEL, timeoutMs: 300 });
  const channelA = ca.channel;
  const inFlight = codeOf(ca.request(WEB, 3600));
  // Let the first request reach its client before the roots change.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const channelB = ca.setRoots(rootsB);
  assert.notEqual(channelB, channelA);
  assert.equal(ca.channel, channelB);
  // The retired client is kept for its deadline plus a second: the request fails as any
  // unanswered request does, and not with "the CA client was closed".
  const first = await inFlight;
  assert.notEqual(first, IDENTITY_CODES.caClosed);
  assert.notEqual(first, 'resolved');
  const later = codeOf(ca.request(WEB, 3600));
  ca.close();
  assert.equal(await later, IDENTITY_CODES.caClosed);
  assert.equal(await codeOf(ca.request(WEB, 3600)), IDENTITY_CODES.caClosed);
});
