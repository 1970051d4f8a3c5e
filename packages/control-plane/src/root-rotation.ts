// Root rotation driven through the monitoring port (`POST /debug/rotate-root?phase=...`) and the
// published trust bundle `<CA_DIR>/trust-bundle.pem`, which ztunnels and CNI agents watch
// (docs/adr/0004-ca-root-rotation.md). State on disk, so a restart keeps the phase:
//   <CA_DIR>/self-signed/    the CA loaded on start (the old root during a rotation)
//   <CA_DIR>/next/           the new root, made by `start`
//   <CA_DIR>/rotation.json   {"phase": "publishing" | "signing-new" | "finishing"}
// `finish` swaps next/ into self-signed/ (the old one goes to self-signed.old/ and is removed);
// every step of the swap is idempotent, and a start that finds "finishing" completes it.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { AmbitError, errorMessage, type Logger } from '@ambit/core';
import { CertificateAuthority } from '@ambit/spiffe';
import type { CaService } from './ca/index.ts';

export const TRUST_BUNDLE_FILE = 'trust-bundle.pem';
const STATE_FILE = 'rotation.json';
type PersistedPhase = 'publishing' | 'signing-new' | 'finishing';
export type RotationStep = 'start' | 'switch' | 'finish';

export interface RotationReply {
  status: number;
  body: unknown;
}

export function rootFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** The bundle's roots, the one that signs now first (a switch changes the file, so nodes renew). */
export function publishedRoots(ca: CaService): string[] {
  const roots = ca.trustBundle().roots;
  const own = rootFingerprint(ca.authority.rootPem);
  const signing = roots.find((r) => rootFingerprint(r) === own);
  return signing === undefined ? [...roots] : [signing, ...roots.filter((r) => r !== signing)];
}

/** Writes <dir>/trust-bundle.pem atomically (temporary file + rename), mode 0644. */
export async function writeTrustBundle(dir: string, roots: readonly string[]): Promise<void> {
  const target = join(dir, TRUST_BUNDLE_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, roots.join(''), { mode: 0o644 });
  await chmod(temporary, 0o644);
  await rename(temporary, target);
}

async function readPhase(dir: string): Promise<PersistedPhase | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const phase = (JSON.parse(text) as { phase?: unknown }).phase;
    if (phase === 'publishing' || phase === 'signing-new' || phase === 'finishing') return phase;
  } catch {
    // fall through
  }
  throw new AmbitError('AMBIT_CA_ROTATION', `${join(dir, STATE_FILE)} is not {"phase": "publishing" | "signing-new" | "finishing"}`, {
    hint: 'restore it, or remove it and the next/ directory to abandon the rotation (the old root stays)',
  });
}

async function writePhase(dir: string, phase: PersistedPhase): Promise<void> {
  const target = join(dir, STATE_FILE);
  await writeFile(`${target}.tmp`, `${JSON.stringify({ phase })}\n`, { mode: 0o600 });
  await rename(`${target}.tmp`, target);
}

/** The swap of `finish`, idempotent: safe to run again after a crash at any point. */
async function completeFinish(dir: string): Promise<void> {
  const current = join(dir, 'self-signed');
  const next = join(dir, 'next');
  const old = join(dir, 'self-signed.old');
  if (existsSync(next)) {
    if (existsSync(current)) {
      await rm(old, { recursive: true, force: true });
      await rename(current, old);
    }
    await rename(next, current);
  }
  await rm(join(dir, STATE_FILE), { force: true });
  await rm(old, { recursive: true, force: true });
}

/** Before the CA is loaded: completes a `finish` that a crash interrupted. */
export async function recoverRotation(dir: string, logger: Logger): Promise<void> {
  if ((await readPhase(dir)) !== 'finishing') return;
  await completeFinish(dir);
  logger.info({ dir }, 'completed a root rotation finish interrupted by a restart');
}

export class RootRotation {
  readonly #dir: string;
  readonly #ca: CaService;
  readonly #logger: Logger;
  readonly #plugin: boolean;
  /** Steps run one at a time; a publication runs after the one before it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: { dir: string; ca: CaService; logger: Logger; plugin: boolean }) {
    this.#dir = options.dir;
    this.#ca = options.ca;
    this.#logger = options.logger;
    this.#plugin = options.plugin;
  }

  /** On start: resumes a persisted phase, publishes the bundle, and republishes on every change. */
  async start(): Promise<void> {
    const phase = this.#plugin ? undefined : await readPhase(this.#dir);
    if (phase === 'publishing' || phase === 'signing-new') {
      const next = await CertificateAuthority.load(join(this.#dir, 'next'));
      this.#ca.startRotation(next, { switchSigning: phase === 'signing-new' });
      this.#logger.info({ phase: this.#ca.rotationPhase }, 'resumed the root rotation in progress');
    }
    this.#ca.onTrustBundleChange(() => void this.publish());
    await this.publish();
  }

  /** Writes trust-bundle.pem; a failure is logged and the next change writes again. */
  publish(): Promise<void> {
    const run = this.#queue.then(async () => {
      try {
        await writeTrustBundle(this.#dir, publishedRoots(this.#ca));
      } catch (error) {
        this.#logger.error({ err: errorMessage(error), dir: this.#dir }, 'could not publish the trust bundle');
      }
    });
    this.#queue = run;
    return run;
  }

  status(): { phase: string; roots: string[]; signingRoot: string } {
    return { phase: this.#ca.rotationPhase, roots: publishedRoots(this.#ca).map(rootFingerprint), signingRoot: rootFingerprint(this.#ca.authority.rootPem) };
  }

  /** One step of `POST /debug/rotate-root?phase=...`; never throws. */
  run(step: string | null): Promise<RotationReply> {
    const result = this.#queue.then(() => this.#step(step));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #step(step: string | null): Promise<RotationReply> {
    const refuse = (status: number, message: string, hint: string): RotationReply => ({ status, body: { error: message, code: 'AMBIT_CA_ROTATION', hint, ...this.status() } });
    if (step !== 'start' && step !== 'switch' && step !== 'finish') return refuse(400, `phase must be start, switch or finish, got ${JSON.stringify(step)}`, 'POST /debug/rotate-root?phase=start');
    if (this.#plugin) return refuse(409, 'the control plane signs with a plug-in CA; rotate it by replacing the plug-in files', 'see docs/adr/0004-ca-root-rotation.md');
    const phase = this.#ca.rotationPhase;
    const expected: Record<RotationStep, string> = { start: 'none', switch: 'publishing', finish: 'signing-new' };
    if (phase !== expected[step]) {
      const next = phase === 'none' ? 'start' : phase === 'publishing' ? 'switch' : 'finish';
      return refuse(409, `cannot ${step}: the rotation is in phase ${phase}; the next step is ${next}`, `steps run in order: start, switch, finish (now: phase=${next})`);
    }
    try {
      if (step === 'start') {
        const nextDir = join(this.#dir, 'next');
        await rm(nextDir, { recursive: true, force: true });
        await mkdir(nextDir, { recursive: true, mode: 0o700 });
        const next = await CertificateAuthority.createSelfSigned({ trustDomain: this.#ca.trustDomain });
        await next.save(nextDir);
        await writePhase(this.#dir, 'publishing');
        this.#ca.startRotation(next);
      } else if (step === 'switch') {
        await writePhase(this.#dir, 'signing-new');
        this.#ca.switchSigning();
      } else {
        await writePhase(this.#dir, 'finishing');
        this.#ca.finishRotation();
        await completeFinish(this.#dir);
      }
      await this.#publishNow();
      this.#logger.info({ step, ...this.status() }, 'root rotation step done');
      return { status: 200, body: this.status() };
    } catch (error) {
      this.#logger.error({ step, err: errorMessage(error) }, 'root rotation step failed');
      return { status: 500, body: { error: errorMessage(error), code: error instanceof AmbitError ? error.code : 'AMBIT_CA_ROTATION', ...this.status() } };
    }
  }

  async #publishNow(): Promise<void> {
    await writeTrustBundle(this.#dir, publishedRoots(this.#ca));
  }
}
