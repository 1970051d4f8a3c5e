// The peer check both HBONE ends run on the certificate chain the other side presented: build a
// path from the leaf to a root of the trust bundle (signatures, CA constraints, path lengths and
// validity at every step), then check the leaf is an X.509-SVID with the expected SPIFFE ID.
// Hostile input never throws: every failure is a PeerCheck with a stable code and a reason.
import { AmbitError } from '@ambit/core';
import { CODES } from './errors.ts';
import {
  algorithmProblem,
  basicConstraints,
  describeCert,
  extendedKeyUsages,
  extensionProblem,
  isSignedBy,
  KEY_USAGE,
  keyUsage,
  namesIssuer,
  OID,
  parseCertificate,
  sameCertificate,
  subjectAltNames,
} from './cert-fields.ts';
import { tryParseSpiffeId } from './spiffe-id.ts';
import { TrustBundle } from './trust-bundle.ts';
import type { x509 } from './x509.ts';

export interface PeerCheckOptions {
  bundle: TrustBundle;
  /** The exact SPIFFE ID the peer must present (a client checking its server). */
  expectedIdentity?: string;
  /** The trust domain the peer's SPIFFE ID must belong to (a server checking its clients). */
  trustDomain?: string;
  /** Verification time; default now. */
  now?: Date;
  /** If given and the leaf has an extended key usage extension, it must allow this use. */
  purpose?: 'server' | 'client';
}

export type PeerCheck = { ok: true; identity: string; notAfter: Date } | { ok: false; reason: string; code: string };

type Failure = { ok: false; reason: string; code: string };

/** At most this many certificates in a presented chain, and this many signature checks per call. */
export const MAX_CHAIN_LENGTH = 8;
const MAX_SIGNATURE_CHECKS = 32;

function fail(code: string, reason: string): Failure {
  return { ok: false, code, reason };
}

export async function verifyPeerChain(chain: string[] | Buffer[] | Uint8Array[], options: PeerCheckOptions): Promise<PeerCheck> {
  if (!(options?.bundle instanceof TrustBundle)) throw new TypeError('verifyPeerChain: options.bundle must be a TrustBundle');
  const now = options.now ?? new Date();
  if (!Array.isArray(chain) || chain.length === 0) return fail(CODES.badChain, 'the peer presented no certificate');
  if (chain.length > MAX_CHAIN_LENGTH) return fail(CODES.badChain, `the peer presented ${chain.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`);
  const certs: x509.X509Certificate[] = [];
  for (const [index, item] of chain.entries()) {
    try {
      certs.push(parseCertificate(item, CODES.badCert, index === 0 ? 'peer leaf certificate' : `peer chain certificate #${index + 1}`));
    } catch (error) {
      if (error instanceof AmbitError) return fail(error.code, error.message);
      throw error;
    }
  }
  const [leaf, ...pool] = certs as [x509.X509Certificate, ...x509.X509Certificate[]];
  const search = new PathSearch(options.bundle, pool, now);
  const found = await search.from(leaf);
  if (!found.ok) return found;
  const leafProblem = checkLeaf(leaf, options);
  if (leafProblem) return leafProblem;
  const identity = subjectAltNames(leaf).uris[0] as string;
  const notAfter = new Date(Math.min(...found.path.map((c) => c.notAfter.getTime())));
  return { ok: true, identity, notAfter };
}

/** Depth-first path building over the presented certificates (in any order after the leaf), with a work budget. */
class PathSearch {
  readonly #bundle: TrustBundle;
  readonly #pool: x509.X509Certificate[];
  readonly #now: Date;
  #budget = MAX_SIGNATURE_CHECKS;
  #firstFailure: Failure | undefined;
  #signatureFailure: string | undefined;

  constructor(bundle: TrustBundle, pool: x509.X509Certificate[], now: Date) {
    this.#bundle = bundle;
    this.#pool = pool;
    this.#now = now;
  }

  async from(leaf: x509.X509Certificate): Promise<{ ok: true; path: x509.X509Certificate[] } | Failure> {
    const path = await this.#extend([leaf]);
    if (path) return { ok: true, path };
    if (this.#firstFailure) return this.#firstFailure;
    const roots = this.#bundle.size;
    const detail = this.#signatureFailure ?? `no certificate in the chain or the trust bundle (${roots} root${roots === 1 ? '' : 's'}) issued ${describeCert(leaf)} or its issuer`;
    return fail(CODES.untrusted, `the peer's certificate chain does not lead to a trusted root: ${detail}`);
  }

  async #signed(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
    if (this.#budget <= 0) return false;
    this.#budget--;
    const ok = await isSignedBy(child, parent);
    if (!ok) this.#signatureFailure ??= `the signature on ${describeCert(child)} does not verify with the key of ${describeCert(parent)}`;
    return ok;
  }

  async #extend(path: x509.X509Certificate[]): Promise<x509.X509Certificate[] | undefined> {
    const current = path[path.length - 1] as x509.X509Certificate;
    for (const root of this.#bundle.certificates) {
      if (!namesIssuer(current, root) || !(await this.#signed(current, root))) continue;
      const complete = [...path, root];
      const problem = pathProblem(complete, this.#now);
      if (!problem) return complete;
      this.#firstFailure ??= problem;
    }
    if (path.length >= MAX_CHAIN_LENGTH) return undefined;
    for (const candidate of this.#pool) {
      if (path.some((c) => sameCertificate(c, candidate))) continue;
      if (!namesIssuer(current, candidate) || !(await this.#signed(current, candidate))) continue;
      const found = await this.#extend([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  }
}

/** Checks a complete path [leaf, intermediates..., anchor]: CA constraints, path lengths, algorithms, validity. */
function pathProblem(path: x509.X509Certificate[], now: Date): Failure | undefined {
  const anchor = path.length - 1;
  for (const [index, cert] of path.entries()) {
    const extensions = extensionProblem(cert);
    if (extensions) return fail(CODES.badChain, extensions);
    if (index === 0) continue;
    const constraints = basicConstraints(cert);
    const role = index === anchor ? 'root' : 'intermediate';
    if (index !== anchor) {
      if (!constraints?.ca) return fail(CODES.badChain, `intermediate ${describeCert(cert)} is not a CA (basicConstraints CA=true missing)`);
      const usage = keyUsage(cert);
      if (usage === undefined || (usage & KEY_USAGE.keyCertSign) === 0) {
        return fail(CODES.badChain, `intermediate ${describeCert(cert)} may not sign certificates (keyCertSign key usage missing)`);
      }
      const algorithm = algorithmProblem(cert);
      if (algorithm) return fail(CODES.badChain, `intermediate ${describeCert(cert)} ${algorithm}`);
    }
    const below = index - 1; // CA certificates between this one and the leaf
    if (constraints?.pathLength !== undefined && below > constraints.pathLength) {
      return fail(CODES.badChain, `${role} ${describeCert(cert)} allows ${constraints.pathLength} intermediate(s) below it (pathLenConstraint), the chain has ${below}`);
    }
  }
  for (const [index, cert] of path.entries()) {
    const role = index === 0 ? 'leaf' : index === anchor ? 'root' : 'intermediate';
    if (now.getTime() < cert.notBefore.getTime()) {
      return fail(CODES.notYetValid, `${role} ${describeCert(cert)} is not valid before ${cert.notBefore.toISOString()} (now ${now.toISOString()})`);
    }
    if (now.getTime() > cert.notAfter.getTime()) {
      return fail(CODES.expired, `${role} ${describeCert(cert)} expired at ${cert.notAfter.toISOString()} (now ${now.toISOString()})`);
    }
  }
  return undefined;
}

/** The X.509-SVID rules for the leaf, then the identity checks the caller asked for. */
function checkLeaf(leaf: x509.X509Certificate, options: PeerCheckOptions): Failure | undefined {
  const constraints = basicConstraints(leaf);
  if (constraints?.ca) {
    return fail(CODES.badChain, `the peer's leaf ${describeCert(leaf)} is a CA certificate (is the chain in the wrong order? the leaf must come first)`);
  }
  const usage = keyUsage(leaf);
  if (usage === undefined || (usage & KEY_USAGE.digitalSignature) === 0) return fail(CODES.badChain, `the peer's leaf ${describeCert(leaf)} lacks the digitalSignature key usage`);
  if ((usage & (KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign)) !== 0) return fail(CODES.badChain, `the peer's leaf ${describeCert(leaf)} has the keyCertSign or cRLSign key usage`);
  const algorithm = algorithmProblem(leaf);
  if (algorithm) return fail(CODES.badChain, `the peer's leaf ${describeCert(leaf)} ${algorithm}`);
  if (options.purpose) {
    const usages = extendedKeyUsages(leaf);
    const wanted = options.purpose === 'server' ? OID.serverAuth : OID.clientAuth;
    if (usages && !usages.includes(wanted) && !usages.includes(OID.anyExtendedKeyUsage)) {
      return fail(CODES.badChain, `the peer's leaf ${describeCert(leaf)} is not allowed for TLS ${options.purpose} authentication (extended key usage)`);
    }
  }
  let uris: string[];
  let others: string[];
  try {
    ({ uris, others } = subjectAltNames(leaf));
  } catch (error) {
    return fail(CODES.san, `the peer's leaf has unreadable subject alternative names: ${(error as Error).message}`);
  }
  if (uris.length !== 1) {
    const rest = others.length > 0 ? ` (other names: ${others.join(', ')})` : '';
    return fail(CODES.san, `the peer's leaf has ${uris.length} URI SANs, an X.509-SVID has exactly one${rest}`);
  }
  const uri = uris[0] as string;
  const id = tryParseSpiffeId(uri);
  if (!id) return fail(CODES.san, `the peer's URI SAN ${JSON.stringify(uri.slice(0, 200))} is not a valid SPIFFE ID`);
  if (options.trustDomain !== undefined && id.trustDomain !== options.trustDomain) {
    return fail(CODES.wrongTrustDomain, `the peer's identity ${id.uri} is in trust domain "${id.trustDomain}", expected "${options.trustDomain}"`);
  }
  if (options.expectedIdentity !== undefined && id.uri !== options.expectedIdentity) {
    return fail(CODES.wrongIdentity, `the peer's identity is ${id.uri}, expected ${options.expectedIdentity}`);
  }
  return undefined;
}
