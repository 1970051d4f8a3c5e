// The published trust bundle and the rotation driven by POST /debug/rotate-root: files on disk,
// steps in order (409 otherwise), and a restart in the middle keeps the phase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '@ambit/core';
import { TrustBundle } from '@ambit/spiffe';
import { CaService } from '../src/ca/index.ts';
import { loadOrCreateAuthority } from '../src/certificate-authority.ts';
import { RootRotation, recoverRotation, rootFingerprint, TRUST_BUNDLE_FILE } from '../src/root-rotation.ts';

const TD = 'cluster.local';

async function boot(dir: string): Promise<{ ca: CaService; rotation: RootRotation }> {
  await recoverRotation(dir, silentLogger);
  const authority = await loadOrCreateAuthority(dir, TD, silentLogger);
  const ca = new CaService({ authority, authenticator: { authenticate: async () => undefined }, directory: { identitiesOnNode: () => new Set() }, logger: silentLogger, registry: new Registry() });
  const rotation = new RootRotation({ dir, ca, logger: silentLogger, plugin: false });
  await rotation.start();
  return { ca, rotation };
}

async function published(dir: string): Promise<string[]> {
  return TrustBundle.fromPem(await readFile(join(dir, TRUST_BUNDLE_FILE), 'utf8')).roots.map(rootFingerprint);
}

test('rotate-root: start, switch, finish publish the bundle; out-of-order steps are refused with 409; a restart keeps the phase', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-rotation-'));
  try {
    let { ca, rotation } = await boot(dir);
    const oldRoot = rootFingerprint(ca.authority.rootPem);
    assert.deepEqual(await published(dir), [oldRoot]);
    assert.equal((await stat(join(dir, TRUST_BUNDLE_FILE))).mode & 0o777, 0o644);

    for (const step of ['switch', 'finish']) {
      const refused = await rotation.run(step);
      assert.equal(refused.status, 409);
      assert.match(String((refused.body as { error: string }).error), /next step is start/);
    }
    assert.equal((await rotation.run('sideways')).status, 400);

    const started = await rotation.run('start');
    assert.equal(started.status, 200);
    const body = started.body as { phase: string; roots: string[] };
    assert.equal(body.phase, 'publishing');
    assert.equal(body.roots.length, 2);
    const newRoot = body.roots.find((r) => r !== oldRoot) as string;
    assert.deepEqual(await published(dir), [oldRoot, newRoot]);
    assert.equal((await rotation.run('start')).status, 409);

    // A restart in the middle keeps the phase and the union.
    ({ ca, rotation } = await boot(dir));
    assert.equal(ca.rotationPhase, 'publishing');
    assert.deepEqual(rotation.status().roots, [oldRoot, newRoot]);

    const switched = await rotation.run('switch');
    assert.equal(switched.status, 200);
    assert.equal((switched.body as { phase: string }).phase, 'signing-new');
    assert.deepEqual(await published(dir), [newRoot, oldRoot], 'the signing root is listed first');

    ({ ca, rotation } = await boot(dir));
    assert.equal(ca.rotationPhase, 'signing-new');
    assert.equal(rootFingerprint(ca.authority.rootPem), newRoot);

    const finished = await rotation.run('finish');
    assert.equal(finished.status, 200);
    assert.deepEqual((finished.body as { roots: string[] }).roots, [newRoot]);
    assert.deepEqual(await published(dir), [newRoot]);
    assert.equal(existsSync(join(dir, 'next')), false);

    // After a restart the new root is the one loaded.
    ({ ca, rotation } = await boot(dir));
    assert.equal(ca.rotationPhase, 'none');
    assert.equal(rootFingerprint(ca.authority.rootPem), newRoot);
    assert.deepEqual(await published(dir), [newRoot]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
