// Admission of retries per cluster, from circuit_breakers.thresholds (priority DEFAULT):
// - with a retry_budget, at most max(budget_percent% of the active requests, min_retry_concurrency)
//   retries may be outstanding at once (Envoy: the budget replaces max_retries);
// - without one, at most max_retries (Envoy's default 3).
// "Active requests" are the upstream attempts in flight, retries included, as Envoy counts them.
// A retry that is refused is not an error: the last attempt's result goes back to the client.
import type { envoy } from '@ambit/xds-types';

/** Envoy's circuit breaker defaults (per priority). */
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_REQUESTS = 1024;
const DEFAULT_BUDGET_PERCENT = 20;
const DEFAULT_MIN_RETRY_CONCURRENCY = 3;

export interface RetryBudget {
  /** Upstream attempts in flight. */
  readonly active: number;
  /** Retries in flight (counted from the decision to retry until that attempt ends). */
  readonly retries: number;
  /** Whether one more attempt fits circuit_breakers max_requests. */
  canStartAttempt(): boolean;
  attemptStarted(): void;
  attemptEnded(): void;
  /** Reserves a retry when the budget allows; the caller calls retryEnded() once it is over. */
  tryReserveRetry(): boolean;
  retryEnded(): void;
}

export function createRetryBudget(thresholds: envoy.CircuitBreakerThresholds | undefined): RetryBudget {
  const maxRequests = thresholds?.max_requests?.value ?? DEFAULT_MAX_REQUESTS;
  const budget = thresholds?.retry_budget
    ? {
        percent: thresholds.retry_budget.budget_percent?.value ?? DEFAULT_BUDGET_PERCENT,
        minConcurrency: thresholds.retry_budget.min_retry_concurrency?.value ?? DEFAULT_MIN_RETRY_CONCURRENCY,
      }
    : undefined;
  const maxRetries = thresholds?.max_retries?.value ?? DEFAULT_MAX_RETRIES;
  let active = 0;
  let retries = 0;
  return {
    get active() {
      return active;
    },
    get retries() {
      return retries;
    },
    canStartAttempt: () => active < maxRequests,
    attemptStarted() {
      active++;
    },
    attemptEnded() {
      active = Math.max(0, active - 1);
    },
    tryReserveRetry() {
      const limit = budget ? Math.max((budget.percent / 100) * active, budget.minConcurrency) : maxRetries;
      if (retries >= limit) return false;
      retries++;
      return true;
    },
    retryEnded() {
      retries = Math.max(0, retries - 1);
    },
  };
}
