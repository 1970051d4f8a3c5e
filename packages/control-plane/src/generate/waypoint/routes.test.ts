// Expected values are Gateway API (HTTPRoute, GAMMA) and Istio semantics written by hand: the
// precedence order of HTTPRouteRule, the 500 for rules without valid backends, Istio's cluster
// names, its default retry policy and its mapping of timeouts and retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type HTTPRoute, type Service } from '@ambit/api';
import { decodeMessage, encodeMessage, type envoy } from '@ambit/xds-types';
import { routeConfiguration, type RouteConfigurationInput } from './routes.ts';

const RDS_TYPE = 'envoy.config.route.v3.RouteConfiguration';

/** Resources go through @ambit/api's parser so that its defaults (weight 1, PathPrefix /) apply. */
function parse<T>(objects: object[]): T[] {
  const { resources, problems } = parseResources([{ path: 't.json', text: objects.map((o) => JSON.stringify(o)).join('\n---\n') }]);
  assert.deepEqual(problems.filter((p) => p.severity !== 'warning'), []);
  return resources as unknown as T[];
}

function service(name: string, ns: string, ports: number[]): Service {
  const [svc] = parse<Service>([{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: ports.map((port) => ({ name: `http-${port}`, port })) } }]);
  assert.ok(svc);
  return svc;
}

const reviews = service('reviews', 'prod', [9080]);
const others = new Map<string, Service>([
  ['prod/reviews', reviews],
  ['prod/reviews-v1', service('reviews-v1', 'prod', [9080])],
  ['prod/reviews-v2', service('reviews-v2', 'prod', [9080])],
  ['prod/ratings', service('ratings', 'prod', [8080])],
]);

function route(name: string, rules: object[], parentRef: object = { group: '', kind: 'Service', name: 'reviews' }, ns = 'prod'): object {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: ns }, spec: { parentRefs: [parentRef], rules } };
}

function build(routes: object[]): ReturnType<typeof routeConfiguration> {
  const input: RouteConfigurationInput = {
    service: reviews,
    port: reviews.spec.ports[0] ?? assert.fail('no port'),
    host: 'reviews.prod.svc.cluster.local',
    httpRoutes: parse<HTTPRoute>(routes),
    services: (ns, name) => others.get(`${ns}/${name}`),
    domainSuffix: 'cluster.local',
  };
  return routeConfiguration(input);
}

/** Encodes and decodes, so every assertion below also proves the field names survive protobuf. */
function wire(result: ReturnType<typeof routeConfiguration>): envoy.RouteConfiguration {
  return decodeMessage<envoy.RouteConfiguration>(RDS_TYPE, encodeMessage(RDS_TYPE, result.config));
}

function routesOf(result: ReturnType<typeof routeConfiguration>): envoy.Route[] {
  const config = wire(result);
  assert.equal(config.virtual_hosts.length, 1);
  return config.virtual_hosts[0]?.routes ?? [];
}

const V1 = 'outbound|9080||reviews-v1.prod.svc.cluster.local';
const V2 = 'outbound|9080||reviews-v2.prod.svc.cluster.local';
const OWN = 'outbound|9080||reviews.prod.svc.cluster.local';
const backend = (name: string, extra: object = {}): object => ({ name, port: 9080, ...extra });

test('name, one virtual host for every domain, and the default route to the service with Istio retries', () => {
  const result = build([]);
  const config = wire(result);
  assert.equal(config.name, 'reviews.prod.svc.cluster.local:9080');
  assert.deepEqual(config.virtual_hosts.map((v) => v.domains), [['*']]);
  const [only] = config.virtual_hosts[0]?.routes ?? [];
  assert.equal(only?.match?.prefix, '/');
  assert.equal(only?.match?.path_specifier, 'prefix');
  assert.equal(only?.route?.cluster, OWN);
  assert.deepEqual(only?.route?.timeout, { seconds: '0', nanos: 0 });
  assert.equal(only?.route?.retry_policy?.retry_on, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  assert.deepEqual(only?.route?.retry_policy?.num_retries, { value: 2 });
  assert.deepEqual(only?.route?.retry_policy?.retriable_status_codes, [503]);
  assert.deepEqual(result.clusters, [OWN]);
});

test('path matches: Exact -> path, PathPrefix -> path_separated_prefix without trailing slash, / -> prefix, regex -> safe_regex', () => {
  const result = build([
    route('r', [
      { matches: [{ path: { type: 'Exact', value: '/login' } }], backendRefs: [backend('reviews-v1')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api/' } }], backendRefs: [backend('reviews-v1')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend('reviews-v1')] },
      { matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' } }], backendRefs: [backend('reviews-v1')] },
    ]),
  ]);
  const matches = routesOf(result).map((r) => r.match);
  assert.deepEqual(matches.map((m) => [m?.path_specifier, m?.path || m?.prefix || m?.path_separated_prefix || m?.safe_regex?.regex]), [
    ['path', '/login'],
    ['path_separated_prefix', '/api'],
    ['prefix', '/'], // still a prefix, so ahead of every regular expression
    ['safe_regex', '/v[0-9]+/.*'],
    ['prefix', '/'], // the default route
  ]);
});

test('precedence: exact > longest prefix > regex, then method, headers, query params, then namespace/name, then rule order', () => {
  const m = (match: object): object => ({ matches: [match], backendRefs: [backend('reviews-v1')] });
  const result = build([
    // Declared in the reverse of the expected order, across two routes.
    route('b', [
      m({ path: { type: 'RegularExpression', value: '/.*' } }),
      m({ path: { type: 'PathPrefix', value: '/a' } }),
      m({ path: { type: 'PathPrefix', value: '/a' }, queryParams: [{ name: 'q', value: '1' }] }),
      m({ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'x', value: '1' }] }),
      m({ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'x', value: '1' }, { name: 'y', value: '2' }] }),
      m({ path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }),
      m({ path: { type: 'PathPrefix', value: '/a/b' } }),
    ]),
    route('a', [m({ path: { type: 'PathPrefix', value: '/a' } }), m({ path: { type: 'Exact', value: '/' } })]),
  ]);
  assert.deepEqual(routesOf(result).map((r) => r.name), [
    'prod.a.1.0', // Exact, even though shorter than every prefix
    'prod.b.6.0', // longest prefix /a/b
    'prod.b.5.0', // /a with a method
    'prod.b.4.0', // /a with two headers
    'prod.b.3.0', // /a with one header
    'prod.b.2.0', // /a with a query parameter
    'prod.a.0.0', // /a, tie broken by route name: prod/a before prod/b
    'prod.b.1.0',
    'prod.b.0.0', // regular expressions last
    'default',
  ]);
});

test('equal precedence: the oldest route (creationTimestamp) first, then namespace/name (Gateway API)', () => {
  const m = { matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [backend('reviews-v1')] };
  const stamped = (name: string, at: string): object => {
    const r = route(name, [m]) as { metadata: Record<string, unknown> };
    return { ...r, metadata: { ...r.metadata, creationTimestamp: at } };
  };
  const result = build([stamped('a', '2026-11-22T12:00:05Z'), stamped('c', '2026-11-22T12:00:05Z'), stamped('b', '2026-11-22T11:59:59Z')]);
  assert.deepEqual(routesOf(result).map((r) => r.name), ['prod.b.0.0', 'prod.a.0.0', 'prod.c.0.0', 'default']);
});

test('a trailing slash does not lengthen a prefix: /foo/ and /foo tie and fall back to rule order', () => {
  const m = (value: string): object => ({ matches: [{ path: { type: 'PathPrefix', value } }], backendRefs: [backend('reviews-v1')] });
  const result = build([route('r', [m('/foo/'), m('/foo')])]);
  assert.deepEqual(routesOf(result).map((r) => [r.name, r.match?.path_separated_prefix]), [['prod.r.0.0', '/foo'], ['prod.r.1.0', '/foo'], ['default', undefined]]);
});

test('headers, query parameters and method become header and query matchers', () => {
  const result = build([
    route('r', [{
      matches: [{
        path: { type: 'Exact', value: '/x' },
        method: 'POST',
        headers: [{ name: 'X-Env', value: 'canary' }, { type: 'RegularExpression', name: 'user', value: 'a.*' }],
        queryParams: [{ name: 'debug', value: '1' }, { type: 'RegularExpression', name: 'v', value: '[0-9]+' }],
      }],
      backendRefs: [backend('reviews-v1')],
    }]),
  ]);
  const [first] = routesOf(result);
  assert.deepEqual(first?.match?.headers.map((h) => [h.name, h.string_match?.exact ?? '', h.string_match?.safe_regex?.regex ?? '']), [
    [':method', 'POST', ''],
    ['x-env', 'canary', ''],
    ['user', '', 'a.*'],
  ]);
  assert.deepEqual(first?.match?.query_parameters.map((q) => [q.name, q.string_match?.exact ?? '', q.string_match?.safe_regex?.regex ?? '']), [
    ['debug', '1', ''],
    ['v', '', '[0-9]+'],
  ]);
});

test('weights: several backends become weighted_clusters, weight 0 kept; one backend is a plain cluster', () => {
  const result = build([
    route('split', [
      { matches: [{ path: { type: 'PathPrefix', value: '/split' } }], backendRefs: [backend('reviews-v1', { weight: 90 }), backend('reviews-v2', { weight: 10 })] },
      { matches: [{ path: { type: 'PathPrefix', value: '/dark' } }], backendRefs: [backend('reviews-v1', { weight: 1 }), backend('reviews-v2', { weight: 0 })] },
      { matches: [{ path: { type: 'PathPrefix', value: '/one' } }], backendRefs: [backend('reviews-v2')] },
    ]),
  ]);
  const routes = routesOf(result);
  const by = (name: string): envoy.Route | undefined => routes.find((r) => r.name === name);
  assert.equal(by('prod.split.0.0')?.route?.cluster_specifier, 'weighted_clusters');
  assert.deepEqual(by('prod.split.0.0')?.route?.weighted_clusters?.clusters.map((c) => [c.name, c.weight?.value]), [[V1, 90], [V2, 10]]);
  assert.deepEqual(by('prod.split.1.0')?.route?.weighted_clusters?.clusters.map((c) => [c.name, c.weight?.value]), [[V1, 1], [V2, 0]]);
  assert.equal(by('prod.split.2.0')?.route?.cluster, V2);
  assert.deepEqual(result.clusters, [OWN, V1, V2].sort());
});

test('header modifiers: set overwrites, add appends, remove lists names; on the route and on a weighted backend', () => {
  const result = build([
    route('h', [{
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: '100%' }], add: [{ name: 'x-add', value: 'a' }], remove: ['X-Gone'] } },
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'waypoint' }], remove: ['server'] } },
      ],
      backendRefs: [backend('reviews-v1', { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-backend', value: 'v1' }] } }] })],
    }]),
  ]);
  const [r] = routesOf(result);
  assert.deepEqual(r?.request_headers_to_add.map((h) => [h.header?.key, h.header?.value, h.append_action]), [
    ['x-set', '100%%', 'OVERWRITE_IF_EXISTS_OR_ADD'], // a literal % is written %% for Envoy
    ['x-add', 'a', 'APPEND_IF_EXISTS_OR_ADD'],
  ]);
  assert.deepEqual(r?.request_headers_to_remove, ['x-gone']);
  assert.deepEqual(r?.response_headers_to_add.map((h) => [h.header?.key, h.header?.value, h.append_action]), [['x-served-by', 'waypoint', 'APPEND_IF_EXISTS_OR_ADD']]);
  assert.deepEqual(r?.response_headers_to_remove, ['server']);
  // A backend with its own filters travels as a one-entry weighted_clusters carrying them.
  const [only] = r?.route?.weighted_clusters?.clusters ?? [];
  assert.equal(only?.name, V1);
  assert.deepEqual(only?.request_headers_to_add.map((h) => [h.header?.key, h.header?.value, h.append_action]), [['x-backend', 'v1', 'OVERWRITE_IF_EXISTS_OR_ADD']]);
});

test('missing backends: all missing -> direct_response 500; some missing -> dropped, both with warnings', () => {
  const result = build([
    route('m', [
      { matches: [{ path: { type: 'PathPrefix', value: '/gone' } }], backendRefs: [backend('nope'), backend('ratings', { port: 1 })] },
      { matches: [{ path: { type: 'PathPrefix', value: '/half' } }], backendRefs: [backend('nope'), backend('reviews-v2')] },
    ]),
  ]);
  const routes = routesOf(result);
  const gone = routes.find((r) => r.name === 'prod.m.0.0');
  assert.equal(gone?.action, 'direct_response');
  assert.equal(gone?.direct_response?.status, 500);
  const half = routes.find((r) => r.name === 'prod.m.1.0');
  assert.equal(half?.route?.cluster, V2);
  assert.deepEqual(result.warnings.map((w) => w.route), ['prod/m', 'prod/m', 'prod/m', 'prod/m']);
  assert.match(result.warnings[0]?.message ?? '', /rules\[0\]: backendRefs\[0\]: Service prod\/nope not found/);
  assert.match(result.warnings[1]?.message ?? '', /rules\[0\]: backendRefs\[1\]: Service prod\/ratings has no port 1/);
  assert.ok(!result.clusters.some((c) => c.includes('nope')));
});

test('timeouts and retry: request -> route timeout, backendRequest -> per-try timeout, retry -> retry_policy', () => {
  const result = build([
    route('t', [
      { matches: [{ path: { type: 'PathPrefix', value: '/slow' } }], timeouts: { request: '1500ms', backendRequest: '500ms' }, retry: { attempts: 4, codes: [502, 504], backoff: '100ms' }, backendRefs: [backend('reviews-v1')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/never' } }], retry: { attempts: 0 }, backendRefs: [backend('reviews-v1')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/plain' } }], backendRefs: [backend('reviews-v1')] },
    ]),
  ]);
  const routes = routesOf(result);
  const slow = routes.find((r) => r.name === 'prod.t.0.0')?.route;
  assert.deepEqual(slow?.timeout, { seconds: '1', nanos: 500_000_000 });
  assert.deepEqual(slow?.retry_policy?.num_retries, { value: 4 });
  assert.deepEqual(slow?.retry_policy?.retriable_status_codes, [502, 504]);
  assert.deepEqual(slow?.retry_policy?.per_try_timeout, { seconds: '0', nanos: 500_000_000 });
  assert.deepEqual(slow?.retry_policy?.retry_back_off?.base_interval, { seconds: '0', nanos: 100_000_000 });
  assert.deepEqual(routes.find((r) => r.name === 'prod.t.1.0')?.route?.retry_policy?.num_retries, { value: 0 });
  const plain = routes.find((r) => r.name === 'prod.t.2.0')?.route;
  assert.deepEqual(plain?.timeout, { seconds: '0', nanos: 0 });
  assert.deepEqual(plain?.retry_policy?.num_retries, { value: 2 });
  assert.deepEqual(plain?.retry_policy?.retriable_status_codes, [503]);
});

test('attachment: kind Service, same namespace (or parentRef namespace), matching port or sectionName', () => {
  const rule = [{ matches: [{ path: { type: 'Exact', value: '/hit' } }], backendRefs: [backend('reviews-v1')] }];
  const cases: Array<[string, object, string, boolean]> = [
    ['plain', { group: '', kind: 'Service', name: 'reviews' }, 'prod', true],
    ['core group', { group: 'core', kind: 'Service', name: 'reviews' }, 'prod', true],
    ['port', { group: '', kind: 'Service', name: 'reviews', port: 9080 }, 'prod', true],
    ['other port', { group: '', kind: 'Service', name: 'reviews', port: 9081 }, 'prod', false],
    ['sectionName', { group: '', kind: 'Service', name: 'reviews', sectionName: 'http-9080' }, 'prod', true],
    ['other sectionName', { group: '', kind: 'Service', name: 'reviews', sectionName: 'grpc' }, 'prod', false],
    ['other namespace', { group: '', kind: 'Service', name: 'reviews' }, 'dev', false],
    ['explicit namespace', { group: '', kind: 'Service', name: 'reviews', namespace: 'prod' }, 'dev', true],
    ['other service', { group: '', kind: 'Service', name: 'ratings' }, 'prod', false],
    ['a Gateway', { name: 'reviews' }, 'prod', false],
  ];
  for (const [label, ref, ns, hit] of cases) {
    const names = routesOf(build([route('r', rule, ref, ns)])).map((r) => r.name);
    assert.equal(names.length === 2, hit, label);
  }
});

test('URLRewrite: hostname -> host_rewrite_literal, ReplaceFullPath -> regex_rewrite of the whole path', () => {
  const result = build([
    route('rw', [{
      matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
      filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'new.example.com', path: { type: 'ReplaceFullPath', replaceFullPath: '/new/index' } } }],
      backendRefs: [backend('reviews-v1')],
    }]),
  ]);
  const r = routesOf(result).find((x) => x.name === 'prod.rw.0.0')?.route;
  assert.equal(r?.cluster, V1);
  assert.equal(r?.host_rewrite_literal, 'new.example.com');
  assert.equal(r?.host_rewrite_specifier, 'host_rewrite_literal');
  assert.deepEqual(r?.regex_rewrite, { pattern: { regex: '^/.*$' }, substitution: '/new/index' });
  assert.equal(r?.prefix_rewrite, '');
  assert.deepEqual(result.warnings, []);
});

test('URLRewrite ReplacePrefixMatch: prefix_rewrite, or a regex_rewrite where a plain one would leave a double slash', () => {
  // [match prefix, replacePrefixMatch, expected prefix_rewrite, expected regex_rewrite [pattern, substitution]]
  const cases: Array<[string, string, string, [string, string] | null]> = [
    ['/foo', '/bar', '/bar', null], // /foo/x -> /bar/x
    ['/foo/', '/bar', '/bar', null], // the route matches /foo, so /foo is what is replaced
    ['/foo', '/', '', ['^/foo(/|$)(.*)', '/\\2']], // /foo/x -> /x, /foo -> /
    ['/foo', '/bar/', '', ['^/foo(/|$)(.*)', '/bar/\\2']], // /foo/x -> /bar/x
    ['/v1.0+', '/', '', ['^/v1\\.0\\+(/|$)(.*)', '/\\2']], // metacharacters of the prefix escaped
    ['/', '/api', '/api/', null], // prefix / takes the leading slash: /x -> /api/x
    ['/', '/', '/', null],
  ];
  for (const [prefix, replacement, wantPrefix, wantRegex] of cases) {
    const result = build([
      route('p', [{
        matches: [{ path: { type: 'PathPrefix', value: prefix } }],
        filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: replacement } } }],
        backendRefs: [backend('reviews-v1')],
      }]),
    ]);
    const r = routesOf(result).find((x) => x.name === 'prod.p.0.0')?.route;
    const label = `${prefix} -> ${replacement}`;
    assert.equal(r?.prefix_rewrite, wantPrefix, label);
    assert.deepEqual(r?.regex_rewrite && [r.regex_rewrite.pattern?.regex, r.regex_rewrite.substitution], wantRegex ?? null, label);
    assert.equal(r?.host_rewrite_literal, undefined, label);
  }
});

test('RequestRedirect: scheme, host, port (from the scheme, else the Service port, when unset), path and status code; no cluster, no warning', () => {
  const redirect = (requestRedirect: object, prefix = '/r'): object => ({
    matches: [{ path: { type: 'PathPrefix', value: prefix } }],
    filters: [{ type: 'RequestRedirect', requestRedirect }],
  });
  const result = build([
    route('rd', [
      redirect({}, '/plain'),
      redirect({ scheme: 'https', hostname: 'secure.example.com', statusCode: 301 }, '/secure'),
      redirect({ scheme: 'http', port: 8080, statusCode: 308, path: { type: 'ReplaceFullPath', replaceFullPath: '/moved' } }, '/full'),
      redirect({ port: 9443, statusCode: 303, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } }, '/v1'),
      redirect({ statusCode: 307, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } }, '/strip'),
    ]),
  ]);
  const routes = routesOf(result);
  const at = (i: number): envoy.Route | undefined => routes.find((r) => r.name === `prod.rd.${i}.0`);
  for (let i = 0; i < 5; i++) {
    assert.equal(at(i)?.action, 'redirect', `rule ${i}`);
    assert.equal(at(i)?.route, undefined, `rule ${i}`); // a oneof member that is not set
  }
  const fields = (r: envoy.Route | undefined): unknown[] => {
    const d = r?.redirect;
    return [d?.scheme_redirect, d?.host_redirect, d?.port_redirect, d?.path_redirect, d?.prefix_rewrite, d?.regex_rewrite && [d.regex_rewrite.pattern?.regex, d.regex_rewrite.substitution], d?.response_code, d?.strip_query];
  };
  // Gateway API's default status is 302 (FOUND); no scheme and no port: the listener's port, for
  // GAMMA the Service port (9080); the request's host stays.
  assert.deepEqual(fields(at(0)), [undefined, '', 9080, undefined, undefined, undefined, 'FOUND', false]);
  // A scheme without a port redirects to that scheme's well-known port.
  assert.deepEqual(fields(at(1)), ['https', 'secure.example.com', 443, undefined, undefined, undefined, 'MOVED_PERMANENTLY', false]);
  assert.deepEqual(fields(at(2)), ['http', '', 8080, '/moved', undefined, undefined, 'PERMANENT_REDIRECT', false]);
  assert.deepEqual(fields(at(3)), [undefined, '', 9443, undefined, '/v2', undefined, 'SEE_OTHER', false]);
  assert.deepEqual(fields(at(4)), [undefined, '', 9080, undefined, undefined, ['^/strip(/|$)(.*)', '/\\2'], 'TEMPORARY_REDIRECT', false]);
  assert.equal(at(3)?.redirect?.path_rewrite_specifier, 'prefix_rewrite');
  assert.equal(at(1)?.redirect?.scheme_rewrite_specifier, 'scheme_redirect');
  assert.deepEqual(result.clusters, [OWN]);
  assert.deepEqual(result.warnings, []);
});

test('RequestMirror is still not supported: warned and ignored, the rule keeps routing', () => {
  const result = build([
    route('mir', [{
      matches: [{ path: { type: 'PathPrefix', value: '/m' } }],
      filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'reviews-v2', port: 9080 } } }],
      backendRefs: [backend('reviews-v1')],
    }]),
  ]);
  assert.equal(routesOf(result).find((r) => r.name === 'prod.mir.0.0')?.route?.cluster, V1);
  assert.deepEqual(result.warnings.map((w) => w.message), ['rules[0]: filter RequestMirror is not supported by the waypoint and is ignored']);
});
