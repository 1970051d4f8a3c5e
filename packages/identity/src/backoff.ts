// Per-identity retry delays after failed certificate requests: exponential from minMs, capped at
// maxMs, with jitter so that the ztunnels of a cluster do not all retry in step after a CA outage.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

/**
 * The delay before retry number `failures` (1 = after the first failure):
 * base = min(maxMs, minMs * 2^(failures-1)), delay = min(maxMs, base * (1 + random)).
 * With minMs 500 the first retry comes after 0.5-1 s; every delay is at most maxMs.
 */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  const minMs = Math.max(1, options.minMs);
  const maxMs = Math.max(minMs, options.maxMs);
  const exponent = Math.min(Math.max(0, Math.floor(failures) - 1), 52);
  const base = Math.min(maxMs, minMs * 2 ** exponent);
  const r = (options.random ?? Math.random)();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.round(Math.min(maxMs, base * (1 + jitter)));
}
