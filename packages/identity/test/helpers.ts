// Shared pieces of the identity tests (not a test file): a fake clock with timers, a recording
// logger, and fake CA clients whose answers the test controls.
import type { LogFields, Logger } from '@ambit/core';
import { TrustBundle } from '@ambit/spiffe';
import type { Timers, WorkloadCertificate } from '../src/index.ts';

export const TD = 'cluster.local';
export const ZTUNNEL = `spiffe://${TD}/ns/istio-system/sa/ztunnel`;
export const WEB = `spiffe://${TD}/ns/app/sa/web`;
export const DB = `spiffe://${TD}/ns/app/sa/db`;
export const HOUR = 3600_000;

interface FakeTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** Time stands still until advance(); timers fire in order of due time, with `now` set to it. */
export class FakeClock implements Timers {
  now = Date.UTC(2030, 0, 1);
  readonly #timers = new Map<number, FakeTimer>();
  #next = 1;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.set(id, { id, at: this.now + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Pending timers, earliest first. */
  pending(): { at: number; inMs: number }[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id).map((t) => ({ at: t.at, inMs: t.at - this.now }));
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Moves time forward by ms, firing every timer that falls due (settling promises in between). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = [...this.#timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers.delete(due.id);
      this.now = Math.max(this.now, due.at);
      due.callback();
    }
    this.now = end;
    await settle();
  }

  /** Advances exactly to the earliest timer and fires it (and any due at the same time). */
  async fireNext(): Promise<number> {
    const first = this.pending()[0];
    if (!first) throw new Error('no timer pending');
    await this.advance(first.inMs);
    return first.at;
  }
}

/** Lets promise callbacks (several hops deep) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface LogRecord {
  level: string;
  fields: LogFields;
  message: string;
}

export class RecordingLogger implements Logger {
  readonly records: LogRecord[];
  constructor(records: LogRecord[] = []) {
    this.records = records;
  }
  debug(fields: LogFields, message: string): void {
    this.records.push({ level: 'debug', fields, message });
  }
  info(fields: LogFields, message: string): void {
    this.records.push({ level: 'info', fields, message });
  }
  warn(fields: LogFields, message: string): void {
    this.records.push({ level: 'warn', fields, message });
  }
  error(fields: LogFields, message: string): void {
    this.records.push({ level: 'error', fields, message });
  }
  child(): Logger {
    return this;
  }
}

let bundle: TrustBundle | undefined;
/** A certificate object for the fake client: the manager never parses it (a real root for the type). */
export function fakeCert(identity: string, notBefore: number, lifetimeMs: number, tag = ''): WorkloadCertificate {
  bundle ??= new TrustBundle([]);
  return {
    identity,
    keyPem: `fake key ${tag}`,
    certChainPem: [`leaf ${identity} ${tag}`, 'root'],
    trustBundle: bundle,
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + lifetimeMs),
  };
}

interface Pending {
  identity: string;
  ttlSeconds: number;
  resolve(cert: WorkloadCertificate): void;
  reject(error: Error): void;
}

/** A CA client whose requests stay pending until the test answers them. */
export class ManualClient {
  readonly pending: Pending[] = [];
  readonly calls: { identity: string; ttlSeconds: number }[] = [];

  request(identity: string, ttlSeconds: number): Promise<WorkloadCertificate> {
    this.calls.push({ identity, ttlSeconds });
    return new Promise((resolve, reject) => this.pending.push({ identity, ttlSeconds, resolve, reject }));
  }

  /** Answers the oldest pending request. */
  next(): Pending {
    const p = this.pending.shift();
    if (!p) throw new Error('no request pending');
    return p;
  }
}
