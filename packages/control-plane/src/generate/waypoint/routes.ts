// RDS for waypoints (ADR 0007): the RouteConfiguration `<host>:<port>` of one bound (service,
// port), built from the HTTPRoutes attached to the Service (GAMMA: parentRef kind Service).
// Every match of every rule becomes one Envoy route; routes are ordered by Gateway API precedence
// (exact path, then the longest prefix, then regular expressions; then a method match; then the
// most header matches; then the most query parameter matches; then the oldest route
// (creationTimestamp), then the route's namespace/name; then rule and match order). A catch-all route to the service itself comes last, as istiod adds it.
import type {
  HTTPBackendRef,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  ParentReference,
  Service,
  ServicePort,
} from '@ambit/api';
import type { envoy, Init } from '@ambit/xds-types';
import { clusterName, durationMs, protoDuration } from './clusters.ts';

/** Istio's retry conditions for routes (and for its default retry policy). */
export const ISTIO_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
/** Istio's default when a route sets no retry: two retries of 503 and connection problems. */
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRIABLE_CODES = [503];

export interface RouteConfigurationInput {
  service: Service;
  port: ServicePort;
  /** The service's FQDN (`name.ns.svc.<domainSuffix>`). */
  host: string;
  /** Every HTTPRoute known; those attached to this service and port are selected here. */
  httpRoutes: readonly HTTPRoute[];
  services: (namespace: string, name: string) => Service | undefined;
  domainSuffix: string;
}

export interface RouteConfigurationResult {
  config: Init<envoy.RouteConfiguration>;
  /** Every cluster the routes name (for CDS). */
  clusters: string[];
  /** Problems in attached HTTPRoutes (`ns/name`), for their status. */
  warnings: Array<{ route: string; message: string }>;
}

interface Entry {
  route: HTTPRoute;
  key: string;
  ruleIndex: number;
  matchIndex: number;
  rule: HTTPRouteRule;
  match: HTTPRouteMatch;
}

export function routeConfiguration(input: RouteConfigurationInput): RouteConfigurationResult {
  const name = `${input.host}:${input.port.port}`;
  const ownCluster = clusterName(input.port.port, input.host);
  const clusters = new Set<string>([ownCluster]);
  const warnings: RouteConfigurationResult['warnings'] = [];
  const entries: Entry[] = [];
  for (const route of input.httpRoutes) {
    if (!attached(route, input.service, input.port)) continue;
    const key = `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
    route.spec.rules.forEach((rule, ruleIndex) => {
      rule.matches.forEach((match, matchIndex) => entries.push({ route, key, ruleIndex, matchIndex, rule, match }));
    });
  }
  entries.sort(comparePrecedence);
  const routes: Init<envoy.Route>[] = [];
  const warned = new Set<string>();
  for (const entry of entries) {
    const warn = (message: string): void => {
      // One warning per rule, not per match of the rule.
      const id = `${entry.key}#${entry.ruleIndex}:${message}`;
      if (warned.has(id)) return;
      warned.add(id);
      warnings.push({ route: entry.key, message: `rules[${entry.ruleIndex}]: ${message}` });
    };
    routes.push(envoyRoute(entry, input, clusters, warn));
  }
  routes.push(defaultRoute(ownCluster));
  return {
    config: { name, virtual_hosts: [{ name, domains: ['*'], routes }] },
    clusters: [...clusters].sort(),
    warnings,
  };
}

/** The catch-all route istiod ends a virtual host with: every path to `cluster`, no timeout, Istio's default retries. */
export function defaultRoute(cluster: string): Init<envoy.Route> {
  return { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: protoDuration(0), retry_policy: defaultRetryPolicy() } };
}

/** GAMMA attachment: a parentRef of kind Service naming this service, and this port or none. */
function attached(route: HTTPRoute, service: Service, port: ServicePort): boolean {
  const routeNs = route.metadata.namespace ?? 'default';
  const serviceNs = service.metadata.namespace ?? 'default';
  return (route.spec.parentRefs ?? []).some((ref: ParentReference) =>
    ref.kind === 'Service' &&
    (ref.group === '' || ref.group === 'core') &&
    ref.name === service.metadata.name &&
    (ref.namespace ?? routeNs) === serviceNs &&
    (ref.port === undefined || ref.port === port.port) &&
    (ref.sectionName === undefined || ref.sectionName === port.name));
}

const PATH_RANK: Record<HTTPRouteMatch['path']['type'], number> = { Exact: 0, PathPrefix: 1, RegularExpression: 2 };

/** Negative when `a` goes first (Gateway API HTTPRouteRule precedence). */
export function comparePrecedence(a: Entry, b: Entry): number {
  const byType = PATH_RANK[a.match.path.type] - PATH_RANK[b.match.path.type];
  if (byType !== 0) return byType;
  if (a.match.path.type !== 'RegularExpression') {
    const byLength = prefixLength(b.match) - prefixLength(a.match);
    if (byLength !== 0) return byLength;
  }
  const byMethod = (b.match.method ? 1 : 0) - (a.match.method ? 1 : 0);
  if (byMethod !== 0) return byMethod;
  const byHeaders = (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0);
  if (byHeaders !== 0) return byHeaders;
  const byQuery = (b.match.queryParams?.length ?? 0) - (a.match.queryParams?.length ?? 0);
  if (byQuery !== 0) return byQuery;
  const aCreated = a.route.metadata.creationTimestamp ?? '';
  const bCreated = b.route.metadata.creationTimestamp ?? '';
  // RFC 3339 UTC strings order as their times do.
  if (aCreated !== bCreated) return aCreated < bCreated ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.ruleIndex - b.ruleIndex || a.matchIndex - b.matchIndex;
}

/** A trailing `/` does not make a prefix longer: `/foo/` and `/foo` match the same paths. */
function prefixLength(match: HTTPRouteMatch): number {
  const v = match.path.value;
  return match.path.type === 'PathPrefix' && v.length > 1 && v.endsWith('/') ? v.length - 1 : v.length;
}

function envoyRoute(entry: Entry, input: RouteConfigurationInput, clusters: Set<string>, warn: (m: string) => void): Init<envoy.Route> {
  const { rule } = entry;
  const filters = rule.filters ?? [];
  for (const f of filters) {
    if (f.type === 'RequestMirror') warn(`filter ${f.type} is not supported by the waypoint and is ignored`);
  }
  const out: Init<envoy.Route> = {
    name: `${entry.key.replace('/', '.')}.${entry.ruleIndex}.${entry.matchIndex}`,
    match: routeMatch(entry.match),
    ...headerMutations(filters),
  };
  const redirect = filters.find((f) => f.type === 'RequestRedirect');
  if (redirect) {
    // Gateway API: a redirect answers the request itself; backendRefs are not used.
    out.redirect = redirectAction(redirect.requestRedirect, entry.match, input.port.port);
    return out;
  }
  const backends = resolveBackends(rule.backendRefs ?? [], entry, input, warn);
  if (backends.length === 0 || backends.every((b) => b.weight === 0)) {
    // Gateway API: when every backendRef is invalid (or none carries weight), matching requests get 500.
    if ((rule.backendRefs ?? []).length === 0) warn('has no backendRefs; matching requests get 500');
    out.direct_response = { status: 500, body: { inline_string: '' } };
    return out;
  }
  for (const b of backends) clusters.add(b.cluster);
  const action: Init<envoy.RouteAction> = {
    timeout: protoDuration(durationMs(rule.timeouts?.request, 0)),
    retry_policy: retryPolicy(rule),
  };
  const single = backends.length === 1 && !backends[0]?.ref.filters?.length ? backends[0] : undefined;
  if (single) {
    action.cluster = single.cluster;
  } else {
    action.weighted_clusters = {
      clusters: backends.map((b) => ({ name: b.cluster, weight: { value: b.weight }, ...headerMutations(b.ref.filters ?? []) })),
    };
  }
  const rewrite = filters.find((f) => f.type === 'URLRewrite');
  if (rewrite) {
    if (rewrite.urlRewrite.hostname !== undefined) action.host_rewrite_literal = rewrite.urlRewrite.hostname;
    if (rewrite.urlRewrite.path) {
      const path = pathRewrite(rewrite.urlRewrite.path, entry.match);
      // A full-path replacement is a rewrite of everything the path holds (RouteAction has no path_redirect).
      if ('full' in path) action.regex_rewrite = { pattern: { regex: '^/.*$' }, substitution: rewriteLiteral(path.full) };
      else Object.assign(action, path);
    }
  }
  out.route = action;
  return out;
}

/** Gateway API statusCode -> Envoy's RedirectResponseCode (the api defaults statusCode to 302, FOUND). */
const REDIRECT_CODES: Record<number, 'MOVED_PERMANENTLY' | 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT'> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** The well-known port of a scheme: Gateway API derives the redirect port from a scheme set without a port. */
const SCHEME_PORTS: Record<'http' | 'https', number> = { http: 80, https: 443 };

/**
 * Gateway API's redirect port: `port`; else the scheme's well-known port when a scheme is set;
 * else the listener's port, for GAMMA the Service port this RouteConfiguration serves. Written
 * out in every case, as istiod does for the last one: Envoy has no "the request's port" (it keeps
 * whatever port the Host header carried, and drops it with host_redirect).
 */
function redirectAction(r: Extract<HTTPRouteFilter, { type: 'RequestRedirect' }>['requestRedirect'], match: HTTPRouteMatch, servicePort: number): Init<envoy.RedirectAction> {
  const out: Init<envoy.RedirectAction> = { response_code: REDIRECT_CODES[r.statusCode] ?? 'FOUND' };
  if (r.scheme !== undefined) out.scheme_redirect = r.scheme;
  if (r.hostname !== undefined) out.host_redirect = r.hostname;
  out.port_redirect = r.port ?? (r.scheme !== undefined ? SCHEME_PORTS[r.scheme] : servicePort);
  if (r.path) {
    const path = pathRewrite(r.path, match);
    if ('full' in path) out.path_redirect = path.full;
    else Object.assign(out, path);
  }
  return out;
}

/**
 * A Gateway API path modifier as Envoy rewrites it. ReplacePrefixMatch replaces the matched
 * prefix (the api allows it only with one PathPrefix match) and keeps one `/` between the
 * replacement and the rest: with prefix `/foo`, `/foo/bar` becomes `/bar` for `/` and `/xyz/bar`
 * for `/xyz` or `/xyz/`. A plain prefix_rewrite would give `//bar` and `/xyz//bar` for the
 * replacements ending in `/`, so those become a regex_rewrite that drops the prefix and the
 * slash after it.
 */
function pathRewrite(modifier: HTTPPathModifier, match: HTTPRouteMatch): { full: string } | { prefix_rewrite: string } | { regex_rewrite: Init<envoy.RegexMatchAndSubstitute> } {
  if (modifier.type === 'ReplaceFullPath') return { full: modifier.replaceFullPath ?? '/' };
  const replacement = modifier.replacePrefixMatch ?? '/';
  // The route matches the prefix without trailing slashes (routeMatch); '' is the prefix `/`.
  const prefix = match.path.type === 'PathPrefix' ? match.path.value.replace(/\/+$/, '') : '';
  if (prefix === '') {
    // Envoy's prefix `/` takes the path's leading slash with it, so the replacement must end in one.
    return { prefix_rewrite: replacement.endsWith('/') ? replacement : `${replacement}/` };
  }
  if (!replacement.endsWith('/')) return { prefix_rewrite: replacement };
  return {
    regex_rewrite: {
      pattern: { regex: `^${escapeRegex(prefix)}(/|$)(.*)` },
      substitution: `${rewriteLiteral(replacement)}\\2`,
    },
  };
}

/** RE2 metacharacters in a literal path prefix are escaped. */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** In a regex_rewrite substitution a backslash starts a group reference; a literal one is doubled. */
function rewriteLiteral(value: string): string {
  return value.replaceAll('\\', '\\\\');
}

function routeMatch(match: HTTPRouteMatch): Init<envoy.RouteMatch> {
  const out: Init<envoy.RouteMatch> = {};
  const { type, value } = match.path;
  if (type === 'Exact') out.path = value;
  else if (type === 'RegularExpression') out.safe_regex = { regex: value };
  else {
    // Gateway API prefixes match whole segments (`/foo` matches /foo and /foo/bar, not /foobar);
    // Envoy's path_separated_prefix means exactly that but may not end in `/`.
    const trimmed = value.replace(/\/+$/, '');
    if (trimmed === '') out.prefix = '/';
    else out.path_separated_prefix = trimmed;
  }
  const headers: Init<envoy.HeaderMatcher>[] = [];
  if (match.method) headers.push({ name: ':method', string_match: { exact: match.method } });
  for (const h of match.headers ?? []) headers.push({ name: h.name.toLowerCase(), string_match: valueMatch(h) });
  if (headers.length > 0) out.headers = headers;
  if (match.queryParams?.length) out.query_parameters = match.queryParams.map((q) => ({ name: q.name, string_match: valueMatch(q) }));
  return out;
}

function valueMatch(m: { type: 'Exact' | 'RegularExpression'; value: string }): Init<envoy.StringMatcher> {
  return m.type === 'Exact' ? { exact: m.value } : { safe_regex: { regex: m.value } };
}

/** Envoy reads `%` in header values as the start of a command operator; `%%` is a literal `%`. */
function literal(value: string): string {
  return value.replaceAll('%', '%%');
}

function headerMutations(filters: readonly HTTPRouteFilter[]): Pick<Init<envoy.Route>, 'request_headers_to_add' | 'request_headers_to_remove' | 'response_headers_to_add' | 'response_headers_to_remove'> {
  const out: ReturnType<typeof headerMutations> = {};
  for (const f of filters) {
    if (f.type === 'RequestHeaderModifier') {
      const { add, remove } = headerFilter(f.requestHeaderModifier);
      if (add.length) out.request_headers_to_add = add;
      if (remove.length) out.request_headers_to_remove = remove;
    } else if (f.type === 'ResponseHeaderModifier') {
      const { add, remove } = headerFilter(f.responseHeaderModifier);
      if (add.length) out.response_headers_to_add = add;
      if (remove.length) out.response_headers_to_remove = remove;
    }
  }
  return out;
}

function headerFilter(filter: HTTPHeaderFilter): { add: Init<envoy.HeaderValueOption>[]; remove: string[] } {
  const add: Init<envoy.HeaderValueOption>[] = [
    ...(filter.set ?? []).map((h) => ({ header: { key: h.name.toLowerCase(), value: literal(h.value) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const })),
    ...(filter.add ?? []).map((h) => ({ header: { key: h.name.toLowerCase(), value: literal(h.value) }, append_action: 'APPEND_IF_EXISTS_OR_ADD' as const })),
  ];
  return { add, remove: (filter.remove ?? []).map((n) => n.toLowerCase()) };
}

interface Backend {
  ref: HTTPBackendRef;
  cluster: string;
  weight: number;
}

/** Resolves backendRefs to clusters; invalid ones are dropped with a warning. */
function resolveBackends(refs: readonly HTTPBackendRef[], entry: Entry, input: RouteConfigurationInput, warn: (m: string) => void): Backend[] {
  const out: Backend[] = [];
  refs.forEach((ref, i) => {
    const where = `backendRefs[${i}]`;
    if (!((ref.group === '' || ref.group === 'core') && ref.kind === 'Service')) {
      warn(`${where}: kind ${ref.group ? `${ref.group}/` : ''}${ref.kind} is not supported; only core Services are`);
      return;
    }
    const ns = ref.namespace ?? entry.route.metadata.namespace ?? 'default';
    const service = input.services(ns, ref.name);
    if (!service) {
      warn(`${where}: Service ${ns}/${ref.name} not found`);
      return;
    }
    if (ref.port === undefined || !service.spec.ports.some((p) => p.port === ref.port)) {
      warn(`${where}: Service ${ns}/${ref.name} has no port ${ref.port ?? '(none given)'}`);
      return;
    }
    for (const f of ref.filters ?? []) {
      if (f.type !== 'RequestHeaderModifier' && f.type !== 'ResponseHeaderModifier') warn(`${where}: filter ${f.type} is not supported by the waypoint and is ignored`);
    }
    out.push({ ref, cluster: clusterName(ref.port, `${ref.name}.${ns}.svc.${input.domainSuffix}`), weight: ref.weight });
  });
  if (out.length > 0 && out.length < refs.length) warn('some backendRefs are invalid; their share of the traffic goes to the valid ones');
  return out;
}

function retryPolicy(rule: HTTPRouteRule): Init<envoy.RetryPolicy> {
  const retry = rule.retry;
  const policy: Init<envoy.RetryPolicy> = retry
    ? {
        retry_on: ISTIO_RETRY_ON,
        num_retries: { value: retry.attempts ?? DEFAULT_RETRIES },
        retriable_status_codes: retry.codes?.length ? [...retry.codes] : DEFAULT_RETRIABLE_CODES,
      }
    : defaultRetryPolicy();
  // Envoy requires a positive base interval; `0s` leaves Envoy's default (25ms).
  const backoffMs = durationMs(retry?.backoff, 0);
  if (backoffMs > 0) policy.retry_back_off = { base_interval: protoDuration(backoffMs) };
  // Istio applies timeouts.backendRequest as the per-try timeout; 0s means none.
  const perTryMs = durationMs(rule.timeouts?.backendRequest, 0);
  if (perTryMs > 0) policy.per_try_timeout = protoDuration(perTryMs);
  return policy;
}

function defaultRetryPolicy(): Init<envoy.RetryPolicy> {
  return { retry_on: ISTIO_RETRY_ON, num_retries: { value: DEFAULT_RETRIES }, retriable_status_codes: DEFAULT_RETRIABLE_CODES };
}
