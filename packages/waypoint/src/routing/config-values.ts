// Envoy Durations as decoded by @ambit/xds-types, turned into milliseconds once per config version.
import type { google } from '@ambit/xds-types';
import { configError } from '../matchers.ts';

/** A Duration in milliseconds, or `fallback` when unset. */
export function durationMs(d: google.Duration | null | undefined, fallback: number, where: string): number {
  if (!d) return fallback;
  const seconds = Number(d.seconds);
  if (!Number.isFinite(seconds) || seconds < 0 || d.nanos < 0) configError(where, `must be a non-negative duration, got ${JSON.stringify(d)}`);
  return seconds * 1000 + d.nanos / 1e6;
}
