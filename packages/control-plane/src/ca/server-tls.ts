// TLS of port 15012 (xDS and the CA). At start-up the control plane issues itself a serving
// certificate from its own CA, as istiod does, for spiffe://<td>/ns/istio-system/sa/istiod.
// Clients are not asked for certificates (a ztunnel has none before its first); they authenticate
// with a bearer credential in the call metadata instead.
//
// The certificate carries that SPIFFE ID as its URI SAN plus DNS SANs (istiod.istio-system.svc and
// its cluster.local form) and, when given, the addresses clients dial as IP SANs, so both a
// SPIFFE-aware client and a plain host-name check accept it. Ambit's own clients check the SPIFFE
// ID (caChannelCredentials), which does not depend on how the server was dialled.
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate, SecureContextOptions } from 'node:tls';
import { errorMessage, type Logger } from '@ambit/core';
import { exportPrivateKeyPem, generateKeyPair, istioIdentity } from '@ambit/spiffe';
import type { CaService } from './ca-service.ts';
import { CA_CODES, caError } from './errors.ts';

/** The Kubernetes Service name clients dial and send as SNI (Istio's default CA_ADDRESS host). */
export const ISTIOD_HOST = 'istiod.istio-system.svc';
export const DEFAULT_SERVING_TTL_SECONDS = 24 * 3600;

export function istiodIdentity(trustDomain: string): string {
  return istioIdentity(trustDomain, 'istio-system', 'istiod');
}

/**
 * grpc-js server credentials whose certificate can be replaced while the server runs (grpc-js
 * applies updates with setSecureContext to new connections; open ones keep theirs).
 */
class RenewableServerCredentials extends grpc.ServerCredentials {
  constructor(context: SecureContextOptions) {
    super({ requestCert: false, rejectUnauthorized: false }, context);
  }

  update(context: SecureContextOptions): void {
    this.updateSecureContextOptions(context);
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export interface ServingCertificateOptions {
  logger: Logger;
  /** DNS SANs; default istiod.istio-system.svc and istiod.istio-system.svc.<trust domain>. */
  dnsNames?: readonly string[];
  /** IP SANs: the addresses clients dial (the lab's control-plane address). */
  ipAddresses?: readonly string[];
  /** Default 24 h; renewed at half-life by startAutoRenew(). */
  ttlSeconds?: number;
}

/** The control plane's own certificate and key for 15012, issued by its CA. */
export class ServingCertificate {
  readonly identity: string;
  readonly #ca: CaService;
  readonly #logger: Logger;
  readonly #ttlSeconds: number;
  readonly #dnsNames: readonly string[];
  readonly #ipAddresses: readonly string[];
  #certChainPem = '';
  #privateKeyPem = '';
  #notBefore = new Date(0);
  #notAfter = new Date(0);
  readonly #renewable: RenewableServerCredentials[] = [];
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  private constructor(ca: CaService, options: ServingCertificateOptions) {
    this.#ca = ca;
    this.#logger = options.logger;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_SERVING_TTL_SECONDS;
    this.identity = istiodIdentity(ca.trustDomain);
    this.#dnsNames = options.dnsNames ?? [ISTIOD_HOST, `${ISTIOD_HOST}.${ca.trustDomain}`];
    this.#ipAddresses = options.ipAddresses ?? [];
  }

  /** Issues the first certificate; throws AMBIT_CA_SERVING_CERT. */
  static async obtain(ca: CaService, options: ServingCertificateOptions): Promise<ServingCertificate> {
    const serving = new ServingCertificate(ca, options);
    await serving.renew();
    return serving;
  }

  /** Leaf first, then intermediates and the root, concatenated. */
  get certChainPem(): string {
    return this.#certChainPem;
  }

  get privateKeyPem(): string {
    return this.#privateKeyPem;
  }

  get notAfter(): Date {
    return this.#notAfter;
  }

  /**
   * One-shot credentials, exactly Istio's shape: the mesh root for (optional) client certificates,
   * our key and chain, and no client certificate required. A later renew() does not reach them.
   */
  serverCredentials(): grpc.ServerCredentials {
    return grpc.ServerCredentials.createSsl(Buffer.from(this.#ca.trustBundle().toPem()), [this.#keyCertPair()], false);
  }

  /** Credentials that follow renew(): what a long-running control plane binds 15012 with. */
  renewableServerCredentials(): grpc.ServerCredentials {
    const credentials = new RenewableServerCredentials(this.#context());
    this.#renewable.push(credentials);
    return credentials;
  }

  /** Issues a fresh key and certificate from the CA that signs now (after a root rotation: the new root). */
  async renew(): Promise<void> {
    try {
      const keys = await generateKeyPair();
      const issued = await this.#ca.issue({
        publicKey: keys.publicKey,
        identity: this.identity,
        ttlSeconds: this.#ttlSeconds,
        dnsNames: this.#dnsNames,
        ipAddresses: this.#ipAddresses,
      });
      this.#privateKeyPem = await exportPrivateKeyPem(keys.privateKey);
      this.#certChainPem = issued.certChain.join('');
      this.#notBefore = issued.notBefore;
      this.#notAfter = issued.notAfter;
    } catch (cause) {
      throw caError(CA_CODES.servingCert, `the control plane could not issue its serving certificate ${this.identity}: ${errorMessage(cause)}`, { cause });
    }
    const context = this.#context();
    for (const credentials of this.#renewable) credentials.update(context);
    this.#logger.info({ identity: this.identity, notAfter: this.#notAfter.toISOString() }, 'serving certificate for 15012 issued');
  }

  /** Renews at half-life and whenever the trust bundle changes (root rotation). */
  startAutoRenew(): void {
    this.stop();
    this.#unsubscribe = this.#ca.onTrustBundleChange(() => void this.#renewLogged());
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #schedule(): void {
    if (this.#unsubscribe === undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const halfLife = this.#notBefore.getTime() + (this.#notAfter.getTime() - this.#notBefore.getTime()) / 2;
    // setTimeout holds at most ~24.8 days; a longer wait is re-armed when it fires.
    const delay = Math.min(Math.max(halfLife - Date.now(), 1000), 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      if (Date.now() >= halfLife) void this.#renewLogged();
      else this.#schedule();
    }, delay);
    this.#timer.unref();
  }

  async #renewLogged(): Promise<void> {
    try {
      await this.renew();
    } catch (error) {
      this.#logger.error({ identity: this.identity, err: errorMessage(error) }, 'serving certificate renewal failed; keeping the current one');
    }
    this.#schedule();
  }

  #keyCertPair(): grpc.KeyCertPair {
    return { private_key: Buffer.from(this.#privateKeyPem), cert_chain: Buffer.from(this.#certChainPem) };
  }

  #context(): SecureContextOptions {
    return { key: this.#privateKeyPem, cert: this.#certChainPem };
  }
}

/** The URI SANs of a peer certificate as Node reports them ("URI:spiffe://..., DNS:..."). */
function uriSans(cert: PeerCertificate): string[] {
  const text = cert.subjectaltname ?? '';
  const uris: string[] = [];
  // Node quotes (JSON-style) any entry that contains a comma or quote, so ", " splits safely.
  for (const entry of text.split(', ')) {
    if (entry.startsWith('URI:')) uris.push(entry.slice(4));
    else if (entry.startsWith('"URI:')) {
      try {
        uris.push((JSON.parse(entry) as string).slice(4));
      } catch {
        // Not an entry we can read; it cannot match.
      }
    }
  }
  return uris;
}

export interface CaChannel {
  credentials: grpc.ChannelCredentials;
  /** Pass to the client constructor: the SNI a ztunnel sends for istiod. */
  options: grpc.ChannelOptions;
}

/**
 * What a client (ztunnel, CLI, tests) needs to reach 15012: trust the mesh roots (the whole bundle
 * during a rotation), send istiod.istio-system.svc as the server name, and accept only a server
 * whose certificate carries istiod's SPIFFE ID.
 */
export function caChannelCredentials(rootsPem: string, options: { trustDomain: string; serverName?: string }): CaChannel {
  const expected = istiodIdentity(options.trustDomain);
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
    const uris = uriSans(cert);
    if (uris.includes(expected)) return undefined;
    return caError(CA_CODES.servingCert, `the server presented ${uris.length === 0 ? 'no SPIFFE ID' : uris.join(', ')}, expected ${expected}`, {
      hint: 'the address is not the Ambit control plane of this mesh, or it uses another trust domain',
    });
  };
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(rootsPem), null, null, { checkServerIdentity }),
    options: { 'grpc.ssl_target_name_override': options.serverName ?? ISTIOD_HOST, 'grpc.default_authority': options.serverName ?? ISTIOD_HOST },
  };
}

/** The SPIFFE ID in a PEM certificate (tests, debug output). */
export function certificateIdentity(pem: string): string | undefined {
  const cert = new X509Certificate(pem);
  const match = /URI:(spiffe:\/\/[^,\s]+)/.exec(cert.subjectAltName ?? '');
  return match?.[1];
}
