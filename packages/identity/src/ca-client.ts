// One CreateCertificate exchange with the mesh CA (istio.v1.auth.IstioCertificateService), as
// ztunnel's caclient.rs does it: a fresh P-256 key and CSR per request, the node's bearer credential
// in `authorization`, `metadata.ImpersonatedIdentity` for every identity but the node's own, and a
// reply accepted only once its leaf carries exactly the identity asked for, certifies our key and
// chains to the root the CA sent.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { isAmbitError } from '@ambit/core';
import { createCsr, exportPrivateKeyPem, generateKeyPair, MAX_CHAIN_LENGTH, parseSpiffeId, SPIFFE_ERROR_CODES, TrustBundle, verifyPeerChain } from '@ambit/spiffe';
import type { ca, Init } from '@ambit/xds-types';
import { caClientConstructor } from '@ambit/xds-types';
import { CaError, IDENTITY_CODES, type IdentityErrorCode } from './errors.ts';
import type { CertificateSource, WorkloadCertificate } from './workload-certificate.ts';

export interface CaClientOptions {
  /** host:port of the CA (CA_ADDRESS without the scheme), e.g. `10.0.0.1:15012`. */
  address: string;
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** The node's bearer credential, read again for every request (tokens rotate). Never logged. */
  token: () => Promise<string> | string;
  /** spiffe://<td>/ns/istio-system/sa/ztunnel: requested without impersonation. */
  nodeIdentity: string;
  /** Deadline of one request, connection included; default 10 s. */
  timeoutMs?: number;
}

export const DEFAULT_CA_TIMEOUT_MS = 10_000;
/** A CA reply is a handful of PEM certificates; refuse anything bigger before parsing it. */
const MAX_RESPONSE_BYTES = 256 * 1024;
/** Longest TTL we ask for: Istio's MAX_WORKLOAD_CERT_TTL (90 days). */
const MAX_TTL_SECONDS = 90 * 24 * 3600;
/** Server-supplied text quoted in our messages is cut to this length. */
const MAX_DETAIL_CHARS = 300;

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
interface GrpcCaClient extends grpc.Client {
  CreateCertificate(request: Init<ca.IstioCertificateRequest>, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback): grpc.ClientUnaryCall;
}

const STATUS_CODES: Partial<Record<number, IdentityErrorCode>> = {
  [grpc.status.UNAUTHENTICATED]: IDENTITY_CODES.caUnauthenticated,
  [grpc.status.PERMISSION_DENIED]: IDENTITY_CODES.caDenied,
  [grpc.status.INVALID_ARGUMENT]: IDENTITY_CODES.caRejected,
  [grpc.status.FAILED_PRECONDITION]: IDENTITY_CODES.caRejected,
  [grpc.status.OUT_OF_RANGE]: IDENTITY_CODES.caRejected,
  [grpc.status.UNAVAILABLE]: IDENTITY_CODES.caUnavailable,
  [grpc.status.DEADLINE_EXCEEDED]: IDENTITY_CODES.caTimeout,
};

const HINTS: Partial<Record<IdentityErrorCode, string>> = {
  [IDENTITY_CODES.caUnauthenticated]: 'the node credential is missing, stale or not known to the control plane',
  [IDENTITY_CODES.caDenied]: 'the control plane does not (yet) see a pod with this service account on this node',
  [IDENTITY_CODES.caUnavailable]: 'check CA_ADDRESS, that the control plane runs, and that its certificate chains to the configured root',
  [IDENTITY_CODES.caTimeout]: 'the control plane is overloaded or unreachable',
};

function statusName(code: number): string {
  return (grpc.status as unknown as Record<number, string>)[code] ?? String(code);
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}...` : text;
}

export class CaClient implements CertificateSource {
  readonly address: string;
  readonly nodeIdentity: string;
  readonly #trustDomain: string;
  readonly #client: GrpcCaClient;
  readonly #token: () => Promise<string> | string;
  readonly #timeoutMs: number;
  readonly #calls = new Set<grpc.ClientUnaryCall>();
  #closed = false;

  constructor(o: CaClientOptions) {
    const node = parseSpiffeId(String(o.nodeIdentity));
    if (typeof o.token !== 'function') throw new TypeError('CaClient: options.token must be a function returning the node credential');
    const timeoutMs = o.timeoutMs ?? DEFAULT_CA_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError(`CaClient: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
    this.address = o.address;
    this.nodeIdentity = node.uri;
    this.#trustDomain = node.trustDomain;
    this.#token = o.token;
    this.#timeoutMs = timeoutMs;
    const Client = caClientConstructor();
    const channelOptions: grpc.ChannelOptions = { 'grpc.max_receive_message_length': MAX_RESPONSE_BYTES, ...o.channelOptions };
    this.#client = new Client(o.address, o.credentials, channelOptions) as unknown as GrpcCaClient;
  }

  async request(identity: string, ttlSeconds: number): Promise<WorkloadCertificate> {
    if (this.#closed) throw this.#closedError(identity);
    const id = this.#checkRequest(identity, ttlSeconds);
    const keys = await generateKeyPair();
    const csr = await createCsr({ identity: id, keys });
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    const token = await this.#readToken();
    if (this.#closed) throw this.#closedError(id);
    const request: Init<ca.IstioCertificateRequest> = {
      csr,
      validity_duration: String(ttlSeconds),
      metadata: id === this.nodeIdentity ? null : { fields: { ImpersonatedIdentity: { stringValue: id } } },
    };
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const response = await this.#call(id, request, metadata);
    return this.#accept(id, keyPem, response);
  }

  /** Cancels calls in flight (they fail with AMBIT_ZTUNNEL_CA_CLOSED) and closes the channel. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#calls) call.cancel();
    this.#calls.clear();
    this.#client.close();
  }

  #checkRequest(identity: string, ttlSeconds: number): string {
    let uri: string;
    let trustDomain: string;
    try {
      ({ uri, trustDomain } = parseSpiffeId(identity));
    } catch (cause) {
      throw new CaError(IDENTITY_CODES.caBadRequest, `cannot request a certificate for ${JSON.stringify(clip(String(identity)))}: not a SPIFFE ID`, { cause });
    }
    if (trustDomain !== this.#trustDomain) {
      throw new CaError(IDENTITY_CODES.caBadRequest, `cannot request a certificate for ${uri}: it is not in this node's trust domain "${this.#trustDomain}"`, {
        hint: 'TRUST_DOMAIN of the ztunnel and of the control plane must agree',
      });
    }
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
      throw new CaError(IDENTITY_CODES.caBadRequest, `cannot request a certificate for ${uri} valid ${String(ttlSeconds)} s: expected whole seconds in 1..${MAX_TTL_SECONDS}`);
    }
    return uri;
  }

  async #readToken(): Promise<string> {
    let token: unknown;
    try {
      token = await this.#token();
    } catch (cause) {
      throw new CaError(IDENTITY_CODES.caToken, 'the node credential for the CA could not be read', { cause, hint: 'check the token file the ztunnel was given' });
    }
    const trimmed = typeof token === 'string' ? token.trim() : '';
    if (trimmed === '' || /[\r\n]/.test(trimmed)) {
      throw new CaError(IDENTITY_CODES.caToken, 'the node credential for the CA is empty or not a single line', { hint: 'check the token file the ztunnel was given' });
    }
    return trimmed;
  }

  #call(identity: string, request: Init<ca.IstioCertificateRequest>, metadata: grpc.Metadata): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.#timeoutMs);
      let call: grpc.ClientUnaryCall | undefined = undefined;
      try {
        call = this.#client.CreateCertificate(request, metadata, { deadline }, (error, response) => {
          if (call) this.#calls.delete(call);
          if (error) reject(this.#grpcError(identity, error));
          else resolve(response);
        });
      } catch (cause) {
        // The checked serializer refuses a bad request synchronously: a bug on our side.
        reject(new CaError(IDENTITY_CODES.caError, `the CA request for ${identity} could not be sent`, { cause }));
        return;
      }
      this.#calls.add(call);
    });
  }

  #grpcError(identity: string, error: grpc.ServiceError): CaError {
    if (this.#closed && error.code === grpc.status.CANCELLED) return this.#closedError(identity);
    const code = STATUS_CODES[error.code] ?? IDENTITY_CODES.caError;
    const hint = HINTS[code];
    const what =
      code === IDENTITY_CODES.caUnavailable ? 'could not be reached for' : code === IDENTITY_CODES.caTimeout ? 'did not answer in time for' : code === IDENTITY_CODES.caError ? 'failed to issue' : 'refused';
    return new CaError(code, `the CA at ${this.address} ${what} a certificate for ${identity}: ${statusName(error.code)}: ${clip(error.details ?? '')}`, {
      cause: error,
      grpcCode: error.code,
      details: { identity, grpcCode: error.code, grpcStatus: statusName(error.code) },
      ...(hint ? { hint } : {}),
    });
  }

  #closedError(identity: string): CaError {
    return new CaError(IDENTITY_CODES.caClosed, `the CA client for ${this.address} is closed; no certificate for ${identity}`, { grpcCode: grpc.status.CANCELLED });
  }

  async #accept(identity: string, keyPem: string, response: unknown): Promise<WorkloadCertificate> {
    const bad = (what: string, cause?: unknown): CaError =>
      new CaError(IDENTITY_CODES.caBadResponse, `the CA at ${this.address} answered the request for ${identity} with ${what}`, {
        ...(cause === undefined ? {} : { cause }),
        details: { identity },
      });
    const chain: unknown = typeof response === 'object' && response !== null ? (response as { cert_chain?: unknown }).cert_chain : undefined;
    if (!Array.isArray(chain) || !chain.every((c): c is string => typeof c === 'string')) throw bad('no certificate chain');
    if (chain.length < 2) throw bad(`a chain of ${chain.length} certificate(s); expected the leaf first and the root last`);
    if (chain.length > MAX_CHAIN_LENGTH + 1) throw bad(`a chain of ${chain.length} certificates, more than ${MAX_CHAIN_LENGTH + 1}`);
    const rootPem = chain[chain.length - 1] as string;
    let bundle: TrustBundle;
    try {
      bundle = new TrustBundle([rootPem]);
    } catch (cause) {
      throw bad(`a last certificate that is not a usable root: ${isAmbitError(cause) ? cause.message : String(cause)}`, cause);
    }
    const check = await verifyPeerChain(chain.slice(0, -1), { bundle, expectedIdentity: identity, trustDomain: this.#trustDomain });
    if (!check.ok) {
      if (check.code === SPIFFE_ERROR_CODES.wrongIdentity || check.code === SPIFFE_ERROR_CODES.san || check.code === SPIFFE_ERROR_CODES.wrongTrustDomain) {
        throw new CaError(IDENTITY_CODES.caWrongIdentity, `the CA at ${this.address} returned a certificate that is not for ${identity}: ${clip(check.reason)}`, {
          hint: 'a CA bug or an impersonation attempt; the certificate was not used',
          details: { identity, check: check.code },
        });
      }
      if (check.code === SPIFFE_ERROR_CODES.badCert || check.code === SPIFFE_ERROR_CODES.badPem) throw bad(`a certificate that does not parse: ${clip(check.reason)}`);
      throw new CaError(IDENTITY_CODES.caUntrusted, `the CA at ${this.address} returned a certificate for ${identity} that does not verify against the root it sent: ${clip(check.reason)}`, {
        hint: 'the CA chain is broken or expired, or the clocks disagree',
        details: { identity, check: check.code },
      });
    }
    const leaf = new X509Certificate(chain[0] as string);
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw bad('a certificate for a key other than the one in our CSR');
    const notBefore = leaf.validFromDate;
    const notAfter = new Date(Math.min(leaf.validToDate.getTime(), check.notAfter.getTime()));
    return Object.freeze({ identity, keyPem, certChainPem: Object.freeze([...chain]) as string[], trustBundle: bundle, notBefore, notAfter });
  }
}
