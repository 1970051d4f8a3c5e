// istio.v1.auth.IstioCertificateService/CreateCertificate, the istiod CA as ztunnels call it
// (reference/istio-ambient.md section 3). A request goes through these gates, cheapest first, and
// the first one that fails refuses it with a gRPC status, a log line and a counted reason:
//
//   1. the caller is authenticated (CallerAuthenticator)           else UNAUTHENTICATED
//   2. the request is at most maxRequestBytes, its fields usable   else INVALID_ARGUMENT
//   3. the requested identity (metadata.ImpersonatedIdentity, else
//      the node's own spiffe://<td>/ns/istio-system/sa/ztunnel) is a SPIFFE ID   else INVALID_ARGUMENT
//   4. ... in the mesh's trust domain                               else PERMISSION_DENIED
//   5. ... and the caller may have it: its own identity, or the
//      identity of a pod scheduled on the caller's node, as the
//      model says (IdentityDirectory), never as the caller says     else PERMISSION_DENIED
//   6. the CSR parses, is ECDSA P-256, its signature verifies       else INVALID_ARGUMENT
//   7. the CSR's single URI SAN equals the requested identity       else INVALID_ARGUMENT
//   8. sign for min(validity_duration or the default, max TTL)      reply cert_chain leaf .. root
//
// No throw escapes the handler: anything unexpected becomes INTERNAL and the server keeps serving.
import { X509Certificate } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AmbitError, errorMessage, type Logger } from '@ambit/core';
import { inspectCsr, parseSpiffeId, istioIdentity, SPIFFE_ERROR_CODES, type CertificateAuthority, type CryptoKey, type IssuedChain, type TrustBundle } from '@ambit/spiffe';
import { loadCaServiceDefinition, type ca, type google } from '@ambit/xds-types';
import type { Caller, CallerAuthenticator } from './credentials.ts';
import { CA_CODES, caError, type CaErrorCode } from './errors.ts';

/** Which workload identities have a pod on a node, from the control plane's model. */
export interface IdentityDirectory {
  identitiesOnNode(node: string): ReadonlySet<string>;
}

export const DEFAULT_WORKLOAD_CERT_TTL_SECONDS = 24 * 3600;
/** Istio's MAX_WORKLOAD_CERT_TTL default (90 days). */
export const MAX_WORKLOAD_CERT_TTL_SECONDS = 90 * 24 * 3600;
export const MAX_CA_REQUEST_BYTES = 64 * 1024;
/** The metadata key ztunnel uses to ask for a pod's certificate (Istio's security.ImpersonatedIdentity). */
export const IMPERSONATED_IDENTITY = 'ImpersonatedIdentity';

/** The reasons counted in ambit_control_plane_csr_refused_total{reason}; a closed set. */
export const REFUSAL_REASONS = [
  'unauthenticated',
  'oversized',
  'bad_request',
  'bad_identity',
  'wrong_trust_domain',
  'not_on_node',
  'malformed_csr',
  'bad_signature',
  'key_algorithm',
  'san_mismatch',
  'internal',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type RotationPhase = 'none' | 'publishing' | 'signing-new';

export interface CaServiceOptions {
  authority: CertificateAuthority;
  authenticator: CallerAuthenticator;
  directory: IdentityDirectory;
  logger: Logger;
  /** The control plane's registry; the CA's metrics are registered on it once. */
  registry: Registry;
  /** Used when a request asks for validity_duration <= 0. Default 24 h (DEFAULT_WORKLOAD_CERT_TTL). */
  defaultTtlSeconds?: number;
  /** Requests above this are shortened to it. Default 90 days (MAX_WORKLOAD_CERT_TTL). */
  maxTtlSeconds?: number;
  /** Encoded request size limit. Default 64 KiB. */
  maxRequestBytes?: number;
}

export type CreateCertificateResult =
  | { ok: true; certChain: string[]; identity: string; caller: Caller; ttlSeconds: number; notAfter: Date }
  | { ok: false; status: grpc.status; reason: RefusalReason; code: CaErrorCode; message: string };

/** A refusal on its way out of the gates. */
class Refusal {
  readonly status: grpc.status;
  readonly reason: RefusalReason;
  readonly error: AmbitError;
  constructor(status: grpc.status, reason: RefusalReason, error: AmbitError) {
    this.status = status;
    this.reason = reason;
    this.error = error;
  }
}

function refuse(status: grpc.status, reason: RefusalReason, code: CaErrorCode, message: string, hint?: string): Refusal {
  return new Refusal(status, reason, caError(code, message, hint === undefined ? {} : { hint }));
}

/** For messages and logs: hostile strings are clipped and quoted. */
function show(value: string, max = 200): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}...(${value.length} chars)` : value);
}

interface CaMetrics {
  csr: Counter;
  issued: Counter;
  parsingErrors: Counter;
  authFailures: Counter;
  idErrors: Counter;
  signErrors: Counter;
  refused: Counter<'reason'>;
  rootExpiry: Gauge;
}

function createMetrics(registry: Registry): CaMetrics {
  const registers = [registry];
  return {
    // Istio's names (security/pkg/server/ca/monitoring.go), so existing dashboards work.
    csr: new Counter({ name: 'citadel_server_csr_count', help: 'The number of CSRs received by the CA server.', registers }),
    issued: new Counter({ name: 'citadel_server_success_cert_issuance_count', help: 'The number of certificates issued successfully.', registers }),
    parsingErrors: new Counter({ name: 'citadel_server_csr_parsing_err_count', help: 'The number of errors occurred when parsing the CSR.', registers }),
    authFailures: new Counter({ name: 'citadel_server_authentication_failure_count', help: 'The number of authentication failures.', registers }),
    idErrors: new Counter({
      name: 'citadel_server_id_extraction_err_count',
      help: 'The number of errors occurred when extracting or matching the requested identity.',
      registers,
    }),
    signErrors: new Counter({ name: 'citadel_server_csr_sign_err_count', help: 'The number of errors occurred when signing the CSR.', registers }),
    refused: new Counter({
      name: 'ambit_control_plane_csr_refused_total',
      help: 'CSRs refused by the CA, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    rootExpiry: new Gauge({ name: 'citadel_server_root_cert_expiry_timestamp', help: 'The unix timestamp, in seconds, when the signing root cert will expire.', registers }),
  };
}

/** The request as the gates need it; `unknown` comes in from the wire. */
interface ParsedRequest {
  csr: string;
  validitySeconds: bigint;
  impersonated: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRequest(raw: unknown): ParsedRequest {
  if (!isRecord(raw)) throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_request', CA_CODES.badRequest, 'the request is not an IstioCertificateRequest');
  const request = raw as Partial<ca.IstioCertificateRequest>;
  const csr = request.csr ?? '';
  if (typeof csr !== 'string') throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_request', CA_CODES.badRequest, 'csr must be a string');
  const duration = request.validity_duration ?? '0';
  if (!/^-?[0-9]{1,20}$/.test(String(duration))) {
    throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_request', CA_CODES.badRequest, `validity_duration ${show(String(duration))} is not an integer number of seconds`);
  }
  return { csr, validitySeconds: BigInt(duration), impersonated: impersonatedIdentity(request.metadata) };
}

/** metadata.ImpersonatedIdentity: absent or "" means none (as Istio reads it); anything but a string is refused. */
function impersonatedIdentity(metadata: google.Struct | null | undefined): string | undefined {
  if (metadata === null || metadata === undefined) return undefined;
  const fields = isRecord(metadata) && isRecord(metadata.fields) ? metadata.fields : {};
  const value: unknown = fields[IMPERSONATED_IDENTITY];
  if (value === undefined || value === null) return undefined;
  const v = value as google.Value;
  if (v.kind !== undefined && v.kind !== 'stringValue') {
    throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_identity', CA_CODES.badRequest, `metadata.${IMPERSONATED_IDENTITY} must be a string (a SPIFFE ID), got a ${v.kind}`);
  }
  if (typeof v.stringValue !== 'string') {
    throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_identity', CA_CODES.badRequest, `metadata.${IMPERSONATED_IDENTITY} must be a string (a SPIFFE ID)`);
  }
  return v.stringValue === '' ? undefined : v.stringValue;
}

/** Sorts an inspectCsr failure into a counted reason. */
function csrReason(error: unknown): RefusalReason {
  const message = error instanceof Error ? error.message : '';
  if (/signature does not verify/.test(message)) return 'bad_signature';
  if (/public key is .*expected ECDSA P-256/.test(message)) return 'key_algorithm';
  if (/bytes is more than the limit/.test(message)) return 'oversized';
  return 'malformed_csr';
}

const REQUEST_SIZE = Symbol('ambit.ca.requestBytes');
const UNDECODABLE = Symbol('ambit.ca.undecodable');

export class CaService {
  readonly trustDomain: string;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly maxRequestBytes: number;
  readonly #authenticator: CallerAuthenticator;
  readonly #directory: IdentityDirectory;
  readonly #logger: Logger;
  readonly #metrics: CaMetrics;
  #authority: CertificateAuthority;
  /** The rotation in progress, if one is. */
  #rotation: { previous: CertificateAuthority; next: CertificateAuthority; switched: boolean } | undefined;
  #bundle: TrustBundle;
  readonly #bundleListeners = new Set<(bundle: TrustBundle) => void>();

  constructor(options: CaServiceOptions) {
    this.#authority = options.authority;
    this.trustDomain = options.authority.trustDomain;
    this.#authenticator = options.authenticator;
    this.#directory = options.directory;
    this.#logger = options.logger;
    this.defaultTtlSeconds = positive(options.defaultTtlSeconds ?? DEFAULT_WORKLOAD_CERT_TTL_SECONDS, 'defaultTtlSeconds');
    this.maxTtlSeconds = positive(options.maxTtlSeconds ?? MAX_WORKLOAD_CERT_TTL_SECONDS, 'maxTtlSeconds');
    this.maxRequestBytes = positive(options.maxRequestBytes ?? MAX_CA_REQUEST_BYTES, 'maxRequestBytes');
    this.#metrics = createMetrics(options.registry);
    this.#bundle = options.authority.bundle;
    this.#updateRootGauge();
  }

  /** The node agent identity every authenticated node may always obtain. */
  nodeIdentity(): string {
    return istioIdentity(this.trustDomain, 'istio-system', 'ztunnel');
  }

  /** The CA currently signing. */
  get authority(): CertificateAuthority {
    return this.#authority;
  }

  /** The roots clients must trust now: during a rotation, the old and the new roots. */
  trustBundle(): TrustBundle {
    return this.#bundle;
  }

  /** Calls `listener` with each new trust bundle (to publish root-cert.pem); returns the unsubscribe. */
  onTrustBundleChange(listener: (bundle: TrustBundle) => void): () => void {
    this.#bundleListeners.add(listener);
    return () => this.#bundleListeners.delete(listener);
  }

  /**
   * Where a root rotation stands (docs/adr/0004-ca-root-rotation.md):
   * `none`; `publishing` (union published, old CA still signs); `signing-new` (new CA signs, union kept).
   */
  get rotationPhase(): RotationPhase {
    if (this.#rotation === undefined) return 'none';
    return this.#rotation.switched ? 'signing-new' : 'publishing';
  }

  /** True between startRotation and finishRotation. */
  get rotating(): boolean {
    return this.#rotation !== undefined;
  }

  /**
   * ADR 0004 step 1: publish the union of the current bundle and `next`'s roots; the current CA
   * keeps signing. Wait until every node has loaded the union, then call switchSigning().
   * With `{ switchSigning: true }` both happen at once (tests, a fresh lab with no node running).
   */
  startRotation(next: CertificateAuthority, options: { switchSigning?: boolean } = {}): TrustBundle {
    if (next.trustDomain !== this.trustDomain) {
      throw caError(CA_CODES.rotation, `the new CA is for trust domain ${show(next.trustDomain)}, the mesh's is ${show(this.trustDomain)}`, {
        hint: 'a root rotation keeps the trust domain; create the new CA with the same one',
      });
    }
    if (this.#rotation !== undefined) {
      throw caError(CA_CODES.rotation, `a root rotation is already in progress (${this.rotationPhase})`, {
        hint: 'finishRotation() first, once no leaf signed by the old CA is in use',
      });
    }
    this.#rotation = { previous: this.#authority, next, switched: false };
    this.#logger.info({ oldRoot: fingerprint(this.#authority.rootPem), newRoot: fingerprint(next.rootPem) }, 'CA root rotation started: publishing old and new roots');
    this.#setBundle(this.#bundle.merge(next.bundle));
    if (options.switchSigning) this.switchSigning();
    return this.#bundle;
  }

  /** ADR 0004 step 2: the new CA signs every certificate from now on; the bundle stays the union. */
  switchSigning(): TrustBundle {
    const rotation = this.#rotation;
    if (rotation === undefined) throw caError(CA_CODES.rotation, 'no root rotation is in progress', { hint: 'startRotation(next) starts one' });
    if (rotation.switched) throw caError(CA_CODES.rotation, 'signing already switched to the new CA', { hint: 'finishRotation() is the next step' });
    rotation.switched = true;
    this.#authority = rotation.next;
    this.#logger.info({ newRoot: fingerprint(rotation.next.rootPem) }, 'CA root rotation: the new CA signs now');
    // Same bundle, new signer: listeners (the serving certificate) renew from the new CA.
    this.#setBundle(this.#bundle);
    return this.#bundle;
  }

  /**
   * ADR 0004 step 3: the bundle keeps only the new CA's roots. Call once every leaf signed by the
   * old CA has expired (the maximum workload TTL plus skew after switchSigning).
   */
  finishRotation(): TrustBundle {
    const rotation = this.#rotation;
    if (rotation === undefined) throw caError(CA_CODES.rotation, 'no root rotation is in progress', { hint: 'startRotation(next) starts one' });
    if (!rotation.switched) {
      throw caError(CA_CODES.rotation, 'signing has not switched to the new CA yet; dropping the old root now would orphan every certificate in use', {
        hint: 'switchSigning() first, then wait for the old leaves to expire',
      });
    }
    this.#rotation = undefined;
    this.#setBundle(this.#bundle.without(rotation.previous.bundle.roots.filter((root) => !rotation.next.bundle.has(root))));
    this.#logger.info({ droppedRoot: fingerprint(rotation.previous.rootPem), roots: this.#bundle.size }, 'CA root rotation finished: old root dropped from the bundle');
    return this.#bundle;
  }

  /** Signs for the control plane itself (its serving certificate); no caller checks, logged, not counted as CSRs. */
  async issue(options: { publicKey: CryptoKey; identity: string; ttlSeconds: number; dnsNames?: readonly string[]; ipAddresses?: readonly string[] }): Promise<IssuedChain> {
    const issued = await this.#authority.sign({ ...options, ttlSeconds: Math.min(options.ttlSeconds, this.maxTtlSeconds) });
    this.#logger.info({ caller: 'control-plane', identity: options.identity, notAfter: issued.notAfter.toISOString() }, 'CA issued a certificate to the control plane');
    return issued;
  }

  /** Adds CreateCertificate to `server` (which may also serve xDS on 15012). */
  register(server: grpc.Server): void {
    server.addService(this.#definition(), { CreateCertificate: this.handler });
  }

  /** The grpc-js unary handler. */
  readonly handler: grpc.handleUnaryCall<unknown, ca.IstioCertificateResponse> = (call, callback) => {
    const raw: unknown = call.request;
    const recorded = isRecord(raw) ? (raw as Record<symbol, unknown>)[REQUEST_SIZE] : undefined;
    const size = typeof recorded === 'number' ? recorded : undefined;
    this.createCertificate(raw, call.metadata, size)
      .then((result) => {
        if (result.ok) callback(null, { cert_chain: result.certChain });
        else callback({ code: result.status, details: result.message });
      })
      .catch((error: unknown) => {
        // createCertificate does not reject; this is the last line of defence.
        this.#logger.error({ err: errorMessage(error) }, 'CA handler failed unexpectedly');
        try {
          callback({ code: GrpcStatus.INTERNAL, details: 'internal error in the CA' });
        } catch {
          // The call is gone; nothing left to tell.
        }
      });
  };

  /**
   * The whole decision for one request, without gRPC around it. Never rejects.
   * `requestBytes` is the encoded size when known (the gRPC path always knows it).
   */
  async createCertificate(raw: unknown, metadata: grpc.Metadata, requestBytes?: number): Promise<CreateCertificateResult> {
    this.#metrics.csr.inc();
    let caller: Caller | undefined;
    let identity: string | undefined;
    try {
      try {
        caller = await this.#authenticator.authenticate(metadata);
      } catch (error) {
        this.#logger.error({ err: errorMessage(error) }, 'CA authenticator failed');
        caller = undefined;
      }
      if (caller === undefined) {
        this.#metrics.authFailures.inc();
        throw refuse(
          GrpcStatus.UNAUTHENTICATED,
          'unauthenticated',
          CA_CODES.unauthenticated,
          metadata.get('authorization').length === 0 ? 'no credential: the request has no "authorization: Bearer <token>" header' : 'the bearer credential is not valid',
          'in the lab each node reads its token from the credentials directory the supervisor wrote',
        );
      }
      const undecodable = isRecord(raw) ? (raw as Record<symbol, unknown>)[UNDECODABLE] : undefined;
      if (undecodable !== undefined) {
        throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_request', CA_CODES.badRequest, `the request is not a valid IstioCertificateRequest: ${String(undecodable)}`);
      }
      const size = requestBytes ?? Buffer.byteLength(isRecord(raw) && typeof raw['csr'] === 'string' ? raw['csr'] : '', 'utf8');
      if (size > this.maxRequestBytes) {
        this.#metrics.parsingErrors.inc();
        throw refuse(GrpcStatus.INVALID_ARGUMENT, 'oversized', CA_CODES.badCsr, `the request is ${size} bytes, more than the limit of ${this.maxRequestBytes}`, 'a CSR for one P-256 key is under 1 KiB');
      }
      const request = parseRequest(raw);
      identity = request.impersonated ?? this.nodeIdentity();
      const id = this.#checkIdentity(identity);
      this.#authorize(caller, id);
      const publicKey = await this.#inspect(request.csr, id);
      const ttlSeconds = this.#ttl(request.validitySeconds);
      let issued: IssuedChain;
      try {
        issued = await this.#authority.sign({ publicKey, identity: id, ttlSeconds });
      } catch (error) {
        this.#metrics.signErrors.inc();
        const code = error instanceof AmbitError ? error.code : undefined;
        this.#logger.error({ caller: caller.subject, identity: id, err: errorMessage(error), code }, 'CA could not sign');
        throw refuse(GrpcStatus.INTERNAL, 'internal', CA_CODES.signFailed, `the CA could not sign: ${errorMessage(error)}`);
      }
      this.#metrics.issued.inc();
      this.#logger.info(
        { caller: caller.subject, identity: id, ttlSeconds, notAfter: issued.notAfter.toISOString(), impersonated: request.impersonated !== undefined },
        'CA issued a certificate',
      );
      return { ok: true, certChain: issued.certChain, identity: id, caller, ttlSeconds, notAfter: issued.notAfter };
    } catch (error) {
      const refusal =
        error instanceof Refusal ? error : refuse(GrpcStatus.INTERNAL, 'internal', CA_CODES.signFailed, `internal error in the CA: ${errorMessage(error)}`);
      this.#metrics.refused.inc({ reason: refusal.reason });
      const fields = {
        caller: caller?.subject ?? 'unauthenticated',
        identity: identity === undefined ? undefined : show(identity),
        reason: refusal.reason,
        code: refusal.error.code,
        status: GrpcStatus[refusal.status],
      };
      if (refusal.reason === 'internal') this.#logger.error(fields, `CA refused a CSR: ${refusal.error.message}`);
      else this.#logger.warn(fields, `CA refused a CSR: ${refusal.error.message}`);
      return { ok: false, status: refusal.status, reason: refusal.reason, code: refusal.error.code as CaErrorCode, message: refusal.error.describe() };
    }
  }

  /** The requested identity must be a SPIFFE ID of the mesh's trust domain. */
  #checkIdentity(identity: string): string {
    let trustDomain: string;
    try {
      trustDomain = parseSpiffeId(identity).trustDomain;
    } catch (error) {
      this.#metrics.idErrors.inc();
      throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_identity', CA_CODES.badRequest, `metadata.${IMPERSONATED_IDENTITY}: ${errorMessage(error)}`);
    }
    if (trustDomain !== this.trustDomain) {
      this.#metrics.idErrors.inc();
      throw refuse(
        GrpcStatus.PERMISSION_DENIED,
        'wrong_trust_domain',
        CA_CODES.denied,
        `identity ${show(identity)} is in trust domain ${show(trustDomain)}; this CA issues only for ${show(this.trustDomain)}`,
        'check TRUST_DOMAIN on the ztunnel and the control plane',
      );
    }
    return identity;
  }

  /**
   * A node may have its own identity, and the identity of any pod the model schedules on it.
   * Istio answers an impersonation it refuses with Unauthenticated and an opaque message; we answer
   * PERMISSION_DENIED (the caller is known, the request is not allowed) with a message that names
   * the node and the identity, because the caller already knows both and operators need them.
   */
  #authorize(caller: Caller, identity: string): void {
    if (identity === this.nodeIdentity()) return;
    let allowed: ReadonlySet<string>;
    try {
      allowed = this.#directory.identitiesOnNode(caller.node);
    } catch (error) {
      throw refuse(GrpcStatus.INTERNAL, 'internal', CA_CODES.signFailed, `the identity directory failed: ${errorMessage(error)}`);
    }
    if (!allowed.has(identity)) {
      throw refuse(
        GrpcStatus.PERMISSION_DENIED,
        'not_on_node',
        CA_CODES.denied,
        `${caller.subject} may not obtain a certificate for ${show(identity)}: no pod with that identity is scheduled on ${caller.node}`,
        'a ztunnel gets certificates only for pods on its own node; check the pod\'s spec.nodeName and service account',
      );
    }
  }

  async #inspect(csr: string, identity: string): Promise<CryptoKey> {
    let info: Awaited<ReturnType<typeof inspectCsr>>;
    try {
      info = await inspectCsr(csr, { maxBytes: this.maxRequestBytes });
    } catch (error) {
      this.#metrics.parsingErrors.inc();
      const known = error instanceof AmbitError && error.code === SPIFFE_ERROR_CODES.badCsr;
      const reason = known ? csrReason(error) : 'malformed_csr';
      throw refuse(GrpcStatus.INVALID_ARGUMENT, reason, CA_CODES.badCsr, errorMessage(error));
    }
    if (!info.signatureValid) {
      this.#metrics.parsingErrors.inc();
      throw refuse(GrpcStatus.INVALID_ARGUMENT, 'bad_signature', CA_CODES.badCsr, 'invalid CSR: the signature does not verify with the public key in the request');
    }
    const [san, ...more] = info.identities;
    if (san === undefined || more.length > 0) {
      this.#metrics.idErrors.inc();
      throw refuse(GrpcStatus.INVALID_ARGUMENT, 'san_mismatch', CA_CODES.badCsr, `invalid CSR: ${info.identities.length} URI SANs, expected exactly one`);
    }
    if (san !== identity) {
      this.#metrics.idErrors.inc();
      throw refuse(
        GrpcStatus.INVALID_ARGUMENT,
        'san_mismatch',
        CA_CODES.badCsr,
        `the CSR's URI SAN ${show(san)} is not the requested identity ${show(identity)}`,
        `put the identity in the CSR and, for a pod's certificate, also in metadata.${IMPERSONATED_IDENTITY}`,
      );
    }
    return info.publicKey;
  }

  #ttl(requested: bigint): number {
    if (requested <= 0n) return this.defaultTtlSeconds;
    return requested > BigInt(this.maxTtlSeconds) ? this.maxTtlSeconds : Number(requested);
  }

  #setBundle(bundle: TrustBundle): void {
    this.#bundle = bundle;
    this.#updateRootGauge();
    for (const listener of this.#bundleListeners) {
      try {
        listener(bundle);
      } catch (error) {
        this.#logger.error({ err: errorMessage(error) }, 'trust bundle listener failed');
      }
    }
  }

  #updateRootGauge(): void {
    const notAfter = rootNotAfter(this.#authority.rootPem);
    if (notAfter !== undefined) this.#metrics.rootExpiry.set(Math.floor(notAfter.getTime() / 1000));
  }

  /**
   * The service definition with a request deserializer that records the encoded size and turns a
   * protobuf decode error into a value the handler refuses (grpc-js would otherwise answer INTERNAL
   * without the CA ever seeing, logging or counting the request).
   */
  #definition(): grpc.ServiceDefinition {
    const definition = loadCaServiceDefinition();
    const method = definition['CreateCertificate'];
    if (method === undefined) throw caError(CA_CODES.signFailed, 'the CA service definition has no CreateCertificate method');
    const decode = method.requestDeserialize;
    return {
      ...definition,
      CreateCertificate: {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          let value: unknown;
          try {
            value = decode(bytes);
          } catch (error) {
            value = { [UNDECODABLE]: errorMessage(error) };
          }
          if (isRecord(value)) Object.defineProperty(value, REQUEST_SIZE, { value: bytes.length, enumerable: false });
          return value;
        },
      },
    };
  }
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw caError(CA_CODES.config, `${what} must be a positive whole number of seconds or bytes, got ${String(value)}`);
  return value;
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function rootNotAfter(pem: string): Date | undefined {
  try {
    return new Date(new X509Certificate(pem).validTo);
  } catch {
    return undefined;
  }
}

