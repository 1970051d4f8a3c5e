// The mesh CA: signs workload certificates with a self-signed root or a plug-in intermediate, and
// publishes the trust bundle (which may hold several roots during a rotation, docs/adr/0004).
import { isIP } from 'node:net';
import { AmbitError } from '@ambit/core';
import { CODES, spiffeError } from './errors.ts';
import { decodePemBlocks, encodePem } from './pem.ts';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, isP256, publicKeyOf, spkiOf, describeAlgorithm } from './keys.ts';
import { algorithmProblem, basicConstraints, certPem, describeCert, KEY_USAGE, keyUsage, namesIssuer, isSignedBy, parseCertificate, sameCertificate, subjectAltNames } from './cert-fields.ts';
import { checkTtl, createLeafCertificate, createRootCertificate, ROOT_TTL_SECONDS } from './ca-certs.ts';
import { checkTrustDomain, parseSpiffeId, tryParseSpiffeId } from './spiffe-id.ts';
import { TrustBundle } from './trust-bundle.ts';
import { verifyPeerChain } from './verify-peer.ts';
import { readPluginFiles, writePluginFiles, type PluginCaFiles } from './ca-files.ts';
import type { x509 } from './x509.ts';
import type { CryptoKey } from './webcrypto-types.ts';

export interface IssuedChain {
  /** Leaf first, root last, one PEM each. */
  certChain: string[];
  notBefore: Date;
  notAfter: Date;
}

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

interface CaParts {
  trustDomain: string;
  signingCert: x509.X509Certificate;
  signingKey: CryptoKey;
  /** Signing certificate first, root last. */
  chain: x509.X509Certificate[];
  bundle: TrustBundle;
}

export class CertificateAuthority {
  readonly trustDomain: string;
  /** The root of this CA's own chain. */
  readonly rootPem: string;
  readonly signingCertPem: string;
  /** Signing certificate first, root last (what follows the leaf in every issued chain). */
  readonly chainPem: readonly string[];
  /** The roots clients must trust: this CA's root plus any other root kept during a rotation. */
  readonly bundle: TrustBundle;
  readonly #signingCert: x509.X509Certificate;
  readonly #signingKey: CryptoKey;

  private constructor(parts: CaParts) {
    this.trustDomain = parts.trustDomain;
    this.#signingCert = parts.signingCert;
    this.#signingKey = parts.signingKey;
    this.chainPem = Object.freeze(parts.chain.map(certPem));
    this.signingCertPem = this.chainPem[0] as string;
    this.rootPem = this.chainPem[this.chainPem.length - 1] as string;
    this.bundle = parts.bundle;
  }

  /** A root CA of its own (the lab; Istio's self-signed istio-ca-secret). */
  static async createSelfSigned(options: { trustDomain: string; ttlSeconds?: number; commonName?: string }): Promise<CertificateAuthority> {
    const trustDomain = checkTrustDomain(options.trustDomain);
    const keys = await generateKeyPair();
    const root = await createRootCertificate({
      keys,
      trustDomain,
      commonName: options.commonName,
      ttlSeconds: checkTtl(options.ttlSeconds ?? ROOT_TTL_SECONDS, 'ttlSeconds'),
    });
    return new CertificateAuthority({ trustDomain, signingCert: root, signingKey: keys.privateKey, chain: [root], bundle: new TrustBundle([certPem(root)]) });
  }

  /**
   * Istio's plug-in CA layout: ca-cert.pem, ca-key.pem, root-cert.pem (may hold several roots),
   * cert-chain.pem (ca-cert up to the root). The trust domain comes from options, else from a
   * spiffe://<td> URI SAN on ca-cert, else cluster.local.
   */
  static async fromFiles(dir: string, options: { trustDomain?: string } = {}): Promise<CertificateAuthority> {
    return CertificateAuthority.fromPem(await readPluginFiles(dir), options);
  }

  /** What save() wrote. */
  static async load(dir: string): Promise<CertificateAuthority> {
    const files = await readPluginFiles(dir);
    return CertificateAuthority.fromPem(files, files.trustDomain === undefined ? {} : { trustDomain: files.trustDomain });
  }

  static async fromPem(files: PluginCaFiles, options: { trustDomain?: string } = {}): Promise<CertificateAuthority> {
    const caCert = parseFile(() => parseCertificate(files.caCertPem, CODES.caFiles, 'ca-cert.pem'));
    const signingKey = await parseFileAsync(() => importPrivateKeyPem(files.caKeyPem), 'ca-key.pem');
    const roots = parseFile(() => TrustBundle.fromPem(files.rootCertPem), 'root-cert.pem');
    const chainBlocks = files.certChainPem.trim() === '' ? [] : parseFile(() => decodePemBlocks(files.certChainPem, CODES.caFiles), 'cert-chain.pem');
    const presented = chainBlocks.map((b, i) => parseFile(() => parseCertificate(encodePem(b.der, b.label), CODES.caFiles, `cert-chain.pem certificate #${i + 1}`)));

    const keySpki = await spkiOf(await publicKeyOf(signingKey));
    if (!Buffer.from(keySpki).equals(Buffer.from(caCert.publicKey.rawData))) {
      throw spiffeError(CODES.caKeyMismatch, `ca-key.pem is not the private key of ca-cert.pem ${describeCert(caCert)}`, {
        hint: 'the two files come from different CAs; copy both from the same intermediate',
      });
    }
    const constraints = basicConstraints(caCert);
    const usage = keyUsage(caCert);
    if (!constraints?.ca || usage === undefined || (usage & KEY_USAGE.keyCertSign) === 0) {
      throw spiffeError(CODES.caChain, `ca-cert.pem ${describeCert(caCert)} is not a CA certificate with the keyCertSign key usage`);
    }
    const algorithm = algorithmProblem(caCert);
    if (algorithm) throw spiffeError(CODES.caChain, `ca-cert.pem ${describeCert(caCert)} ${algorithm}`);

    const chain = await assembleChain(caCert, presented, roots);
    const trustDomain = checkTrustDomain(options.trustDomain ?? trustDomainOf(caCert) ?? DEFAULT_TRUST_DOMAIN);
    const ca = new CertificateAuthority({ trustDomain, signingCert: caCert, signingKey, chain, bundle: roots });
    await ca.#selfTest();
    return ca;
  }

  /** Writes the plug-in layout plus ambit-ca.json; the key file is mode 0600. */
  async save(dir: string): Promise<void> {
    await writePluginFiles(dir, {
      caCertPem: this.signingCertPem,
      caKeyPem: await exportPrivateKeyPem(this.#signingKey),
      certChainPem: this.chainPem.join(''),
      rootCertPem: this.bundle.toPem(),
      trustDomain: this.trustDomain,
    });
  }

  /** The same signing material publishing a bundle that also holds `other`'s roots (rotation). */
  withTrustBundle(other: TrustBundle): CertificateAuthority {
    return new CertificateAuthority({
      trustDomain: this.trustDomain,
      signingCert: this.#signingCert,
      signingKey: this.#signingKey,
      chain: this.chainPem.map((pem) => parseCertificate(pem, CODES.badCert, 'chain')),
      bundle: this.bundle.merge(other),
    });
  }

  /**
   * Issues a workload certificate for `identity` (a SPIFFE ID in this CA's trust domain).
   * `dnsNames` / `ipAddresses` add SANs for a server certificate (the control plane's own on 15012,
   * which clients may check by host name); the SPIFFE ID stays the only URI SAN.
   */
  async sign(options: {
    publicKey: CryptoKey;
    identity: string;
    ttlSeconds: number;
    dnsNames?: readonly string[] | undefined;
    ipAddresses?: readonly string[] | undefined;
  }): Promise<IssuedChain> {
    const id = parseSpiffeId(options.identity);
    if (id.trustDomain !== this.trustDomain) {
      throw spiffeError(CODES.badRequest, `cannot sign ${id.uri}: it is not in this CA's trust domain "${this.trustDomain}"`);
    }
    if (id.path === '') throw spiffeError(CODES.badRequest, `cannot sign ${id.uri}: a workload identity needs a path`);
    const key = options.publicKey;
    if (!(key && typeof key === 'object' && key.type === 'public' && isP256(key))) {
      throw spiffeError(CODES.badKey, `the public key to certify must be an ECDSA P-256 public key, got ${key?.algorithm ? describeAlgorithm(key.algorithm) : String(key)}`);
    }
    const leaf = await createLeafCertificate({
      issuer: this.#signingCert,
      issuerKey: this.#signingKey,
      publicKey: key,
      identity: id.uri,
      ttlSeconds: checkTtl(options.ttlSeconds, 'ttlSeconds'),
      dnsNames: checkDnsNames(options.dnsNames),
      ipAddresses: checkIpAddresses(options.ipAddresses),
    });
    return { certChain: [certPem(leaf), ...this.chainPem], notBefore: leaf.notBefore, notAfter: leaf.notAfter };
  }

  /** Proves the loaded material works end to end: a throwaway leaf must pass the peer check. */
  async #selfTest(): Promise<void> {
    const keys = await generateKeyPair();
    const identity = `spiffe://${this.trustDomain}/ambit/ca-self-test`;
    let issued: IssuedChain;
    try {
      issued = await this.sign({ publicKey: keys.publicKey, identity, ttlSeconds: 60 });
    } catch (cause) {
      if (cause instanceof AmbitError && cause.code === CODES.caExpired) throw cause;
      throw spiffeError(CODES.caChain, `the CA cannot issue certificates: ${(cause as Error).message}`, { cause });
    }
    const check = await verifyPeerChain(issued.certChain, { bundle: this.bundle, expectedIdentity: identity });
    if (!check.ok) {
      const expired = check.code === CODES.expired || check.code === CODES.notYetValid;
      throw spiffeError(expired ? CODES.caExpired : CODES.caChain, `the CA's certificate chain does not verify: ${check.reason}`);
    }
  }
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function checkDnsNames(names: readonly string[] | undefined): readonly string[] | undefined {
  for (const name of names ?? []) {
    if (typeof name !== 'string' || !DNS_NAME.test(name)) throw spiffeError(CODES.badRequest, `cannot sign: ${JSON.stringify(name)} is not a lower-case DNS name`);
  }
  return names;
}

function checkIpAddresses(addresses: readonly string[] | undefined): readonly string[] | undefined {
  for (const address of addresses ?? []) {
    if (typeof address !== 'string' || isIP(address) === 0) throw spiffeError(CODES.badRequest, `cannot sign: ${JSON.stringify(address)} is not an IP address`);
  }
  return addresses;
}

/** Orders cert-chain.pem into [ca-cert, ..., root] and ends it at a root of root-cert.pem. */
async function assembleChain(caCert: x509.X509Certificate, presented: x509.X509Certificate[], roots: TrustBundle): Promise<x509.X509Certificate[]> {
  const rest = presented.length > 0 && sameCertificate(presented[0] as x509.X509Certificate, caCert) ? presented.slice(1) : presented;
  const chain = [caCert, ...rest];
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as x509.X509Certificate;
    const parent = chain[i + 1] as x509.X509Certificate;
    if (!namesIssuer(child, parent) || !(await isSignedBy(child, parent))) {
      throw spiffeError(CODES.caChain, `cert-chain.pem: ${describeCert(child)} is not signed by the next certificate ${describeCert(parent)}`, {
        hint: 'cert-chain.pem lists ca-cert.pem, then each intermediate, then the root, in that order',
      });
    }
  }
  const last = chain[chain.length - 1] as x509.X509Certificate;
  if (roots.certificates.some((r) => sameCertificate(r, last))) return chain;
  for (const root of roots.certificates) {
    if (namesIssuer(last, root) && (await isSignedBy(last, root))) return [...chain, root];
  }
  throw spiffeError(CODES.caChain, `the chain from ca-cert.pem ends at ${describeCert(last)}, which is neither a root in root-cert.pem nor signed by one`, {
    hint: 'root-cert.pem must hold the root that issued the intermediate',
  });
}

function trustDomainOf(cert: x509.X509Certificate): string | undefined {
  for (const uri of subjectAltNames(cert).uris) {
    const id = tryParseSpiffeId(uri);
    if (id && id.path === '') return id.trustDomain;
  }
  return undefined;
}

function parseFile<T>(parse: () => T, file?: string): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof AmbitError && file === undefined) throw cause;
    throw spiffeError(CODES.caFiles, `${file ?? 'plug-in CA file'}: ${(cause as Error).message}`, { cause });
  }
}

async function parseFileAsync<T>(parse: () => Promise<T>, file: string): Promise<T> {
  try {
    return await parse();
  } catch (cause) {
    throw spiffeError(CODES.caFiles, `${file}: ${(cause as Error).message}`, { cause });
  }
}
