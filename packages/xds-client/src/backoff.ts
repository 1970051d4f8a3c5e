// Reconnect backoff as ztunnel's xDS client: start at 10 ms, double after each failed attempt, cap
// at 15 s; reset once a stream has delivered data. No jitter (ztunnel has none either); the delay
// before the first retry is small enough that a restarted control plane is not stampeded for long.
import { xdsClientError } from './errors.ts';

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export const DEFAULT_INITIAL_BACKOFF_MS = 10;
export const DEFAULT_MAX_BACKOFF_MS = 15_000;

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private current: number;

  constructor(options: BackoffOptions = {}) {
    const initialMs = options.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const maxMs = options.maxMs ?? Math.max(DEFAULT_MAX_BACKOFF_MS, initialMs);
    if (!Number.isFinite(initialMs) || initialMs <= 0) {
      throw xdsClientError('AMBIT_XDS_CLIENT_CONFIG', `backoff.initialMs must be a positive number of milliseconds, got ${String(initialMs)}`);
    }
    if (!Number.isFinite(maxMs) || maxMs < initialMs) {
      throw xdsClientError('AMBIT_XDS_CLIENT_CONFIG', `backoff.maxMs must be at least backoff.initialMs (${initialMs}), got ${String(maxMs)}`);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.current = initialMs;
  }

  /** The delay before the next attempt; each call doubles the one after, up to maxMs. */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return delay;
  }

  /** After a stream that delivered data: the next attempt waits initialMs again. */
  reset(): void {
    this.current = this.initialMs;
  }
}
