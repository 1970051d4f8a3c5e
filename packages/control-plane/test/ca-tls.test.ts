// Port 15012's TLS: the control plane's serving certificate comes from its own CA, clients that
// do not trust the mesh root cannot connect, and clients need no certificate of their own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { CertificateAuthority, TrustBundle, verifyPeerChain } from '@ambit/spiffe';
import { caClientConstructor } from '@ambit/xds-types';
import { caChannelCredentials, ISTIOD_HOST, istiodIdentity } from '../src/ca/server-tls.ts';
import { startHarness, TD, WEB, type Harness } from './ca-harness.ts';

/** The chain the server presents, read with a plain TLS client that trusts nothing (we verify it ourselves). */
async function presentedChain(port: number): Promise<string[]> {
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: ISTIOD_HOST, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
  try {
    const chain: string[] = [];
    let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
      seen.add(cert.fingerprint256);
      chain.push(`-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`);
      cert = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
    }
    return chain;
  } finally {
    socket.destroy();
  }
}

describe('15012 TLS', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test("the server certificate is istiod's SPIFFE ID and chains to the mesh root", async () => {
    const chain = await presentedChain(h.port);
    assert.ok(chain.length >= 1);
    const check = await verifyPeerChain(chain, { bundle: h.service.trustBundle(), expectedIdentity: istiodIdentity(TD), purpose: 'server' });
    assert.deepEqual(check.ok, true, check.ok ? '' : check.reason);
    assert.equal(h.serving.identity, `spiffe://${TD}/ns/istio-system/sa/istiod`);
  });

  test('the certificate also names istiod.istio-system.svc and the address, for host-name checking clients', async () => {
    const [leaf] = await presentedChain(h.port);
    const san = new X509Certificate(leaf as string).subjectAltName ?? '';
    assert.equal(san, `URI:${istiodIdentity(TD)}, DNS:${ISTIOD_HOST}, DNS:${ISTIOD_HOST}.${TD}, IP Address:127.0.0.1`);
    for (const servername of [ISTIOD_HOST, undefined]) {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: h.port, ca: h.service.trustBundle().toPem(), ALPNProtocols: ['h2'], ...(servername ? { servername } : {}) }, () => {
          resolve(s.authorized);
          s.destroy();
        });
        s.once('error', reject);
      });
      assert.equal(authorized, true, `default host-name check with ${servername ?? 'the IP address'}`);
    }
  });

  test('a client trusting the mesh root connects without a certificate of its own', async () => {
    const result = await h.call(h.client(), await h.request(WEB));
    assert.equal(result.ok, true);
  });

  test('a client that does not trust the mesh root cannot connect', async () => {
    const stranger = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
    const counted = await h.counter('citadel_server_csr_count');
    const result = await h.call(h.client(stranger.rootPem), await h.request(WEB));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(status[result.code], 'UNAVAILABLE', result.details);
    assert.equal(await h.counter('citadel_server_csr_count'), counted, 'nothing reached the CA');
    const after = await h.call(h.client(), await h.request(WEB));
    assert.equal(after.ok, true);
  });

  test('a client expecting another trust domain rejects the server identity', async () => {
    const channel = caChannelCredentials(h.service.trustBundle().toPem(), { trustDomain: 'other.example' });
    const Client = caClientConstructor();
    const client = new Client(`127.0.0.1:${h.port}`, channel.credentials, channel.options);
    try {
      const result = await h.call(client, await h.request(WEB));
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(status[result.code], 'UNAVAILABLE');
    } finally {
      client.close();
    }
  });

  test('the serving certificate is valid for 24 h and its key matches', async () => {
    const remaining = (h.serving.notAfter.getTime() - Date.now()) / 1000;
    assert.ok(Math.abs(remaining - 86_400) < 60);
    assert.match(h.serving.privateKeyPem, /-----BEGIN PRIVATE KEY-----/);
    assert.equal(TrustBundle.fromPem(h.service.trustBundle().toPem()).size, 1);
  });
});
