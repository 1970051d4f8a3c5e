// Root rotation as the server lives it: the new CA signs, the bundle is the union of both roots
// while old-signed leaves are still in use, and the serving certificate follows the new root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AmbitError } from '@ambit/core';
import { CertificateAuthority, TrustBundle, verifyPeerChain } from '@ambit/spiffe';
import { startHarness, TD, WEB, ZTUNNEL, type Harness } from './ca-harness.ts';

describe('CA root rotation', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ renewable: true });
    h.serving.startAutoRenew();
  });
  after(async () => {
    await h?.close();
  });

  test('through the three steps of ADR 0004: old- and new-signed leaves verify against the union, new ones chain to the new root', async () => {
    const oldRoot = h.authority.rootPem;
    const before = await h.call(h.client(), await h.request(WEB));
    assert.equal(before.ok, true);
    if (!before.ok) return;
    assert.equal(before.certChain.at(-1), oldRoot);

    const next = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
    const published: string[][] = [];
    const unsubscribe = h.service.onTrustBundleChange((bundle) => published.push([...bundle.roots]));

    // Step 1 (ADR 0004): publish the union; the old CA still signs.
    const union = h.service.startRotation(next);
    assert.equal(h.service.rotationPhase, 'publishing');
    assert.deepEqual(union.roots, [oldRoot, next.rootPem]);
    assert.deepEqual(published, [[oldRoot, next.rootPem]]);
    const published1 = await h.call(h.client(union.toPem()), await h.request(WEB));
    assert.equal(published1.ok && published1.certChain.at(-1), oldRoot, 'still signed by the old root in step 1');

    // Step 2: the new CA signs; the bundle stays the union.
    assert.deepEqual(h.service.switchSigning().roots, [oldRoot, next.rootPem]);
    assert.equal(h.service.rotationPhase, 'signing-new');
    assert.equal(h.service.authority, next);

    // A client that has picked up the union bundle reaches the server and gets a new-root leaf.
    const during = await h.call(h.client(union.toPem()), await h.request(WEB));
    assert.equal(during.ok, true);
    if (!during.ok) return;
    assert.equal(during.certChain.at(-1), next.rootPem);
    assert.notEqual(during.certChain.at(-1), oldRoot);

    for (const chain of [before.certChain, during.certChain]) {
      const check = await verifyPeerChain(chain, { bundle: union, expectedIdentity: WEB });
      assert.equal(check.ok, true, check.ok ? '' : check.reason);
    }
    // The new leaf does not verify against the old root alone: the union is what makes it work.
    const oldOnly = await verifyPeerChain(during.certChain, { bundle: TrustBundle.fromPem(oldRoot) });
    assert.equal(oldOnly.ok, false);

    const finished = h.service.finishRotation();
    assert.deepEqual(finished.roots, [next.rootPem]);
    assert.equal(h.service.rotating, false);
    assert.equal(h.service.rotationPhase, 'none');
    assert.equal((await verifyPeerChain(before.certChain, { bundle: finished })).ok, false, 'old leaves are no longer trusted');
    assert.equal((await verifyPeerChain(during.certChain, { bundle: finished, expectedIdentity: WEB })).ok, true);
    unsubscribe();
  });

  test('after the rotation the server presents a new-root certificate: new-root clients connect, old-root ones do not', async () => {
    // startAutoRenew renewed the serving certificate on each bundle change; wait for the last one.
    const deadline = Date.now() + 5000;
    const newRoot = h.service.authority.rootPem;
    while (!h.serving.certChainPem.endsWith(newRoot) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.ok(h.serving.certChainPem.endsWith(newRoot));
    const ok = await h.call(h.client(newRoot), await h.request(ZTUNNEL));
    assert.equal(ok.ok, true, ok.ok ? '' : ok.details);
    const stale = await h.call(h.client(h.authority.rootPem), await h.request(ZTUNNEL));
    assert.equal(stale.ok, false);
  });

  test('steps out of order, a second rotation or another trust domain are refused', async () => {
    const foreign = await CertificateAuthority.createSelfSigned({ trustDomain: 'other.example' });
    assert.throws(() => h.service.startRotation(foreign), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CA_ROTATION' && /other.example/.test(e.message));
    assert.throws(() => h.service.finishRotation(), /no root rotation is in progress/);
    const next = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
    h.service.startRotation(next);
    assert.throws(() => h.service.startRotation(next), /already in progress \(publishing\)/);
    assert.throws(() => h.service.finishRotation(), /signing has not switched to the new CA yet/);
    h.service.switchSigning();
    assert.throws(() => h.service.switchSigning(), /already switched/);
    h.service.finishRotation();
    assert.deepEqual(h.service.trustBundle().roots, [next.rootPem]);
  });
});
