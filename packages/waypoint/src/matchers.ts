// Envoy's matchers (envoy.type.matcher.v3 StringMatcher, envoy.config.route.v3 HeaderMatcher and
// RE2 full-match regexes) compiled into predicates once per config version. One implementation
// serves the RBAC filters and the routes, which Envoy also evaluates with the same matchers.
// Anything that cannot be honoured is an AMBIT_WAYPOINT_CONFIG error naming the field; the xDS
// layer NACKs the resource that carried it.
import type { envoy } from '@ambit/xds-types';
import type { RequestInfo } from './contracts.ts';
import { WAYPOINT_CODES, waypointError } from './errors.ts';

/** Throws the config error every compiler raises: the resource is NACKed by name. */
export function configError(where: string, problem: string): never {
  throw waypointError(WAYPOINT_CODES.config, `${where}: ${problem}`, { details: { field: where } });
}

/** A safe_regex as a RegExp anchored to the whole value, as RE2::FullMatch. */
export function fullRegex(regex: string, where: string, flags = ''): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`, flags);
  } catch (cause) {
    return configError(where, `is not a valid regular expression ${JSON.stringify(regex)}: ${(cause as Error).message}`);
  }
}

/** An Envoy StringMatcher as a predicate on one value. */
export function stringMatcher(m: envoy.StringMatcher | null | undefined, where: string): (value: string) => boolean {
  if (!m) return configError(where, 'is unset');
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
      // ignore_case has no effect on safe_regex (Envoy's rule).
      const re = fullRegex(m.safe_regex?.regex ?? '', `${where}.safe_regex.regex`);
      return (v) => re.test(v);
    }
    default:
      return configError(where, `match pattern ${JSON.stringify(m.match_pattern ?? 'unset')} is not supported (exact, prefix, suffix, contains, safe_regex)`);
  }
}

/** The value Envoy matches for a header name: pseudo-headers from the request line, others joined by `,`. */
export function headerValue(request: RequestInfo, name: string): string | undefined {
  switch (name) {
    case ':authority':
    case 'host':
      return request.host;
    case ':method':
      return request.method;
    case ':path':
      return request.query === '' ? request.path : `${request.path}?${request.query}`;
    case ':scheme':
      return 'http';
  }
  const values = request.headers.filter(([n]) => n === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(',');
}

/** The value test of a HeaderMatcher; `present` is set for presence matchers (no specifier = must be present). */
function headerValueTest(h: envoy.HeaderMatcher, where: string): { test: (value: string) => boolean; present: boolean | undefined } {
  const always = (): boolean => true;
  switch (h.header_match_specifier) {
    case undefined:
      return { test: always, present: true };
    case 'present_match':
      return { test: always, present: h.present_match === true };
    case 'string_match':
      return { test: stringMatcher(h.string_match, `${where}.string_match`), present: undefined };
    case 'exact_match': {
      const want = h.exact_match ?? '';
      return { test: (v) => v === want, present: undefined };
    }
    case 'prefix_match': {
      const want = h.prefix_match ?? '';
      return { test: (v) => v.startsWith(want), present: undefined };
    }
    case 'suffix_match': {
      const want = h.suffix_match ?? '';
      return { test: (v) => v.endsWith(want), present: undefined };
    }
    case 'contains_match': {
      const want = h.contains_match ?? '';
      return { test: (v) => v.includes(want), present: undefined };
    }
    case 'safe_regex_match': {
      const re = fullRegex(h.safe_regex_match?.regex ?? '', `${where}.safe_regex_match.regex`);
      return { test: (v) => re.test(v), present: undefined };
    }
    case 'range_match': {
      // [start, end) on a signed 64-bit integer value.
      const start = BigInt(h.range_match?.start ?? '0');
      const end = BigInt(h.range_match?.end ?? '0');
      return { test: (v) => /^-?[0-9]+$/.test(v) && BigInt(v) >= start && BigInt(v) < end, present: undefined };
    }
    default:
      return configError(where, `header_match_specifier ${JSON.stringify(h.header_match_specifier)} is not supported`);
  }
}

/** Envoy's HeaderMatcher, including its rules for a missing header. */
export function headerMatcher(h: envoy.HeaderMatcher | null | undefined, where: string): (request: RequestInfo) => boolean {
  if (!h) return configError(where, 'is unset');
  const name = h.name.toLowerCase();
  if (name === '') return configError(`${where}.name`, 'is required');
  const { test, present } = headerValueTest(h, where);
  const invert = h.invert_match;
  return (request) => {
    let value = headerValue(request, name);
    if (value === undefined) {
      if (!h.treat_missing_header_as_empty) {
        // Envoy: a missing header matches only "must be absent" (present_match false), or an
        // inverted "must be present"; every other matcher fails whatever invert_match says.
        if (present === undefined) return false;
        return invert ? present : !present;
      }
      value = '';
    }
    const result = present !== undefined ? present : test(value);
    return invert ? !result : result;
  };
}
