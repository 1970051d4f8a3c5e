// A set of trusted root certificates (the mesh's trust anchors). During a root rotation a bundle
// holds the old and the new root at once; clients trust the union (docs/adr/0004).
import { CODES, spiffeError } from './errors.ts';
import { decodePemBlocks, encodePem } from './pem.ts';
import { algorithmProblem, basicConstraints, certPem, describeCert, KEY_USAGE, keyUsage, parseCertificate } from './cert-fields.ts';
import type { x509 } from './x509.ts';

export class TrustBundle {
  /** One normalised PEM per root, no duplicates, in insertion order. */
  readonly roots: string[];
  readonly #certs: x509.X509Certificate[];

  constructor(rootsPem: string[]) {
    if (!Array.isArray(rootsPem)) throw spiffeError(CODES.badBundle, 'a trust bundle is built from an array of PEM certificates');
    const certs: x509.X509Certificate[] = [];
    const seen = new Set<string>();
    rootsPem.forEach((pem, index) => {
      const cert = parseCertificate(pem, CODES.badBundle, `trust bundle root #${index + 1}`);
      const problem = rootProblem(cert);
      if (problem) throw spiffeError(CODES.badBundle, `trust bundle root #${index + 1} ${describeCert(cert)}: ${problem}`);
      const key = Buffer.from(cert.rawData).toString('base64');
      if (seen.has(key)) return;
      seen.add(key);
      certs.push(cert);
    });
    this.#certs = certs;
    this.roots = certs.map(certPem);
    Object.freeze(this.roots);
  }

  /** Several concatenated PEM certificates (a root-cert.pem or a ConfigMap value). */
  static fromPem(text: string): TrustBundle {
    const blocks = decodePemBlocks(text, CODES.badBundle);
    const wrong = blocks.find((b) => b.label !== 'CERTIFICATE');
    if (wrong) throw spiffeError(CODES.badBundle, `trust bundle contains a "${wrong.label}" PEM block; only CERTIFICATE blocks are allowed`);
    if (blocks.length === 0) throw spiffeError(CODES.badBundle, 'trust bundle text contains no PEM certificate');
    return new TrustBundle(blocks.map((b) => encodePem(b.der, 'CERTIFICATE')));
  }

  /** Parsed roots, for the verifier. */
  get certificates(): readonly x509.X509Certificate[] {
    return this.#certs;
  }

  get size(): number {
    return this.roots.length;
  }

  has(rootPem: string): boolean {
    const der = parseCertificate(rootPem, CODES.badBundle, 'root').rawData;
    return this.#certs.some((c) => Buffer.from(c.rawData).equals(Buffer.from(der)));
  }

  toPem(): string {
    return this.roots.join('');
  }

  /** The union of both bundles (this one's roots first). */
  merge(other: TrustBundle): TrustBundle {
    return new TrustBundle([...this.roots, ...other.roots]);
  }

  /** This bundle without the given roots (dropping the old root at the end of a rotation). */
  without(rootsPem: string[]): TrustBundle {
    const drop = new TrustBundle(rootsPem);
    return new TrustBundle(this.roots.filter((r) => !drop.has(r)));
  }
}

/** Why a certificate cannot serve as a trust anchor, if it cannot. */
function rootProblem(cert: x509.X509Certificate): string | undefined {
  const constraints = basicConstraints(cert);
  if (constraints && !constraints.ca) return 'is not a CA certificate (basicConstraints CA=false)';
  const usage = keyUsage(cert);
  if (usage !== undefined && (usage & KEY_USAGE.keyCertSign) === 0) return 'lacks the keyCertSign key usage';
  return algorithmProblem(cert);
}
