// Push debouncing, as istiod's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX: changes are merged until
// the source has been quiet for `quietMs`, but never held longer than `maxMs` after the first
// change of the batch (a steady trickle of changes must not starve clients).
import type { ResourceChange } from './types.ts';

export interface ChangeBatch {
  /** type URL -> changed names, merged over the batch. */
  changes: Map<string, Set<string>>;
  /** performance.now() of the first change in the batch (for pilot_proxy_convergence_time). */
  firstChangeAt: number;
  /** How many onChange events were merged. */
  events: number;
}

export interface DebouncerOptions {
  quietMs: number;
  maxMs: number;
  emit(batch: ChangeBatch): void;
  now?: () => number;
}

export class Debouncer {
  private readonly options: DebouncerOptions;
  private readonly now: () => number;
  private batch: ChangeBatch | undefined;
  private lastChangeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: DebouncerOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
  }

  add(change: ResourceChange): void {
    if (this.closed) return;
    const now = this.now();
    if (this.batch === undefined) this.batch = { changes: new Map(), firstChangeAt: now, events: 0 };
    let names = this.batch.changes.get(change.typeUrl);
    if (names === undefined) {
      names = new Set();
      this.batch.changes.set(change.typeUrl, names);
    }
    for (const name of change.names) names.add(name);
    this.batch.events++;
    this.lastChangeAt = now;
    if (this.timer === undefined) this.schedule(this.options.quietMs);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    const batch = this.batch;
    if (batch === undefined || this.closed) return;
    const now = this.now();
    const quietUntil = this.lastChangeAt + this.options.quietMs;
    const maxUntil = batch.firstChangeAt + this.options.maxMs;
    if (now < quietUntil && now < maxUntil) {
      // Changes kept arriving: wait for quiet, but not past the maximum.
      this.schedule(Math.min(quietUntil, maxUntil) - now);
      return;
    }
    this.batch = undefined;
    this.options.emit(batch);
  }

  /** Changes are waiting for the quiet period. */
  get pending(): boolean {
    return this.batch !== undefined;
  }

  /** Emits whatever is pending now (used by tests and on close). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = undefined;
    if (batch !== undefined && !this.closed) this.options.emit(batch);
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.batch = undefined;
    this.closed = true;
  }
}
