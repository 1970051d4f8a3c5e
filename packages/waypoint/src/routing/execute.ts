// Runs one request against a route's cluster as Envoy's router does: pick an endpoint, attempt,
// record the outcome for outlier detection, and retry by the route's policy:
// - retry_on: 5xx (any 5xx, connect failure, reset, refused stream, per-try timeout as 504),
//   gateway-error (502/503/504, connect failure, reset, per-try timeout), reset, connect-failure,
//   refused-stream, retriable-status-codes, retriable-4xx (409), and the gRPC conditions
//   (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) from the grpc-status
//   response header;
// - endpoints tried already are skipped while others remain;
// - back-off: full jitter, uniform in [0, min(max_interval, (2^N - 1) x base_interval)) before
//   retry N;
// - the cluster's retry budget (or max_retries) admits each retry; a refused retry returns the
//   last result as it is;
// - a request whose body cannot be replayed is retried only when the upstream never saw it
//   (connect failure, refused stream);
// - per-try timeout -> that attempt ends as a timeout (504 UT if it is the last); the route timeout
//   covers every attempt and back-off and the response body -> 504 UT.
// Responses of discarded attempts (retried, or late after a timeout) have their bodies destroyed.
import type { AttemptOutcome, ClusterRuntime, Endpoint, ExecuteRequest, RetrySpec } from '../contracts.ts';
import { clusterAccounting, type ClusterAccounting } from './cluster.ts';
import { createRetryBudget } from './retry-budget.ts';

/** Starts a timer; returns its cancel function. */
export type Schedule = (callback: () => void, ms: number) => () => void;

export interface ExecutorOptions {
  /** In [0, 1): back-off jitter and the weighted cluster pick's randomness. */
  random?: () => number;
  schedule?: Schedule;
}

const realSchedule: Schedule = (callback, ms) => {
  const t = setTimeout(callback, ms);
  return () => clearTimeout(t);
};

type Result = Awaited<ReturnType<ExecuteRequest>>;
type Local = Extract<Result, { kind: 'local' }>;

/** Envoy's local replies: response flag, status and body. */
const LOCAL = {
  noHealthy: { flag: 'UH', status: 503, body: 'no healthy upstream' },
  connectFailure: { flag: 'UF', status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' },
  reset: { flag: 'UR', status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: remote reset' },
  refused: { flag: 'UR', status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset' },
  overflow: { flag: 'UO', status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow' },
  timeout: { flag: 'UT', status: 504, body: 'upstream request timeout' },
} as const;

const GRPC_CONDITIONS: Record<string, string> = { '1': 'cancelled', '4': 'deadline-exceeded', '8': 'resource-exhausted', '13': 'internal', '14': 'unavailable' };

/** Accounting for ClusterRuntime implementations other than createClusterRuntime's (Envoy's default limits). */
const fallback = new WeakMap<ClusterRuntime, ClusterAccounting>();
function accountingOf(cluster: ClusterRuntime): ClusterAccounting {
  const own = clusterAccounting(cluster);
  if (own) return own;
  let acct = fallback.get(cluster);
  if (!acct) {
    acct = { budget: createRetryBudget(undefined), release: () => {} };
    fallback.set(cluster, acct);
  }
  return acct;
}

/** Whether the route's retry policy asks to retry this outcome. */
export function wantsRetry(outcome: AttemptOutcome, spec: RetrySpec): boolean {
  const on = spec.retryOn;
  const byStatus = (status: number): boolean =>
    (on.has('5xx') && status >= 500 && status <= 599) ||
    (on.has('gateway-error') && (status === 502 || status === 503 || status === 504)) ||
    (on.has('retriable-4xx') && status === 409) ||
    (on.has('retriable-status-codes') && spec.retriableStatusCodes.has(status));
  switch (outcome.kind) {
    case 'response': {
      if (byStatus(outcome.status)) return true;
      const grpc = outcome.headers.find(([n]) => n === 'grpc-status')?.[1];
      const condition = grpc !== undefined ? GRPC_CONDITIONS[grpc.trim()] : undefined;
      return condition !== undefined && on.has(condition);
    }
    case 'connect-failure':
      return on.has('5xx') || on.has('gateway-error') || on.has('reset') || on.has('connect-failure');
    case 'refused-stream':
      return on.has('5xx') || on.has('reset') || on.has('refused-stream');
    case 'reset':
      return on.has('5xx') || on.has('gateway-error') || on.has('reset');
    case 'timeout':
      // Envoy answers a per-try timeout as a 504 and asks the policy about that.
      return byStatus(504);
  }
}

/** Back-off before retry `n` (1-based): full jitter over Envoy's exponential ceiling. */
export function backoffMs(n: number, spec: RetrySpec, random: number): number {
  const ceiling = Math.min(spec.backoffMaxMs, (2 ** n - 1) * spec.backoffBaseMs);
  return Math.floor(random * ceiling);
}

function discard(outcome: AttemptOutcome): void {
  if (outcome.kind === 'response') outcome.body.destroy();
}

function local(which: keyof typeof LOCAL, endpoint: Endpoint | undefined, attempts: number, exhausted = false): Local {
  const { flag, status, body } = LOCAL[which];
  return { kind: 'local', status, body, flags: exhausted ? `${flag},URX` : flag, endpoint, attempts };
}

export function createExecutor(options: ExecutorOptions = {}): ExecuteRequest {
  const random = options.random ?? Math.random;
  const schedule = options.schedule ?? realSchedule;

  return async ({ route, cluster, replayable, attempt, signal }) => {
    const acct = accountingOf(cluster);
    const spec: RetrySpec | undefined = route.retry;
    const overall = new AbortController();
    let timedOut = false;
    const cancelOverall = route.timeoutMs > 0 ? schedule(() => { timedOut = true; overall.abort(new Error('upstream request timeout')); }, route.timeoutMs) : () => {};
    const onDownstreamAbort = (): void => overall.abort(signal.reason);
    if (signal.aborted) overall.abort(signal.reason);
    else signal.addEventListener('abort', onDownstreamAbort, { once: true });
    let keepTimer = false;
    const cleanup = (): void => {
      cancelOverall();
      signal.removeEventListener('abort', onDownstreamAbort);
    };

    const cancelled = (endpoint: Endpoint | undefined, attempts: number): Local =>
      // The client went away: nothing will be written; 499 and DC are for the access log.
      ({ kind: 'local', status: 499, body: '', flags: 'DC', endpoint, attempts });

    /** One attempt bounded by the per-try timeout and the overall signal; 'cancelled' when the client left. */
    const runAttempt = async (endpoint: Endpoint): Promise<AttemptOutcome | 'cancelled'> => {
      const perTry = new AbortController();
      const fromOverall = (): void => perTry.abort(overall.signal.reason);
      overall.signal.addEventListener('abort', fromOverall, { once: true });
      let perTryTimedOut = false;
      const perTryMs = spec?.perTryTimeoutMs ?? 0;
      const cancelPerTry = perTryMs > 0 ? schedule(() => { perTryTimedOut = true; perTry.abort(new Error('per-try timeout')); }, perTryMs) : () => {};
      acct.budget.attemptStarted();
      try {
        const result = await new Promise<AttemptOutcome | 'aborted'>((resolve) => {
          let settled = false;
          const onAbort = (): void => {
            if (settled) return;
            settled = true;
            resolve('aborted');
          };
          perTry.signal.addEventListener('abort', onAbort, { once: true });
          // The attempt may ignore its signal; a response that arrives after we gave up is thrown away.
          attempt(endpoint, perTry.signal).then(
            (outcome) => {
              if (settled) return discard(outcome);
              settled = true;
              perTry.signal.removeEventListener('abort', onAbort);
              resolve(outcome);
            },
            (error: unknown) => {
              if (settled) return;
              settled = true;
              perTry.signal.removeEventListener('abort', onAbort);
              resolve({ kind: 'reset', error: error instanceof Error ? error : new Error(String(error)) });
            },
          );
        });
        if (result !== 'aborted') return result;
        if (perTryTimedOut || timedOut) return { kind: 'timeout', error: new Error(perTryTimedOut ? 'per-try timeout' : 'upstream request timeout') };
        return 'cancelled';
      } finally {
        cancelPerTry();
        overall.signal.removeEventListener('abort', fromOverall);
        acct.budget.attemptEnded();
      }
    };

    /** Waits the back-off; false when the request ended meanwhile (timeout or client gone). */
    const wait = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (overall.signal.aborted) return resolve(false);
        const onAbort = (): void => {
          cancel();
          resolve(false);
        };
        const cancel = schedule(() => {
          overall.signal.removeEventListener('abort', onAbort);
          resolve(true);
        }, ms);
        overall.signal.addEventListener('abort', onAbort, { once: true });
      });

    const tried = new Set<string>();
    let attempts = 0;
    let retries = 0;
    let holdingRetry = false;
    let last: { outcome: AttemptOutcome; endpoint: Endpoint } | undefined;

    const finish = (exhausted: boolean): Result => {
      if (!last) return local('noHealthy', undefined, attempts);
      const { outcome, endpoint } = last;
      switch (outcome.kind) {
        case 'response': {
          if (route.timeoutMs > 0) {
            // The route timeout also bounds the body, as Envoy's does.
            keepTimer = true;
            const onTimeout = (): void => {
              if (timedOut) outcome.body.destroy(new Error('upstream request timeout'));
            };
            overall.signal.addEventListener('abort', onTimeout, { once: true });
            outcome.body.once('close', () => {
              overall.signal.removeEventListener('abort', onTimeout);
              cleanup();
            });
          }
          return { kind: 'response', status: outcome.status, headers: outcome.headers, body: outcome.body, endpoint, attempts };
        }
        case 'connect-failure':
          return local('connectFailure', endpoint, attempts, exhausted);
        case 'refused-stream':
          return local('refused', endpoint, attempts, exhausted);
        case 'reset':
          return local('reset', endpoint, attempts, exhausted);
        case 'timeout':
          return local('timeout', endpoint, attempts, exhausted);
      }
    };

    try {
      for (;;) {
        if (timedOut) return local('timeout', last?.endpoint, attempts);
        if (overall.signal.aborted) return cancelled(last?.endpoint, attempts);
        const endpoint = cluster.pick(tried) ?? (tried.size > 0 ? cluster.pick(new Set()) : undefined);
        if (!endpoint) {
          if (last) discard(last.outcome);
          return local('noHealthy', undefined, attempts);
        }
        if (!acct.budget.canStartAttempt()) {
          acct.release(endpoint);
          if (last) discard(last.outcome);
          return local('overflow', endpoint, attempts);
        }
        attempts++;
        const outcome = await runAttempt(endpoint);
        if (holdingRetry) {
          acct.budget.retryEnded();
          holdingRetry = false;
        }
        if (outcome === 'cancelled') {
          acct.release(endpoint);
          return cancelled(endpoint, attempts);
        }
        cluster.record(endpoint, outcome);
        last = { outcome, endpoint };
        if (timedOut) {
          discard(outcome);
          return local('timeout', endpoint, attempts);
        }
        const bodySafe = replayable || outcome.kind === 'connect-failure' || outcome.kind === 'refused-stream';
        if (!spec || !wantsRetry(outcome, spec) || !bodySafe) return finish(false);
        if (retries >= spec.numRetries) return finish(true);
        if (!acct.budget.tryReserveRetry()) return finish(false);
        holdingRetry = true;
        retries++;
        discard(outcome);
        tried.add(endpoint.key);
        if (!(await wait(backoffMs(retries, spec, random())))) {
          return timedOut ? local('timeout', endpoint, attempts) : cancelled(endpoint, attempts);
        }
      }
    } finally {
      // A retry reserved but never attempted (request ended during back-off, or no endpoint) frees its slot.
      if (holdingRetry) acct.budget.retryEnded();
      if (!keepTimer) cleanup();
    }
  };
}

export const executeRequest: ExecuteRequest = createExecutor();
