// Root rotation as docs/adr/0004-ca-root-rotation.md describes it, with time simulated through
// verifyPeerChain's `now`: publish old+new, switch signing, drop the old root after the last old
// leaf expired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateAuthority, generateKeyPair, makeIntermediateCa, makeRootCa, TrustBundle, verifyPeerChain } from '../src/index.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

const ID = 'spiffe://cluster.local/ns/default/sa/web';
const DAY = 86_400;

async function leafFrom(ca: CertificateAuthority): Promise<string[]> {
  return (await ca.sign({ publicKey: (await generateKeyPair()).publicKey, identity: ID, ttlSeconds: DAY })).certChain;
}

async function verdict(chain: string[], bundle: TrustBundle, now = new Date()): Promise<string> {
  const result = await verifyPeerChain(chain, { bundle, expectedIdentity: ID, now });
  return result.ok ? 'ok' : result.code;
}

test('root rotation: both generations verify against the union, only new ones after the old root is dropped', async () => {
  // Phase 0: the old CA signs; everybody trusts only the old root.
  const oldCa = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local', commonName: 'old' });
  const oldLeaf = await leafFrom(oldCa);
  assert.equal(await verdict(oldLeaf, oldCa.bundle), 'ok');

  // Phase 1: a new root exists; the CA publishes old+new (signing unchanged) and clients pick it up.
  const newRoot = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local', commonName: 'new' });
  const union = oldCa.bundle.merge(newRoot.bundle);
  assert.equal(union.size, 2);
  assert.equal(oldCa.withTrustBundle(newRoot.bundle).bundle.toPem(), union.toPem());

  // Phase 2: signing switches to the new root while both are trusted.
  const newCa = newRoot.withTrustBundle(oldCa.bundle);
  assert.equal(newCa.bundle.size, 2);
  const newLeaf = await leafFrom(newCa);
  assert.equal(await verdict(oldLeaf, union), 'ok', 'old leaves keep working during the overlap');
  assert.equal(await verdict(newLeaf, union), 'ok', 'new leaves work for clients that hold the union');
  assert.equal(await verdict(newLeaf, oldCa.bundle), 'AMBIT_SPIFFE_UNTRUSTED', 'why the union must reach every client before the switch');

  // Phase 3: once every old leaf has expired (24 h + skew), the old root is dropped.
  const afterOldExpired = new Date(Date.parse(new X509Certificate(oldLeaf[0] as string).validTo) + 1000); // read without the code under test
  assert.equal(await verdict(oldLeaf, union, afterOldExpired), 'AMBIT_SPIFFE_EXPIRED');
  const finalBundle = union.without(oldCa.bundle.roots);
  assert.deepEqual(finalBundle.roots, newRoot.bundle.roots);
  assert.equal(await verdict(newLeaf, finalBundle), 'ok');
  assert.equal(await verdict(oldLeaf, finalBundle), 'AMBIT_SPIFFE_UNTRUSTED');
  assert.equal(await verdict(await leafFrom(newCa), finalBundle), 'ok');
});

test('rotation with same-named roots (Istio names every self-signed root O=cluster.local)', async () => {
  const a = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
  const b = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
  const union = a.bundle.merge(b.bundle);
  assert.equal(await verdict(await leafFrom(a), union), 'ok');
  assert.equal(await verdict(await leafFrom(b), union), 'ok');
});

test('plug-in CA rotation: a root-cert.pem holding two roots is the published bundle', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'ambit-rotation-'));
  try {
    const oldRoot = await makeRootCa({});
    const newRoot = await makeRootCa({});
    const files = await makeIntermediateCa({ root: newRoot, cluster: 'c1' });
    await writeFile(join(tmp, 'ca-cert.pem'), files.caCertPem);
    await writeFile(join(tmp, 'ca-key.pem'), files.caKeyPem);
    await writeFile(join(tmp, 'cert-chain.pem'), files.certChainPem);
    await writeFile(join(tmp, 'root-cert.pem'), oldRoot.certPem + newRoot.certPem);
    const ca = await CertificateAuthority.fromFiles(tmp);
    assert.equal(ca.bundle.size, 2);
    assert.equal(ca.rootPem, newRoot.certPem);
    assert.equal(await verdict(await leafFrom(ca), TrustBundle.fromPem(oldRoot.certPem + newRoot.certPem)), 'ok');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
