// The ztunnel's certificates: one per workload identity on the node, shared by all pods of that
// service account (ztunnel's cert_fetcher.rs + identity/manager.rs). A pod's arrival prefetches its
// identity's certificate; it is renewed at half-life; failed requests are retried per identity with
// capped, jittered exponential backoff while the still-valid certificate keeps serving; the last
// pod's departure forgets it. Every timer goes through the injected `timers`, every reading of the
// time through `now`, so tests drive the whole lifecycle deterministically.
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import * as prom from 'prom-client';
import { AmbitError, errorMessage, isAmbitError, type Logger } from '@ambit/core';
import { tryParseSpiffeId } from '@ambit/spiffe';
import { backoffDelay } from './backoff.ts';
import { IDENTITY_CODES, identityError } from './errors.ts';
import { halfLife, type CertificateSource, type WorkloadCertificate } from './workload-certificate.ts';

export type CertificateState = 'initializing' | 'available' | 'unavailable';

export interface CertificateStatus {
  identity: string;
  state: CertificateState;
  /** ISO 8601 times of the current certificate (the last one received, even if expired). */
  notBefore?: string;
  notAfter?: string;
  /** Hex serial number of the current leaf (the SERIAL NUMBER column). */
  serialNumber?: string;
  /** SHA-256 fingerprint (colon hex) of the root the current chain ends at. */
  rootFingerprint?: string;
  /** When the next request is due: the half-life renewal, or the next retry after a failure. */
  nextRefresh?: string;
  /** Message of the last failed request, cleared by the next success. */
  lastError?: string;
  /** Pods on this node holding the identity. */
  refs: number;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CertificateManagerOptions {
  client: CertificateSource;
  logger: Logger;
  registry?: prom.Registry;
  /** Requested lifetime; default 86400 (24 h, Istio's SECRET_TTL). */
  ttlSeconds?: number;
  /** First retry after 0.5-1x.. of this; default 500 ms. */
  minBackoffMs?: number;
  /** Retries never wait longer; default 150 s. */
  maxBackoffMs?: number;
  now?: () => number;
  timers?: Timers;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

export const DEFAULT_TTL_SECONDS = 86_400;
export const DEFAULT_MIN_BACKOFF_MS = 500;
export const DEFAULT_MAX_BACKOFF_MS = 150_000;
/** setTimeout cannot wait longer (2^31-1 ms); longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  resolve(cert: WorkloadCertificate): void;
  reject(error: Error): void;
  timer: unknown;
}

interface Entry {
  readonly identity: string;
  refs: number;
  cert: WorkloadCertificate | undefined;
  /** The in-flight request, shared by every acquire/wait meanwhile. */
  inFlight: boolean;
  /** refreshAll() came while a request was in flight: ask again when it lands. */
  refreshAgain: boolean;
  /** Failed requests in a row (drives the backoff). */
  failures: number;
  lastError: Error | undefined;
  timer: unknown;
  /** Epoch ms at which the armed timer's request is due. */
  dueAt: number | undefined;
  readonly waiters: Set<Waiter>;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const METRIC_CERTIFICATES = 'ambit_ztunnel_certificates';
const METRIC_REQUESTS = 'ambit_ztunnel_certificate_requests_total';
const METRIC_DURATION = 'ambit_ztunnel_certificate_request_duration_seconds';

export interface CertificateManagerEvents {
  updated: [identity: string, cert: WorkloadCertificate];
  failed: [identity: string, error: Error];
}

export class CertificateManager extends EventEmitter<CertificateManagerEvents> {
  readonly #client: CertificateSource;
  readonly #logger: Logger;
  readonly #registry: prom.Registry | undefined;
  readonly #ttlSeconds: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #serials = new WeakMap<WorkloadCertificate, string>();
  readonly #roots = new WeakMap<WorkloadCertificate, string>();
  readonly #requests: prom.Counter<'result'>;
  readonly #duration: prom.Histogram;
  #closed = false;

  constructor(o: CertificateManagerOptions) {
    super();
    this.#client = o.client;
    this.#logger = o.logger;
    this.#registry = o.registry;
    this.#ttlSeconds = o.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isSafeInteger(this.#ttlSeconds) || this.#ttlSeconds <= 0) throw new TypeError(`CertificateManager: ttlSeconds must be a positive integer, got ${String(o.ttlSeconds)}`);
    this.#minBackoffMs = o.minBackoffMs ?? DEFAULT_MIN_BACKOFF_MS;
    this.#maxBackoffMs = o.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    if (!(this.#minBackoffMs > 0 && this.#maxBackoffMs >= this.#minBackoffMs)) {
      throw new TypeError(`CertificateManager: need 0 < minBackoffMs <= maxBackoffMs, got ${String(o.minBackoffMs)} and ${String(o.maxBackoffMs)}`);
    }
    this.#now = o.now ?? Date.now;
    this.#timers = o.timers ?? realTimers;
    this.#random = o.random ?? Math.random;
    const registers = this.#registry ? [this.#registry] : [];
    const gauge: prom.Gauge<'state'> = new prom.Gauge({
      name: METRIC_CERTIFICATES,
      help: 'Workload certificates held by this ztunnel, by state (initializing, available, unavailable)',
      labelNames: ['state'],
      registers,
      collect: () => {
        const counts: Record<CertificateState, number> = { initializing: 0, available: 0, unavailable: 0 };
        for (const entry of this.#entries.values()) counts[this.#state(entry)] += 1;
        for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
      },
    });
    this.#requests = new prom.Counter({
      name: METRIC_REQUESTS,
      help: 'Certificate requests sent to the CA, by result (success, failure)',
      labelNames: ['result'],
      registers,
    });
    this.#requests.inc({ result: 'success' }, 0);
    this.#requests.inc({ result: 'failure' }, 0);
    this.#duration = new prom.Histogram({
      name: METRIC_DURATION,
      help: 'Time from sending a certificate request to its outcome',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /** A pod with this identity was added on the node: count it, and fetch the certificate now if there is none. */
  acquire(identity: string): void {
    if (this.#closed) throw this.#closedError(identity);
    const id = checkIdentity(identity);
    const existing = this.#entries.get(id);
    if (existing) {
      existing.refs += 1;
      return;
    }
    const entry: Entry = { identity: id, refs: 1, cert: undefined, inFlight: false, refreshAgain: false, failures: 0, lastError: undefined, timer: undefined, dueAt: undefined, waiters: new Set() };
    this.#entries.set(id, entry);
    this.#logger.debug({ identity: id }, 'prefetching workload certificate');
    this.#fetch(entry);
  }

  /** A pod with this identity left: when it was the last one, stop renewing and forget the certificate. */
  release(identity: string): void {
    const entry = this.#entries.get(identity);
    if (!entry) {
      if (!this.#closed) this.#logger.warn({ identity }, 'release of a workload identity that is not held; ignored');
      return;
    }
    entry.refs -= 1;
    if (entry.refs > 0) return;
    this.#forget(entry, identityError(IDENTITY_CODES.certUnknownIdentity, `no pod with identity ${identity} is on this node any more`));
    this.#logger.debug({ identity }, 'released workload certificate');
  }

  /** The current valid certificate, also while a renewal is failing; undefined once it expired. */
  get(identity: string): WorkloadCertificate | undefined {
    const entry = this.#entries.get(identity);
    return entry ? this.#valid(entry) : undefined;
  }

  /** Resolves with a valid certificate as soon as there is one (first connection of a new pod). */
  wait(identity: string, timeoutMs: number): Promise<WorkloadCertificate> {
    if (this.#closed) return Promise.reject(this.#closedError(identity));
    const entry = this.#entries.get(identity);
    if (!entry) {
      return Promise.reject(identityError(IDENTITY_CODES.certUnknownIdentity, `no pod with identity ${identity} is on this node`, { hint: 'acquire() the identity when its pod is added' }));
    }
    const cert = this.#valid(entry);
    if (cert) return Promise.resolve(cert);
    return new Promise<WorkloadCertificate>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      const ms = Number.isFinite(timeoutMs) ? Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS) : MAX_TIMER_MS;
      waiter.timer = this.#timers.setTimeout(() => {
        entry.waiters.delete(waiter);
        const last = entry.lastError;
        reject(
          identityError(IDENTITY_CODES.certTimeout, `no certificate for ${identity} within ${ms} ms${last ? `; last CA error: ${errorMessage(last)}` : ''}`, {
            ...(last ? { cause: last } : {}),
            hint: 'see the ztunnel log and `ambit ztunnel-config certificates`',
          }),
        );
      }, ms);
      entry.waiters.add(waiter);
    });
  }

  /**
   * Renews every held certificate now, not at half-life (the trust bundle changed: after a root
   * rotation's switch the CA signs with the new root). The current certificates keep serving until
   * their replacements arrive; a request already in flight is followed by one more. Failures take
   * the usual backoff.
   */
  refreshAll(): number {
    if (this.#closed) return 0;
    let count = 0;
    for (const entry of this.#entries.values()) {
      count += 1;
      if (entry.inFlight) entry.refreshAgain = true;
      else this.#fetch(entry);
    }
    if (count > 0) this.#logger.info({ identities: count }, 'renewing every workload certificate (trust bundle changed)');
    return count;
  }

  status(): CertificateStatus[] {
    const out: CertificateStatus[] = [];
    for (const entry of this.#entries.values()) {
      const s: CertificateStatus = { identity: entry.identity, state: this.#state(entry), refs: entry.refs };
      if (entry.cert) {
        s.notBefore = entry.cert.notBefore.toISOString();
        s.notAfter = entry.cert.notAfter.toISOString();
        const serial = this.#serial(entry.cert);
        if (serial) s.serialNumber = serial;
        const root = this.#rootOf(entry.cert);
        if (root) s.rootFingerprint = root;
      }
      if (entry.dueAt !== undefined) s.nextRefresh = new Date(entry.dueAt).toISOString();
      if (entry.lastError) s.lastError = errorMessage(entry.lastError);
      out.push(s);
    }
    return out.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  }

  /** Stops every timer, rejects every waiter, forgets every certificate; late replies are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) this.#forget(entry, this.#closedError(entry.identity));
    if (this.#registry) for (const name of [METRIC_CERTIFICATES, METRIC_REQUESTS, METRIC_DURATION]) this.#registry.removeSingleMetric(name);
  }

  #state(entry: Entry): CertificateState {
    if (this.#valid(entry)) return 'available';
    return entry.cert === undefined && entry.lastError === undefined ? 'initializing' : 'unavailable';
  }

  #valid(entry: Entry): WorkloadCertificate | undefined {
    const cert = entry.cert;
    if (!cert) return undefined;
    const now = this.#now();
    return now >= cert.notBefore.getTime() && now < cert.notAfter.getTime() ? cert : undefined;
  }

  #live(entry: Entry): boolean {
    return !this.#closed && this.#entries.get(entry.identity) === entry;
  }

  #forget(entry: Entry, reason: Error): void {
    this.#disarm(entry);
    if (this.#entries.get(entry.identity) === entry) this.#entries.delete(entry.identity);
    for (const waiter of entry.waiters) {
      this.#timers.clearTimeout(waiter.timer);
      waiter.reject(reason);
    }
    entry.waiters.clear();
  }

  #fetch(entry: Entry): void {
    if (entry.inFlight || !this.#live(entry)) return;
    this.#disarm(entry);
    entry.inFlight = true;
    const started = this.#now();
    let request: Promise<WorkloadCertificate>;
    try {
      request = Promise.resolve(this.#client.request(entry.identity, this.#ttlSeconds));
    } catch (error) {
      request = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    request.then(
      (cert) => this.#succeeded(entry, cert, started),
      (error: unknown) => this.#failed(entry, error instanceof Error ? error : new Error(String(error)), started),
    );
  }

  #succeeded(entry: Entry, cert: WorkloadCertificate, started: number): void {
    entry.inFlight = false;
    if (!this.#live(entry)) return;
    const now = this.#now();
    if (cert.identity !== entry.identity) {
      this.#failed(entry, identityError(IDENTITY_CODES.caWrongIdentity, `the CA client returned a certificate for ${cert.identity} when ${entry.identity} was asked for`), started);
      return;
    }
    if (!(cert.notAfter.getTime() > now && cert.notBefore.getTime() <= now)) {
      this.#failed(
        entry,
        identityError(IDENTITY_CODES.certExpired, `the certificate issued for ${entry.identity} is valid ${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}, which excludes now (${new Date(now).toISOString()})`, {
          hint: 'the clocks of this node and the control plane disagree',
        }),
        started,
      );
      return;
    }
    this.#requests.inc({ result: 'success' });
    this.#duration.observe(Math.max(0, now - started) / 1000);
    entry.cert = cert;
    entry.failures = 0;
    entry.lastError = undefined;
    // Renew at half-life; a CA that issues absurdly short certificates must not make us spin.
    this.#arm(entry, Math.max(halfLife(cert), now + this.#minBackoffMs));
    this.#logger.info({ identity: entry.identity, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString(), refreshAt: new Date(entry.dueAt ?? now).toISOString(), serialNumber: this.#serial(cert) }, 'workload certificate issued');
    for (const waiter of entry.waiters) {
      this.#timers.clearTimeout(waiter.timer);
      waiter.resolve(cert);
    }
    entry.waiters.clear();
    this.#emitSafely('updated', entry.identity, cert);
    if (entry.refreshAgain) {
      entry.refreshAgain = false;
      this.#fetch(entry);
    }
  }

  #failed(entry: Entry, error: Error, started: number): void {
    entry.inFlight = false;
    if (!this.#live(entry)) return;
    const now = this.#now();
    this.#requests.inc({ result: 'failure' });
    this.#duration.observe(Math.max(0, now - started) / 1000);
    entry.failures += 1;
    entry.lastError = error;
    const delay = backoffDelay(entry.failures, { minMs: this.#minBackoffMs, maxMs: this.#maxBackoffMs, random: this.#random });
    this.#arm(entry, now + delay);
    const serving = this.#valid(entry);
    this.#logger.warn(
      {
        identity: entry.identity,
        code: isAmbitError(error) ? error.code : undefined,
        error: errorMessage(error),
        failures: entry.failures,
        retryInMs: delay,
        ...(serving ? { servingUntil: serving.notAfter.toISOString() } : {}),
      },
      serving ? 'workload certificate renewal failed; the current certificate stays in use' : 'workload certificate request failed',
    );
    this.#emitSafely('failed', entry.identity, error);
  }

  #arm(entry: Entry, dueAt: number): void {
    this.#disarm(entry);
    entry.dueAt = dueAt;
    const step = (): void => {
      entry.timer = undefined;
      if (!this.#live(entry)) return;
      const left = dueAt - this.#now();
      if (left > 0) {
        // Long waits are re-armed in steps below setTimeout's limit (and a timer that fired early).
        entry.timer = this.#timers.setTimeout(step, Math.min(left, MAX_TIMER_MS));
        return;
      }
      entry.dueAt = undefined;
      this.#fetch(entry);
    };
    entry.timer = this.#timers.setTimeout(step, Math.min(Math.max(0, dueAt - this.#now()), MAX_TIMER_MS));
  }

  #disarm(entry: Entry): void {
    if (entry.timer !== undefined) this.#timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.dueAt = undefined;
  }

  #emitSafely<K extends keyof CertificateManagerEvents>(event: K, ...args: CertificateManagerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: CertificateManagerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#logger.error({ event, error: errorMessage(error) }, 'a certificate event listener threw');
    }
  }

  #rootOf(cert: WorkloadCertificate): string | undefined {
    let root = this.#roots.get(cert);
    if (root === undefined) {
      try {
        root = new X509Certificate(cert.certChainPem.at(-1) ?? '').fingerprint256;
      } catch {
        root = '';
      }
      this.#roots.set(cert, root);
    }
    return root === '' ? undefined : root;
  }

  #serial(cert: WorkloadCertificate): string | undefined {
    let serial = this.#serials.get(cert);
    if (serial === undefined) {
      try {
        serial = new X509Certificate(cert.certChainPem[0] ?? '').serialNumber.toLowerCase();
      } catch {
        serial = '';
      }
      this.#serials.set(cert, serial);
    }
    return serial === '' ? undefined : serial;
  }

  #closedError(identity: string): AmbitError {
    return identityError(IDENTITY_CODES.certClosed, `the certificate manager is closed; no certificate for ${identity}`);
  }
}

function checkIdentity(identity: string): string {
  const id = typeof identity === 'string' ? tryParseSpiffeId(identity) : undefined;
  if (!id || id.path === '') {
    throw identityError(IDENTITY_CODES.certBadIdentity, `${JSON.stringify(String(identity).slice(0, 200))} is not a workload SPIFFE ID`, { hint: 'expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>' });
  }
  return id.uri;
}
