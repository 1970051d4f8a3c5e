// CaClient against a real grpc-js server on 127.0.0.1 over TLS: a tiny istiod that checks the
// bearer token, allows impersonation only of identities in an allow-list, and signs the CSR's own
// public key with a real CertificateAuthority. Modes make it misbehave on purpose.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { AmbitError } from '@ambit/core';
import { CertificateAuthority, exportPrivateKeyPem, generateKeyPair, inspectCsr, istioIdentity, verifyPeerChain } from '@ambit/spiffe';
import { loadCaServiceDefinition, type ca, type Init } from '@ambit/xds-types';
import { CaClient, CaError, caChannelCredentials, CertificateManager, type CaClientOptions } from '../src/index.ts';
import { DB, RecordingLogger, TD, WEB, ZTUNNEL } from './helpers.ts';

const TOKEN = 'node-1-secret-token-0123456789';
const ISTIOD = istioIdentity(TD, 'istio-system', 'istiod');

type Mode = 'normal' | 'wrong-identity' | 'other-key' | 'foreign-root' | 'leaf-only' | 'garbage' | 'hang' | 'internal';

interface Seen {
  authorization: string | undefined;
  impersonated: string | undefined;
  metadataFields: string[];
  validity: string;
  csrIdentity: string;
}

interface FakeIstiod {
  ca: CertificateAuthority;
  other: CertificateAuthority;
  address: string;
  mode: Mode;
  allow: Set<string>;
  seen: Seen[];
  hanging: grpc.sendUnaryData<Init<ca.IstioCertificateResponse>>[];
  close(): Promise<void>;
}

async function startIstiod(): Promise<FakeIstiod> {
  const authority = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
  const other = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
  const serverKeys = await generateKeyPair();
  const serving = await authority.sign({ publicKey: serverKeys.publicKey, identity: ISTIOD, ttlSeconds: 3600, dnsNames: ['istiod.istio-system.svc'], ipAddresses: ['127.0.0.1'] });
  const server = new grpc.Server();
  const state: FakeIstiod = {
    ca: authority,
    other,
    address: '',
    mode: 'normal',
    allow: new Set([WEB]),
    seen: [],
    hanging: [],
    close: async () => {
      for (const cb of state.hanging) cb({ code: grpc.status.UNAVAILABLE, details: 'shutting down' });
      server.forceShutdown();
    },
  };
  server.addService(loadCaServiceDefinition(), {
    CreateCertificate: (call: grpc.ServerUnaryCall<ca.IstioCertificateRequest, Init<ca.IstioCertificateResponse>>, callback: grpc.sendUnaryData<Init<ca.IstioCertificateResponse>>) => {
      void (async () => {
        const authorization = call.metadata.get('authorization')[0]?.toString();
        if (authorization !== `Bearer ${TOKEN}`) return callback({ code: grpc.status.UNAUTHENTICATED, details: 'unknown node credential' });
        const impersonated = call.request.metadata?.fields['ImpersonatedIdentity']?.stringValue;
        const requested = impersonated || ZTUNNEL;
        const info = await inspectCsr(call.request.csr);
        state.seen.push({ authorization, impersonated, metadataFields: Object.keys(call.request.metadata?.fields ?? {}), validity: call.request.validity_duration, csrIdentity: info.identities[0] ?? '' });
        if (requested !== ZTUNNEL && !state.allow.has(requested)) return callback({ code: grpc.status.PERMISSION_DENIED, details: `node/node-1 may not obtain a certificate for "${requested}"` });
        if (info.identities[0] !== requested) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'CSR SAN does not match' });
        const ttlSeconds = Number(call.request.validity_duration) || 86_400;
        switch (state.mode) {
          case 'hang':
            state.hanging.push(callback);
            return;
          case 'internal':
            return callback({ code: grpc.status.INTERNAL, details: 'signer exploded' });
          case 'garbage':
            return callback(null, { cert_chain: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', authority.rootPem] });
          case 'wrong-identity': {
            const issued = await authority.sign({ publicKey: info.publicKey, identity: requested === WEB ? DB : WEB, ttlSeconds });
            return callback(null, { cert_chain: issued.certChain });
          }
          case 'other-key': {
            const keys = await generateKeyPair();
            const issued = await authority.sign({ publicKey: keys.publicKey, identity: requested, ttlSeconds });
            return callback(null, { cert_chain: issued.certChain });
          }
          case 'foreign-root': {
            const issued = await authority.sign({ publicKey: info.publicKey, identity: requested, ttlSeconds });
            return callback(null, { cert_chain: [issued.certChain[0] as string, other.rootPem] });
          }
          case 'leaf-only': {
            const issued = await authority.sign({ publicKey: info.publicKey, identity: requested, ttlSeconds });
            return callback(null, { cert_chain: [issued.certChain[0] as string] });
          }
          default: {
            const issued = await authority.sign({ publicKey: info.publicKey, identity: requested, ttlSeconds });
            return callback(null, { cert_chain: issued.certChain });
          }
        }
      })().catch((error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }));
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(await exportPrivateKeyPem(serverKeys.privateKey)), cert_chain: Buffer.from(serving.certChain[0] as string) }], false);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, p) => (error ? reject(error) : resolve(p))));
  state.address = `127.0.0.1:${port}`;
  return state;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof AmbitError ? error.code : undefined;
}

function expectCode(code: string, grpcCode?: number) {
  return (error: unknown): boolean => {
    assert.equal(codeOf(error), code, error instanceof Error ? error.message : String(error));
    if (grpcCode !== undefined) assert.equal((error as CaError).grpcCode, grpcCode);
    assert.doesNotMatch((error as Error).message, new RegExp(TOKEN), 'the token never appears in errors');
    return true;
  };
}

describe('CaClient against a TLS grpc-js CA', () => {
  let istiod: FakeIstiod;
  const clients: CaClient[] = [];
  const holders: NetServer[] = [];
  const heldSockets: Socket[] = [];

  before(async () => {
    istiod = await startIstiod();
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const s of heldSockets) s.destroy();
    for (const h of holders) h.close();
    await istiod.close();
  });

  function client(extra: Partial<CaClientOptions> = {}, roots?: string): CaClient {
    const channel = caChannelCredentials(roots ?? istiod.ca.rootPem, { trustDomain: TD });
    const c = new CaClient({ address: istiod.address, credentials: channel.credentials, channelOptions: channel.channelOptions, token: () => TOKEN, nodeIdentity: ZTUNNEL, timeoutMs: 5000, ...extra });
    clients.push(c);
    return c;
  }

  test("the node's own identity is requested without ImpersonatedIdentity and comes back verified", async () => {
    istiod.mode = 'normal';
    istiod.seen.length = 0;
    const cert = await client().request(ZTUNNEL, 3600);
    assert.deepEqual(istiod.seen, [{ authorization: `Bearer ${TOKEN}`, impersonated: undefined, metadataFields: [], validity: '3600', csrIdentity: ZTUNNEL }]);
    assert.equal(cert.identity, ZTUNNEL);
    assert.equal(cert.certChainPem.length, 2);
    assert.equal(cert.certChainPem.at(-1), istiod.ca.rootPem, 'root last, as sent');
    assert.ok(cert.trustBundle.has(istiod.ca.rootPem));
    const check = await verifyPeerChain(cert.certChainPem, { bundle: istiod.ca.bundle, expectedIdentity: ZTUNNEL });
    assert.equal(check.ok, true);
    const leaf = new X509Certificate(cert.certChainPem[0] as string);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(cert.keyPem)), 'the key is the one the leaf certifies');
    assert.equal(createPrivateKey(cert.keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.notAfter.getTime(), leaf.validToDate.getTime());
    assert.equal(cert.notBefore.getTime(), leaf.validFromDate.getTime());
    assert.ok(Math.abs(cert.notAfter.getTime() - Date.now() - 3600_000) < 120_000);
  });

  test('a pod identity is requested with metadata.ImpersonatedIdentity; every request has a fresh key and re-reads the token', async () => {
    istiod.mode = 'normal';
    istiod.seen.length = 0;
    let reads = 0;
    const c = client({
      token: async () => {
        reads += 1;
        return `${TOKEN}\n`; // as read from a token file
      },
    });
    const a = await c.request(WEB, 86_400);
    const b = await c.request(WEB, 86_400);
    assert.equal(reads, 2);
    assert.deepEqual(
      istiod.seen.map((s) => [s.impersonated, s.metadataFields, s.validity, s.csrIdentity]),
      [
        [WEB, ['ImpersonatedIdentity'], '86400', WEB],
        [WEB, ['ImpersonatedIdentity'], '86400', WEB],
      ],
    );
    assert.equal(a.identity, WEB);
    assert.notEqual(a.keyPem, b.keyPem, 'a fresh key per request');
    assert.notEqual(a.certChainPem[0], b.certChainPem[0]);
  });

  test('refusals surface as AMBIT_ZTUNNEL_CA_* with the gRPC status', async () => {
    istiod.mode = 'normal';
    await assert.rejects(client().request(DB, 3600), expectCode('AMBIT_ZTUNNEL_CA_DENIED', grpc.status.PERMISSION_DENIED));
    await assert.rejects(client({ token: () => 'stolen' }).request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_UNAUTHENTICATED', grpc.status.UNAUTHENTICATED));
    istiod.mode = 'internal';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_ERROR', grpc.status.INTERNAL));
    istiod.mode = 'normal';
    // The denial message from the CA is kept for operators.
    await assert.rejects(client().request(DB, 3600), /may not obtain a certificate for .*sa\/db.*PERMISSION_DENIED|PERMISSION_DENIED.*may not obtain/);
  });

  test('the node credential is checked before anything is sent', async () => {
    const empty = client({ token: () => '  ' });
    await assert.rejects(empty.request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_TOKEN'));
    const broken = client({
      token: () => {
        throw new Error('ENOENT: /var/run/secrets/tokens/istio-token');
      },
    });
    await assert.rejects(broken.request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_TOKEN'));
  });

  test('requests this client must not make are refused locally', async () => {
    const c = client();
    await assert.rejects(c.request('spiffe://other.domain/ns/app/sa/web', 3600), expectCode('AMBIT_ZTUNNEL_CA_BAD_REQUEST'));
    await assert.rejects(c.request('not a spiffe id', 3600), expectCode('AMBIT_ZTUNNEL_CA_BAD_REQUEST'));
    await assert.rejects(c.request(WEB, 0), expectCode('AMBIT_ZTUNNEL_CA_BAD_REQUEST'));
    await assert.rejects(c.request(WEB, 1.5), expectCode('AMBIT_ZTUNNEL_CA_BAD_REQUEST'));
  });

  test('a certificate for the WRONG identity is refused', async () => {
    istiod.mode = 'wrong-identity';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_WRONG_IDENTITY'));
    await assert.rejects(client().request(ZTUNNEL, 3600), expectCode('AMBIT_ZTUNNEL_CA_WRONG_IDENTITY'));
  });

  test('a leaf that does not chain to the returned root is refused', async () => {
    istiod.mode = 'foreign-root';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_UNTRUSTED'));
  });

  test('a leaf for another key, a chain without a root, and garbage are refused', async () => {
    istiod.mode = 'other-key';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_BAD_RESPONSE'));
    istiod.mode = 'leaf-only';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_BAD_RESPONSE'));
    istiod.mode = 'garbage';
    await assert.rejects(client().request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_BAD_RESPONSE'));
    istiod.mode = 'normal';
  });

  test("the server's TLS identity is verified: another root, or another SPIFFE ID, means no connection", async () => {
    istiod.mode = 'normal';
    istiod.seen.length = 0;
    // The client trusts only a root that did not sign the server certificate.
    await assert.rejects(client({}, istiod.other.rootPem).request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_UNAVAILABLE', grpc.status.UNAVAILABLE));
    // Right root, but the server is not the SPIFFE ID we expect (e.g. a workload with a mesh certificate).
    const channel = caChannelCredentials(istiod.ca.rootPem, { trustDomain: TD, serverIdentity: WEB });
    const c = new CaClient({ address: istiod.address, credentials: channel.credentials, channelOptions: channel.channelOptions, token: () => TOKEN, nodeIdentity: ZTUNNEL, timeoutMs: 5000 });
    clients.push(c);
    await assert.rejects(c.request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_UNAVAILABLE', grpc.status.UNAVAILABLE));
    assert.equal(istiod.seen.length, 0, 'the token was never sent to an unverified server');
  });

  test('timeouts are bounded: a CA that never answers, and a peer that never completes TLS', async () => {
    istiod.mode = 'hang';
    const started = Date.now();
    await assert.rejects(client({ timeoutMs: 300 }).request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_TIMEOUT', grpc.status.DEADLINE_EXCEEDED));
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    istiod.mode = 'normal';

    const holder = createServer((socket) => heldSockets.push(socket)); // accepts, then says nothing
    holders.push(holder);
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    const channel = caChannelCredentials(istiod.ca.rootPem, { trustDomain: TD });
    const silent = new CaClient({ address: `127.0.0.1:${port}`, credentials: channel.credentials, channelOptions: channel.channelOptions, token: () => TOKEN, nodeIdentity: ZTUNNEL, timeoutMs: 300 });
    clients.push(silent);
    const t0 = Date.now();
    await assert.rejects(silent.request(WEB, 3600), (e) => ['AMBIT_ZTUNNEL_CA_TIMEOUT', 'AMBIT_ZTUNNEL_CA_UNAVAILABLE'].includes(codeOf(e) ?? ''));
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  });

  test('close() cancels a request in flight and refuses new ones', async () => {
    istiod.mode = 'hang';
    istiod.hanging.length = 0;
    const c = client({ timeoutMs: 30_000 });
    const pending = c.request(WEB, 3600);
    const deadline = Date.now() + 5000;
    while (istiod.hanging.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(istiod.hanging.length, 1, 'the request reached the server');
    c.close();
    await assert.rejects(pending, expectCode('AMBIT_ZTUNNEL_CA_CLOSED'));
    await assert.rejects(c.request(WEB, 3600), expectCode('AMBIT_ZTUNNEL_CA_CLOSED'));
    istiod.mode = 'normal';
  });

  test('CertificateManager with the real client: a new pod waits for its first certificate', async () => {
    istiod.mode = 'normal';
    const manager = new CertificateManager({ client: client(), logger: new RecordingLogger(), minBackoffMs: 50, maxBackoffMs: 200 });
    try {
      manager.acquire(WEB);
      const cert = await manager.wait(WEB, 5000);
      assert.equal(cert.identity, WEB);
      assert.equal(manager.get(WEB), cert);
      const [s] = manager.status();
      assert.equal(s?.state, 'available');
      assert.equal(s?.serialNumber, new X509Certificate(cert.certChainPem[0] as string).serialNumber.toLowerCase());
      const half = cert.notBefore.getTime() + (cert.notAfter.getTime() - cert.notBefore.getTime()) / 2;
      assert.ok(Math.abs(new Date(s?.nextRefresh ?? 0).getTime() - half) <= 1);
      // Denied identity: unavailable with the CA's reason, retried with backoff.
      manager.acquire(DB);
      await assert.rejects(manager.wait(DB, 300), (e: unknown) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_TIMEOUT' && codeOf((e as Error).cause) === 'AMBIT_ZTUNNEL_CA_DENIED');
      assert.equal(manager.status().find((x) => x.identity === DB)?.state, 'unavailable');
    } finally {
      manager.close();
    }
  });
});
