// Small readers shared by the routing compilers: Envoy Durations and StringMatchers as decoded by
// @ambit/xds-types, turned into plain numbers and predicates once per config version.
import type { envoy, google } from '@ambit/xds-types';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';

/** Throws the config error every compiler in routing/ raises: the resource is NACKed by name. */
export function configError(where: string, problem: string): never {
  throw waypointError(WAYPOINT_CODES.config, `${where}: ${problem}`, { details: { field: where } });
}

/** A Duration in milliseconds, or `fallback` when unset. */
export function durationMs(d: google.Duration | null | undefined, fallback: number, where: string): number {
  if (!d) return fallback;
  const seconds = Number(d.seconds);
  if (!Number.isFinite(seconds) || seconds < 0 || d.nanos < 0) configError(where, `must be a non-negative duration, got ${JSON.stringify(d)}`);
  return seconds * 1000 + d.nanos / 1e6;
}

/** An RE2-style full match (Envoy's safe_regex matches the whole value). */
export function fullRegex(regex: string, where: string, flags = ''): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`, flags);
  } catch (cause) {
    return configError(where, `is not a valid regular expression ${JSON.stringify(regex)}: ${(cause as Error).message}`);
  }
}

/** envoy.type.matcher.v3.StringMatcher as a predicate. */
export function stringMatcher(m: envoy.StringMatcher, where: string): (value: string) => boolean {
  const fold = m.ignore_case ? (v: string): string => v.toLowerCase() : (v: string): string => v;
  switch (m.match_pattern) {
    case 'exact': {
      const want = fold(m.exact ?? '');
      return (v) => fold(v) === want;
    }
    case 'prefix': {
      const want = fold(m.prefix ?? '');
      return (v) => fold(v).startsWith(want);
    }
    case 'suffix': {
      const want = fold(m.suffix ?? '');
      return (v) => fold(v).endsWith(want);
    }
    case 'contains': {
      const want = fold(m.contains ?? '');
      return (v) => fold(v).includes(want);
    }
    case 'safe_regex': {
      // ignore_case has no effect on safe_regex in Envoy.
      const re = fullRegex(m.safe_regex?.regex ?? '', `${where}.safe_regex.regex`);
      return (v) => re.test(v);
    }
    default:
      return configError(where, `match_pattern ${JSON.stringify(m.match_pattern ?? null)} is not supported (exact, prefix, suffix, contains, safe_regex are)`);
  }
}
