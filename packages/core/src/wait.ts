import { setTimeout as sleep } from 'node:timers/promises';
import { AmbitError } from './errors.ts';

export interface WaitOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Pause between attempts; grows by half each time up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** What is being waited for, for the timeout error. */
  what: string;
}

/** Absolute deadline helper: `remaining()` never goes below zero. */
export function deadline(timeoutMs: number): { remaining(): number; expired(): boolean } {
  const end = Date.now() + timeoutMs;
  return {
    remaining: () => Math.max(0, end - Date.now()),
    expired: () => Date.now() >= end,
  };
}

/**
 * Polls `check` until it returns a value other than undefined or false, bounded in time.
 * Polling with a deadline, never a bare sleep, is how tests and the lab wait for the kernel.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const limit = deadline(options.timeoutMs);
  let interval = options.intervalMs ?? 20;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (limit.expired()) {
      throw new AmbitError('AMBIT_CORE_TIMEOUT', `timed out after ${options.timeoutMs}ms waiting for ${options.what}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(interval, limit.remaining() || 1));
    interval = Math.min(Math.ceil(interval * 1.5), options.maxIntervalMs ?? 500);
  }
}
