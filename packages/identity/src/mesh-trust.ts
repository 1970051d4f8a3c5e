// The roots HBONE peers are verified against: the certificate's own chain root (what the CA sent
// with it) plus every root of the published trust bundle (ROOT_CA, rewritten during a root
// rotation, docs/adr/0004). One credential object per (certificate, bundle), so the HBONE pool and
// servers reuse one TLS context until either changes.
import { X509Certificate } from 'node:crypto';
import { errorMessage, type Logger } from '@ambit/core';
import type { HboneCredentials } from '@ambit/hbone';
import { TrustBundle } from '@ambit/spiffe';
import type { WorkloadCertificate } from './workload-certificate.ts';

export class MeshTrust {
  #bundle: TrustBundle | undefined;
  #cache = new WeakMap<WorkloadCertificate, HboneCredentials>();

  constructor(bundle: TrustBundle | undefined) {
    this.#bundle = bundle;
  }

  /** The published bundle (undefined when ROOT_CA could not be read as one). */
  get bundle(): TrustBundle | undefined {
    return this.#bundle;
  }

  /** SHA-256 fingerprints (colon hex) of the published roots, in file order. */
  fingerprints(): string[] {
    return (this.#bundle?.roots ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
  }

  setBundle(bundle: TrustBundle): void {
    this.#bundle = bundle;
    this.#cache = new WeakMap();
  }

  /** `cert` with the union of its own root and the published roots as the peers' trust anchors. */
  credentials(cert: WorkloadCertificate): HboneCredentials {
    const bundle = this.#bundle;
    if (bundle === undefined) return cert;
    let credentials = this.#cache.get(cert);
    if (credentials === undefined) {
      credentials = { keyPem: cert.keyPem, certChainPem: cert.certChainPem, trustBundle: cert.trustBundle.merge(bundle) };
      this.#cache.set(cert, credentials);
    }
    return credentials;
  }
}

/** The roots of ROOT_CA; undefined (logged) when it is not a PEM bundle of CA certificates. */
export function parseTrustBundle(text: string, logger: Logger): TrustBundle | undefined {
  try {
    return TrustBundle.fromPem(text);
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, 'ROOT_CA is not a trust bundle; keeping the previous roots');
    return undefined;
  }
}
