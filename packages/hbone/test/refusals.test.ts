// Status codes and identity checks: 400 for non-CONNECT and bad authorities (onConnect not
// called), 401/503 from onConnect reach the client as rejections carrying the status, the client
// refuses an unexpected server identity, the server refuses forged, expired and foreign-domain
// client certificates (counted by reason).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session } from 'node:http2';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, AmbitError } from '@ambit/core';
import { exportPrivateKeyPem, importPrivateKeyPem, istioIdentity, type CertificateAuthority } from '@ambit/spiffe';
import { HbonePool, HboneRefusedError, type HboneCredentials, type ConnectResult } from '../src/index.ts';
import { makeCert, HOUR, x509, type Issued } from '../../spiffe/test/hostile.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID } from './pki.ts';
import { connectOptions, startHbone, withDeadline, type Harness } from './harness.ts';

let ca: CertificateAuthority;
let server: Harness;
let serverCreds: HboneCredentials;
let clientCreds: HboneCredentials;
let onConnectCalls = 0;
/** What onConnect answers, by target port. */
const answers = new Map<number, ConnectResult>();
const pools: HbonePool[] = [];

before(async () => {
  ca = await newCa();
  serverCreds = await issue(ca, SERVER_ID);
  clientCreds = await issue(ca, CLIENT_ID);
  server = await startHbone(serverCreds, {
    onConnect: async (request) => {
      onConnectCalls++;
      return answers.get(request.target.port) ?? { status: 503, reason: 'no answer configured' };
    },
  });
});

after(async () => {
  for (const p of pools) await p.close();
  await server.close();
});

function newPool(): HbonePool {
  const pool = new HbonePool();
  pools.push(pool);
  return pool;
}

/** A plain node:http2 client with the mesh client certificate, for requests the pool never sends. */
async function rawSession(credentials: HboneCredentials): Promise<ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${server.port}`, {
    key: credentials.keyPem,
    cert: credentials.certChainPem.join('\n'),
    ca: [...credentials.trustBundle.roots],
    checkServerIdentity: () => undefined,
  });
  session.on('error', () => {});
  await withDeadline(new Promise((resolve, reject) => {
    session.once('connect', resolve);
    session.once('close', () => reject(new Error('closed')));
  }), 5000, 'raw session');
  return session;
}

async function status(session: ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<number> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => {});
  const response = await withDeadline(new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('close', () => reject(new Error(`closed with RST ${stream.rstCode}`)));
  }), 5000, 'response');
  stream.close();
  return Number(response[':status']);
}

test('400 for a method other than CONNECT, without calling onConnect', async () => {
  const session = await rawSession(clientCreds);
  const calls = onConnectCalls;
  try {
    assert.equal(await status(session, { ':method': 'GET', ':path': '/' }), 400);
    assert.equal(await status(session, { ':method': 'POST', ':path': '/x', ':authority': '127.0.0.1:80' }), 400);
  } finally {
    session.close();
  }
  assert.equal(onConnectCalls, calls);
});

test('400 for a bad authority, without calling onConnect', async () => {
  const session = await rawSession(clientCreds);
  const calls = onConnectCalls;
  try {
    for (const authority of ['example.com:80', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:80', `${'1'.repeat(100)}:80`]) {
      assert.equal(await status(session, { ':method': 'CONNECT', ':authority': authority }), 400, authority);
    }
  } finally {
    session.close();
  }
  assert.equal(onConnectCalls, calls);
  const info = await waitFor(() => server.closed.find((c) => c.authority === 'example.com:80'), { timeoutMs: 2000, what: 'closed record' });
  assert.equal(info.status, 400);
  assert.match(info.reason ?? '', /not an IP address/);
});

for (const code of [401, 503] as const) {
  test(`${code} from onConnect reaches the client as a rejection carrying the status`, async () => {
    const port = 20000 + code;
    answers.set(port, { status: code, reason: 'test' });
    const error = await newPool()
      .connect(connectOptions(server.port, clientCreds, port, [SERVER_ID]))
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof HboneRefusedError, String(error));
    assert.equal(error.status, code);
    assert.equal(error.code, `AMBIT_HBONE_REFUSED_${code}`);
  });
}

test('an onConnect that answers nothing usable becomes 503', async () => {
  const port = 20999;
  answers.set(port, undefined as unknown as ConnectResult);
  const error = await newPool()
    .connect(connectOptions(server.port, clientCreds, port, [SERVER_ID]))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof HboneRefusedError);
  assert.equal(error.status, 503);
});

test('the client refuses a server whose identity is not expected', async () => {
  const other = istioIdentity('cluster.local', 'default', 'someone-else');
  const pool = newPool();
  const error = await pool.connect(connectOptions(server.port, clientCreds, 1, [other])).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof AmbitError);
  assert.equal(error.code, 'AMBIT_HBONE_IDENTITY');
  assert.match(error.message, /presented spiffe:\/\/cluster\.local\/ns\/default\/sa\/server/);
  assert.equal(pool.stats().sessions, 0);
});

test('the client refuses a server of another CA', async () => {
  const foreign = await newCa();
  const impostor = await startHbone(await issue(foreign, SERVER_ID));
  try {
    const error = await newPool().connect(connectOptions(impostor.port, clientCreds, 1, [SERVER_ID])).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof AmbitError);
    assert.equal(error.code, 'AMBIT_HBONE_IDENTITY');
  } finally {
    await impostor.close();
  }
});

/** Connects with `credentials` and expects the server to refuse the connection with `reason`. */
async function expectRefused(credentials: HboneCredentials, reasons: string[]): Promise<void> {
  const count = (): number => reasons.reduce((n, r) => n + (server.hbone.stats().rejectedConnections[r] ?? 0), 0);
  const before = count();
  const error = await newPool().connect(connectOptions(server.port, credentials, 1, [SERVER_ID], { timeoutMs: 5000 })).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof AmbitError, String(error));
  assert.ok(['AMBIT_HBONE_TLS', 'AMBIT_HBONE_STREAM'].includes(error.code), error.code);
  await waitFor(() => count() > before, { timeoutMs: 5000, what: `a ${reasons.join('/')} rejection` });
}

test('the server refuses a client certificate signed by another CA', async () => {
  const forger = await newCa();
  const forged = await issue(forger, CLIENT_ID);
  // The forger trusts the real roots, so only the server's check can stop it.
  await expectRefused({ ...forged, trustBundle: ca.bundle }, ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
});

test('the server refuses an expired client certificate', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hbone-ca-'));
  try {
    await ca.save(dir);
    const caKey = await importPrivateKeyPem(await readFile(join(dir, 'ca-key.pem'), 'utf8'));
    const rootCert = new x509.X509Certificate(ca.rootPem);
    const issuer = { cert: rootCert, keys: { privateKey: caKey, publicKey: caKey }, pem: ca.rootPem, der: Buffer.from(rootCert.rawData) } as unknown as Issued;
    const now = Date.now();
    const leaf = await makeCert({
      issuer,
      ca: false,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      eku: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
      sans: [{ type: 'url', value: CLIENT_ID }],
      notBefore: new Date(now - 48 * HOUR),
      notAfter: new Date(now - 24 * HOUR),
    });
    const expired: HboneCredentials = { keyPem: await exportPrivateKeyPem(leaf.keys.privateKey), certChainPem: [leaf.pem, ca.rootPem], trustBundle: ca.bundle };
    await expectRefused(expired, ['CERT_HAS_EXPIRED']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the server refuses a client of another trust domain, even under a trusted root', async () => {
  const otherCa = await newCa('other.local');
  const union = ca.bundle.merge(otherCa.bundle);
  const mixed = await startHbone({ ...serverCreds, trustBundle: union });
  try {
    const foreigner = await issue(otherCa, istioIdentity('other.local', 'default', 'client'), union);
    const before = mixed.hbone.stats().rejectedConnections['AMBIT_SPIFFE_WRONG_TRUST_DOMAIN'] ?? 0;
    const error = await newPool().connect(connectOptions(mixed.port, foreigner, 1, [SERVER_ID], { timeoutMs: 5000 })).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof AmbitError, String(error));
    await waitFor(() => (mixed.hbone.stats().rejectedConnections['AMBIT_SPIFFE_WRONG_TRUST_DOMAIN'] ?? 0) > before, { timeoutMs: 5000, what: 'a trust domain rejection' });
    // A client of our own domain under the same union bundle is served.
    const ok = await newPool().connect(connectOptions(mixed.port, { ...clientCreds, trustBundle: union }, 1, [SERVER_ID])).then(() => 'ok', (e: unknown) => e);
    assert.ok(ok instanceof HboneRefusedError && ok.status === 503, String(ok));
  } finally {
    await mixed.close();
  }
});

test('bad input to connect() is refused before any I/O', async () => {
  const pool = newPool();
  let dialed = 0;
  const dial = async (): Promise<never> => {
    dialed++;
    throw new Error('no');
  };
  await assert.rejects(pool.connect({ ...connectOptions(server.port, clientCreds, 1, [SERVER_ID]), authority: 'host:80', dial }), { code: 'AMBIT_HBONE_BAD_AUTHORITY' });
  await assert.rejects(pool.connect({ ...connectOptions(server.port, clientCreds, 1, [SERVER_ID]), headers: { baggage: 'a=b\r\nx: y' }, dial }), { code: 'AMBIT_HBONE_BAD_HEADER' });
  await assert.rejects(pool.connect({ ...connectOptions(server.port, clientCreds, 1, []), dial }), { code: 'AMBIT_HBONE_IDENTITY' });
  assert.equal(dialed, 0);
  await assert.rejects(pool.connect({ ...connectOptions(server.port, clientCreds, 1, [SERVER_ID]), dial }), { code: 'AMBIT_HBONE_DIAL' });
  assert.equal(pool.stats().sessions, 0);
});
