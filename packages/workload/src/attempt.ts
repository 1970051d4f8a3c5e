// One probe attempt bounded in time: the first settle() wins, runs the cleanups (which destroy the
// probe's sockets) and clears the timer; at the deadline `onTimeout` decides the outcome.
import dns from 'node:dns';
import net from 'node:net';
import type { ProbeOutcome } from './probe-types.ts';
import { probeError } from './probe-errors.ts';

export interface Attempt {
  readonly promise: Promise<ProbeOutcome>;
  readonly settled: () => boolean;
  settle(outcome: ProbeOutcome): void;
  /** Settles as not connected with the error's short form. */
  fail(error: unknown): void;
  onCleanup(cleanup: () => void): void;
}

export function failure(error: string): ProbeOutcome {
  return { connected: false, status: null, server: null, error };
}

export function startAttempt(timeoutMs: number, onTimeout: () => ProbeOutcome = () => failure('timeout')): Attempt {
  const cleanups: (() => void)[] = [];
  let done = false;
  let resolve: (outcome: ProbeOutcome) => void = () => {};
  const promise = new Promise<ProbeOutcome>((r) => {
    resolve = r;
  });
  const settle = (outcome: ProbeOutcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // cleanup of an already broken socket: nothing left to do
      }
    }
    resolve(outcome);
  };
  const timer = setTimeout(() => settle(onTimeout()), timeoutMs);
  return {
    promise,
    settled: () => done,
    settle,
    fail: (error) => settle(failure(probeError(error))),
    onCleanup: (cleanup) => {
      if (done) cleanup();
      else cleanups.push(cleanup);
    },
  };
}

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/** Resolves through the system resolver (the pod's resolv.conf inside `ip netns exec`). */
export function lookupHost(host: string): Promise<Resolved> {
  const family = net.isIP(host);
  if (family === 4 || family === 6) return Promise.resolve({ address: host, family });
  return new Promise((resolve, reject) => {
    dns.lookup(host, { order: 'ipv4first' }, (error, address, resolvedFamily) => {
      if (error) reject(error);
      else resolve({ address, family: resolvedFamily === 6 ? 6 : 4 });
    });
  });
}

/** The `pod` field of a workload-server answer, or null when the text is not one. */
export function serverOf(answer: string): string | null {
  try {
    const value: unknown = JSON.parse(answer);
    if (typeof value === 'object' && value !== null && 'pod' in value) {
      const pod = (value as { pod: unknown }).pod;
      if (typeof pod === 'string' && pod.includes('/')) return pod;
    }
  } catch {
    // not JSON: some other server answered
  }
  return null;
}
