// RouteConfiguration (RDS) compiled once per version into the router's CompiledRoutes: virtual
// host by :authority, then the first route whose match holds, as Envoy does. Anything the waypoint
// cannot honour throws AMBIT_WAYPOINT_CONFIG naming the field, so the resource is NACKed and the
// last good version keeps serving.
import type { envoy } from '@ambit/xds-types';
import type { CompiledRoutes, HeaderList, MatchedRoute, RequestInfo, RetrySpec } from '../contracts.ts';
import { configError, fullRegex, headerMatcher, stringMatcher } from '../matchers.ts';
import { durationMs } from './config-values.ts';
import { compileHeaderEdits, type HeaderEdit } from './header-edits.ts';

/** Envoy's route timeout when `timeout` is unset (Istio always sets it; 0s = none). */
const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
/** Envoy's retry back-off defaults: base 25ms, max 10 times the base. */
const DEFAULT_BACKOFF_BASE_MS = 25;
/** The retry_on conditions the executor implements (execute.ts). */
const RETRY_ON = new Set(['5xx', 'gateway-error', 'reset', 'connect-failure', 'refused-stream', 'retriable-status-codes', 'retriable-4xx', 'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

/** `query` parses the query string on first use, so routes that never look at it cost nothing. */
type Predicate = (request: RequestInfo, query: () => URLSearchParams) => boolean;

interface CompiledVirtualHost {
  name: string;
  routes: Array<{ matches: Predicate; route: MatchedRoute }>;
}

export function compileRoutes(config: envoy.RouteConfiguration): CompiledRoutes {
  const where = `RouteConfiguration ${JSON.stringify(config.name)}`;
  const hosts = config.virtual_hosts.map((vh, i) => compileVirtualHost(vh, `${where} virtual_hosts[${i}]`));
  const selectHost = hostSelector(hosts, config.virtual_hosts, where);
  return {
    select(request) {
      const vh = selectHost(request.host);
      if (!vh) return undefined;
      let parsed: URLSearchParams | undefined;
      const query = (): URLSearchParams => (parsed ??= new URLSearchParams(request.query));
      for (const { matches, route } of vh.routes) {
        if (matches(request, query)) return route;
      }
      return undefined;
    },
  };
}

// ---- virtual hosts ----

/**
 * Envoy's domain search order: exact names, then `*.suffix` (longest suffix first), then
 * `prefix.*` (longest prefix first), then `*`. Names compare case-insensitively and the authority
 * is matched as sent, port included (Envoy strips no port unless told to; Istio lists domains with
 * and without the port instead).
 */
function hostSelector(hosts: CompiledVirtualHost[], raw: envoy.VirtualHost[], where: string): (authority: string) => CompiledVirtualHost | undefined {
  const exact = new Map<string, CompiledVirtualHost>();
  const suffixes: Array<[string, CompiledVirtualHost]> = [];
  const prefixes: Array<[string, CompiledVirtualHost]> = [];
  let any: CompiledVirtualHost | undefined;
  const seen = new Set<string>();
  raw.forEach((vh, i) => {
    const host = hosts[i];
    if (!host) return;
    vh.domains.forEach((domainRaw, j) => {
      const domain = domainRaw.toLowerCase();
      if (seen.has(domain)) configError(`${where} virtual_hosts[${i}].domains[${j}]`, `domain ${JSON.stringify(domainRaw)} appears in more than one virtual host`);
      seen.add(domain);
      if (domain === '*') any = host;
      else if (domain.startsWith('*')) suffixes.push([domain.slice(1), host]);
      else if (domain.endsWith('*')) prefixes.push([domain.slice(0, -1), host]);
      else if (domain.includes('*')) configError(`${where} virtual_hosts[${i}].domains[${j}]`, `a wildcard may only lead or trail a domain, got ${JSON.stringify(domainRaw)}`);
      else exact.set(domain, host);
    });
  });
  suffixes.sort((a, b) => b[0].length - a[0].length);
  prefixes.sort((a, b) => b[0].length - a[0].length);
  const lookup = (name: string): CompiledVirtualHost | undefined => {
    const hit = exact.get(name);
    if (hit) return hit;
    // The wildcard stands for at least one character.
    for (const [suffix, host] of suffixes) if (name.length > suffix.length && name.endsWith(suffix)) return host;
    for (const [prefix, host] of prefixes) if (name.length > prefix.length && name.startsWith(prefix)) return host;
    return undefined;
  };
  return (authority) => lookup(authority.toLowerCase()) ?? any;
}

function compileVirtualHost(vh: envoy.VirtualHost, where: string): CompiledVirtualHost {
  const fallbackRetry = vh.retry_policy ? retrySpec(vh.retry_policy, `${where}.retry_policy`) : undefined;
  return {
    name: vh.name,
    routes: vh.routes.map((r, i) => {
      const at = `${where}.routes[${i}]`;
      return { matches: compileMatch(r.match, `${at}.match`), route: compileRoute(r, at, fallbackRetry) };
    }),
  };
}

// ---- matching ----

function compileMatch(match: envoy.RouteMatch | null, where: string): Predicate {
  if (!match) return configError(where, 'is required');
  const caseSensitive = match.case_sensitive?.value ?? true;
  const fold = caseSensitive ? (v: string): string => v : (v: string): string => v.toLowerCase();
  let pathMatches: (path: string) => boolean;
  switch (match.path_specifier) {
    case 'prefix': {
      const prefix = fold(match.prefix ?? '');
      pathMatches = (p) => fold(p).startsWith(prefix);
      break;
    }
    case 'path': {
      const path = fold(match.path ?? '');
      pathMatches = (p) => fold(p) === path;
      break;
    }
    case 'path_separated_prefix': {
      // The whole path or the prefix followed by `/`: `/foo` matches /foo and /foo/bar, not /foobar.
      const prefix = fold(match.path_separated_prefix ?? '');
      if (prefix === '' || prefix.endsWith('/')) configError(`${where}.path_separated_prefix`, `must be non-empty and not end in "/", got ${JSON.stringify(prefix)}`);
      pathMatches = (p) => {
        const f = fold(p);
        return f === prefix || f.startsWith(`${prefix}/`);
      };
      break;
    }
    case 'safe_regex': {
      // case_sensitive does not apply to regular expressions in Envoy.
      const re = fullRegex(match.safe_regex?.regex ?? '', `${where}.safe_regex.regex`);
      pathMatches = (p) => re.test(p);
      break;
    }
    default:
      return configError(where, `path_specifier ${JSON.stringify(match.path_specifier ?? null)} is not supported (prefix, path, path_separated_prefix, safe_regex are)`);
  }
  const headers = match.headers.map((h, i) => headerMatcher(h, `${where}.headers[${i}]`));
  const params = match.query_parameters.map((q, i) => queryMatcher(q, `${where}.query_parameters[${i}]`));
  return (request, query) => {
    if (!pathMatches(request.path)) return false;
    for (const h of headers) if (!h(request)) return false;
    for (const q of params) if (!q(query())) return false;
    return true;
  };
}

function queryMatcher(q: envoy.QueryParameterMatcher, where: string): (query: URLSearchParams) => boolean {
  if (q.name === '') configError(`${where}.name`, 'is required');
  switch (q.query_parameter_match_specifier) {
    case 'string_match': {
      if (!q.string_match) return configError(`${where}.string_match`, 'is required');
      const test = stringMatcher(q.string_match, `${where}.string_match`);
      return (query) => {
        const v = query.get(q.name);
        return v !== null && test(v);
      };
    }
    case 'present_match':
      return q.present_match ? (query) => query.has(q.name) : (query) => !query.has(q.name);
    case undefined:
      // No matcher: the parameter must be present.
      return (query) => query.has(q.name);
    default:
      return configError(where, `query_parameter_match_specifier ${JSON.stringify(q.query_parameter_match_specifier)} is not supported`);
  }
}

// ---- actions ----

function compileRoute(r: envoy.Route, where: string, fallbackRetry: RetrySpec | undefined): MatchedRoute {
  const routeRequest = compileHeaderEdits(r.request_headers_to_add, r.request_headers_to_remove, `${where}.request_headers_to_add`);
  const routeResponse = compileHeaderEdits(r.response_headers_to_add, r.response_headers_to_remove, `${where}.response_headers_to_add`);
  const base = { name: r.name, routeRequest, routeResponse };
  switch (r.action) {
    case 'direct_response': {
      const d = r.direct_response;
      if (!d) return configError(`${where}.direct_response`, 'is required');
      if (d.status < 200 || d.status > 599) configError(`${where}.direct_response.status`, `must be 200-599, got ${d.status}`);
      if (d.body && d.body.specifier !== undefined && d.body.specifier !== 'inline_string') {
        configError(`${where}.direct_response.body`, `only inline_string is supported, got ${d.body.specifier}`);
      }
      return matchedRoute({ ...base, pick: () => '', clusterEdits: new Map(), timeoutMs: 0, retry: undefined, directResponse: { status: d.status, body: d.body?.inline_string ?? '' } });
    }
    case 'redirect': {
      if (!r.redirect) return configError(`${where}.redirect`, 'is required');
      return matchedRoute({
        ...base,
        pick: () => '',
        clusterEdits: new Map(),
        timeoutMs: 0,
        retry: undefined,
        directResponse: undefined,
        redirect: compileRedirect(r.redirect, r.match, `${where}.redirect`),
      });
    }
    case 'route': {
      const action = r.route;
      if (!action) return configError(`${where}.route`, 'is required');
      const { pick, clusterEdits } = clusterPicker(action, `${where}.route`);
      return matchedRoute({
        ...base,
        pick,
        clusterEdits,
        timeoutMs: durationMs(action.timeout, DEFAULT_ROUTE_TIMEOUT_MS, `${where}.route.timeout`),
        retry: action.retry_policy ? retrySpec(action.retry_policy, `${where}.route.retry_policy`) : fallbackRetry,
        directResponse: undefined,
        rewrite: compileRewrite(action, r.match, `${where}.route`),
      });
    }
    default:
      return configError(where, `action ${JSON.stringify(r.action ?? null)} is not supported (route, redirect, direct_response are)`);
  }
}

// ---- rewrites and redirects ----

type PathRewrite = (path: string) => string;

/** RouteAction's URL rewrite; undefined when the route forwards the request as received. */
function compileRewrite(action: envoy.RouteAction, match: envoy.RouteMatch | null, where: string): MatchedRoute['rewrite'] {
  const path = pathRewrite({ prefix: action.prefix_rewrite, regex: action.regex_rewrite }, match, where);
  let host: string | undefined;
  switch (action.host_rewrite_specifier) {
    case undefined:
      break;
    case 'host_rewrite_literal':
      if (!action.host_rewrite_literal) configError(`${where}.host_rewrite_literal`, 'must not be empty');
      host = action.host_rewrite_literal;
      break;
    default:
      configError(`${where}.${action.host_rewrite_specifier}`, 'is not supported (host_rewrite_literal is)');
  }
  return path === undefined && host === undefined ? undefined : { path, host };
}

/**
 * The path rewrite shared by RouteAction and RedirectAction. prefix_rewrite replaces what the
 * route's match consumed: the prefix for prefix and path_separated_prefix matches, the whole path
 * for path and safe_regex matches (Envoy's rule). regex_rewrite replaces every match of the
 * pattern in the path, as RE2::GlobalReplace.
 */
function pathRewrite(spec: { prefix: string | undefined; regex: envoy.RegexMatchAndSubstitute | null | undefined }, match: envoy.RouteMatch | null, where: string): PathRewrite | undefined {
  if (spec.prefix && spec.regex) configError(where, 'sets both prefix_rewrite and regex_rewrite; Envoy allows one');
  if (spec.regex) return regexRewrite(spec.regex, `${where}.regex_rewrite`);
  if (!spec.prefix) return undefined;
  const replacement = spec.prefix;
  let consumed: number | undefined;
  if (match?.path_specifier === 'prefix') consumed = (match.prefix ?? '').length;
  else if (match?.path_specifier === 'path_separated_prefix') consumed = (match.path_separated_prefix ?? '').length;
  // Exact and regex matches consumed the whole path.
  return consumed === undefined ? () => replacement : (path) => replacement + path.slice(consumed);
}

function regexRewrite(spec: envoy.RegexMatchAndSubstitute, where: string): PathRewrite {
  const source = spec.pattern?.regex ?? '';
  if (source === '') configError(`${where}.pattern.regex`, 'is required');
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (cause) {
    return configError(`${where}.pattern.regex`, `is not a valid regular expression ${JSON.stringify(source)}: ${(cause as Error).message}`);
  }
  // An empty alternative matches '', so exec reports every capture group of the pattern.
  const groups = (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
  const parts = substitutionParts(spec.substitution, groups, `${where}.substitution`);
  return (path) => path.replace(re, (...args: unknown[]) => parts.map((p) => (typeof p === 'number' ? ((args[p] as string | undefined) ?? '') : p)).join(''));
}

/**
 * An RE2 rewrite string as literal parts and group numbers: `\N` (one digit) is capture group N,
 * `\\` a backslash; any other backslash, or a group the pattern does not have, is an error as in
 * RE2. Kept as parts rather than translated to `$N`, so a `$` in the substitution stays literal.
 */
function substitutionParts(substitution: string, groups: number, where: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let literal = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i];
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const next = substitution[i + 1] ?? '';
    i++;
    if (next === '\\') {
      literal += '\\';
    } else if (next >= '0' && next <= '9') {
      const group = Number(next);
      if (group > groups) configError(where, `refers to group \\${group} but the pattern has ${groups} capture group(s)`);
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(group);
    } else {
      configError(where, `has an invalid escape "\\${next}" at ${i - 1} (\\0-\\9 and \\\\ are valid)`);
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

const REDIRECT_STATUS: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };
const REDIRECT_STATUS_BY_NUMBER = [301, 302, 303, 307, 308];
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** The host without its port (`[v6]:port` aware) and the port ('' when none). */
function splitHost(authority: string): { name: string; port: string } {
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || authority.lastIndexOf(']') > colon) return { name: authority, port: '' };
  return { name: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/**
 * RedirectAction -> the status and absolute Location of the answer. What is unset comes from the
 * request: its scheme (the waypoint only receives plain HTTP inside HBONE), its host and port, its
 * path and query. The request's port is dropped when port_redirect replaces it or when the scheme
 * changes away from the old scheme's default port; a port that is the new scheme's default is not
 * written (Gateway API: no :80 for http, no :443 for https).
 */
function compileRedirect(d: envoy.RedirectAction, match: envoy.RouteMatch | null, where: string): NonNullable<MatchedRoute['redirect']> {
  const code = d.response_code;
  const status = typeof code === 'number' ? REDIRECT_STATUS_BY_NUMBER[code] : REDIRECT_STATUS[code];
  if (status === undefined) return configError(`${where}.response_code`, `${JSON.stringify(code)} is not a RedirectResponseCode`);
  let scheme: string | undefined;
  if (d.scheme_rewrite_specifier === 'https_redirect') scheme = d.https_redirect ? 'https' : undefined;
  else if (d.scheme_rewrite_specifier === 'scheme_redirect') {
    scheme = (d.scheme_redirect ?? '').toLowerCase();
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) configError(`${where}.scheme_redirect`, `is not a URI scheme: ${JSON.stringify(d.scheme_redirect)}`);
  }
  if (d.port_redirect < 0 || d.port_redirect > 65535) configError(`${where}.port_redirect`, `must be 0-65535, got ${d.port_redirect}`);
  const newPort = d.port_redirect === 0 ? '' : String(d.port_redirect);
  let fullPath: string | undefined;
  let rewrite: PathRewrite | undefined;
  switch (d.path_rewrite_specifier) {
    case undefined:
      break;
    case 'path_redirect':
      if (!(d.path_redirect ?? '').startsWith('/')) configError(`${where}.path_redirect`, `must start with "/", got ${JSON.stringify(d.path_redirect)}`);
      fullPath = d.path_redirect;
      break;
    case 'prefix_rewrite':
      rewrite = pathRewrite({ prefix: d.prefix_rewrite, regex: undefined }, match, where);
      break;
    case 'regex_rewrite':
      rewrite = pathRewrite({ prefix: undefined, regex: d.regex_rewrite }, match, `${where}`);
      break;
  }
  return (request) => {
    const oldScheme = 'http';
    const finalScheme = scheme ?? oldScheme;
    let host: string;
    let port: string;
    if (d.host_redirect !== '') {
      ({ name: host, port } = splitHost(d.host_redirect));
    } else {
      ({ name: host, port } = splitHost(request.host));
      if (finalScheme !== oldScheme && port === DEFAULT_PORTS[oldScheme]) port = '';
    }
    if (newPort !== '') port = newPort;
    if (port === DEFAULT_PORTS[finalScheme]) port = '';
    let target: string;
    if (fullPath !== undefined) {
      // A query in path_redirect replaces the request's; otherwise the request's is kept.
      target = fullPath.includes('?') || d.strip_query || request.query === '' ? fullPath : `${fullPath}?${request.query}`;
    } else {
      const path = rewrite ? rewrite(request.path) : request.path;
      target = d.strip_query || request.query === '' ? path : `${path}?${request.query}`;
    }
    return { status, location: `${finalScheme}://${host}${port === '' ? '' : `:${port}`}${target}` };
  };
}

interface ClusterEdits {
  request: HeaderEdit;
  response: HeaderEdit;
}

function clusterPicker(action: envoy.RouteAction, where: string): { pick: (random: number) => string; clusterEdits: Map<string, ClusterEdits> } {
  const clusterEdits = new Map<string, ClusterEdits>();
  if (action.cluster_specifier === 'cluster') {
    const name = action.cluster ?? '';
    if (name === '') configError(`${where}.cluster`, 'must name a cluster');
    return { pick: () => name, clusterEdits };
  }
  if (action.cluster_specifier !== 'weighted_clusters') {
    return configError(where, `cluster_specifier ${JSON.stringify(action.cluster_specifier ?? null)} is not supported (cluster, weighted_clusters are)`);
  }
  const entries = (action.weighted_clusters?.clusters ?? []).map((c, i) => {
    const at = `${where}.weighted_clusters.clusters[${i}]`;
    if (c.name === '') configError(`${at}.name`, 'must name a cluster');
    clusterEdits.set(c.name, {
      request: compileHeaderEdits(c.request_headers_to_add, c.request_headers_to_remove, `${at}.request_headers_to_add`),
      response: compileHeaderEdits(c.response_headers_to_add, c.response_headers_to_remove, `${at}.response_headers_to_add`),
    });
    return { name: c.name, weight: c.weight?.value ?? 0 };
  });
  const total = entries.reduce((n, e) => n + e.weight, 0);
  if (total <= 0) configError(`${where}.weighted_clusters`, 'needs at least one cluster with a positive weight');
  return {
    clusterEdits,
    pick: (random) => {
      // Cumulative weights: cluster i owns [sum(w<i), sum(w<=i)) of [0, total).
      let point = random * total;
      for (const e of entries) {
        if (point < e.weight) return e.name;
        point -= e.weight;
      }
      // random is < 1, but floating point may leave a remainder: the last positive entry.
      return [...entries].reverse().find((e) => e.weight > 0)?.name ?? '';
    },
  };
}

function matchedRoute(parts: {
  name: string;
  routeRequest: HeaderEdit;
  routeResponse: HeaderEdit;
  pick: (random: number) => string;
  clusterEdits: Map<string, ClusterEdits>;
  timeoutMs: number;
  retry: RetrySpec | undefined;
  directResponse: MatchedRoute['directResponse'];
  rewrite?: MatchedRoute['rewrite'];
  redirect?: MatchedRoute['redirect'];
}): MatchedRoute {
  return {
    name: parts.name,
    pickCluster: parts.pick,
    timeoutMs: parts.timeoutMs,
    retry: parts.retry,
    directResponse: parts.directResponse,
    rewrite: parts.rewrite,
    redirect: parts.redirect,
    // Envoy applies the chosen weighted cluster's modifiers before the route's, so the route's win.
    editRequestHeaders(headers: HeaderList, cluster: string) {
      parts.clusterEdits.get(cluster)?.request(headers);
      parts.routeRequest(headers);
    },
    editResponseHeaders(headers: HeaderList, cluster: string) {
      parts.clusterEdits.get(cluster)?.response(headers);
      parts.routeResponse(headers);
    },
  };
}

/** envoy RetryPolicy -> RetrySpec; an unknown retry_on condition is NACKed, not ignored. */
export function retrySpec(policy: envoy.RetryPolicy, where: string): RetrySpec {
  const retryOn = new Set(policy.retry_on.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  for (const cond of retryOn) if (!RETRY_ON.has(cond)) configError(`${where}.retry_on`, `condition ${JSON.stringify(cond)} is not supported (${[...RETRY_ON].join(', ')})`);
  for (const code of policy.retriable_status_codes) if (code < 100 || code > 599) configError(`${where}.retriable_status_codes`, `must be HTTP status codes, got ${code}`);
  const base = durationMs(policy.retry_back_off?.base_interval, DEFAULT_BACKOFF_BASE_MS, `${where}.retry_back_off.base_interval`);
  if (base <= 0) configError(`${where}.retry_back_off.base_interval`, 'must be positive');
  const max = durationMs(policy.retry_back_off?.max_interval, base * 10, `${where}.retry_back_off.max_interval`);
  if (max < base) configError(`${where}.retry_back_off.max_interval`, `must not be shorter than base_interval (${base} ms), got ${max} ms`);
  return {
    retryOn,
    // Envoy's default is one retry when the policy leaves num_retries unset.
    numRetries: policy.num_retries?.value ?? 1,
    perTryTimeoutMs: durationMs(policy.per_try_timeout, 0, `${where}.per_try_timeout`),
    retriableStatusCodes: new Set(policy.retriable_status_codes),
    backoffBaseMs: base,
    backoffMaxMs: max,
  };
}
