// Expected results are Envoy's documented route semantics, written by hand: virtual host domain
// order, path/prefix/path_separated_prefix/safe_regex, header matcher presence and inversion,
// query parameters, weighted clusters, header append actions, timeouts and retry policy defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type envoy, type Init } from '@ambit/xds-types';
import type { HeaderList, RequestInfo } from '../contracts.ts';
import { compileRoutes } from './routes.ts';

const RDS = 'envoy.config.route.v3.RouteConfiguration';

/** Configs go through protobuf so the compiler sees exactly what the xDS client decodes. */
function decoded(config: Init<envoy.RouteConfiguration>): envoy.RouteConfiguration {
  return decodeMessage<envoy.RouteConfiguration>(RDS, encodeMessage(RDS, config));
}

function request(patch: Partial<RequestInfo> = {}): RequestInfo {
  return {
    method: 'GET', path: '/', query: '', host: 'reviews.prod.svc.cluster.local:9080', headers: [], protocol: 'HTTP/1.1', grpc: false,
    sourceIp: '10.0.0.1', sourcePort: 40000, destinationIp: '10.96.0.10', destinationPort: 9080, principal: undefined, requestId: 'r', ...patch,
  };
}

/** A mulberry32 PRNG: deterministic draws in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const to = (name: string, match: Init<envoy.RouteMatch>): Init<envoy.Route> => ({ name, match, route: { cluster: name } });

test('virtual host by :authority: exact, then longest *.suffix, then longest prefix.*, then *', () => {
  const routes = compileRoutes(decoded({
    name: 'rc',
    virtual_hosts: [
      { name: 'exact', domains: ['api.example.com', 'api.example.com:8080'], routes: [to('exact', { prefix: '/' })] },
      { name: 'suffix-long', domains: ['*.svc.example.com'], routes: [to('suffix-long', { prefix: '/' })] },
      { name: 'suffix', domains: ['*.example.com'], routes: [to('suffix', { prefix: '/' })] },
      { name: 'prefix', domains: ['api.*'], routes: [to('prefix', { prefix: '/' })] },
      { name: 'any', domains: ['*'], routes: [to('any', { prefix: '/' })] },
    ],
  }));
  const cases: Array<[string, string]> = [
    ['api.example.com', 'exact'],
    ['API.Example.com', 'exact'],
    ['api.example.com:8080', 'exact'],
    ['api.example.com:9999', 'prefix'], // the port is part of the name: only api.* takes it
    ['x.svc.example.com', 'suffix-long'],
    ['www.example.com', 'suffix'],
    ['example.com', 'any'], // *.example.com needs at least one character before the dot
    ['api.other.org', 'prefix'],
    ['10.96.0.10:9080', 'any'],
  ];
  for (const [host, want] of cases) assert.equal(routes.select(request({ host }))?.name, want, host);
});

test('no virtual host and no route match: undefined (404 NR)', () => {
  const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'a', domains: ['a.example'], routes: [to('x', { path: '/x' })] }] }));
  assert.equal(routes.select(request({ host: 'b.example' })), undefined);
  assert.equal(routes.select(request({ host: 'a.example', path: '/y' })), undefined);
});

test('route matching: path specifiers, case sensitivity, headers (incl. :method) and query parameters', () => {
  const cases: Array<[string, Init<envoy.RouteMatch>, Partial<RequestInfo>, boolean]> = [
    ['prefix', { prefix: '/api' }, { path: '/apiary' }, true],
    ['path exact', { path: '/login' }, { path: '/login' }, true],
    ['path exact ignores the query', { path: '/login' }, { path: '/login', query: 'next=/' }, true],
    ['path exact is not a prefix', { path: '/login' }, { path: '/login/x' }, false],
    ['path case-sensitive by default', { path: '/Login' }, { path: '/login' }, false],
    ['path case-insensitive', { path: '/Login', case_sensitive: { value: false } }, { path: '/login' }, true],
    ['separated prefix: itself', { path_separated_prefix: '/foo' }, { path: '/foo' }, true],
    ['separated prefix: child', { path_separated_prefix: '/foo' }, { path: '/foo/bar' }, true],
    ['separated prefix: not a longer segment', { path_separated_prefix: '/foo' }, { path: '/foobar' }, false],
    ['regex is a full match', { safe_regex: { regex: '/v[0-9]+' } }, { path: '/v12' }, true],
    ['regex is not a search', { safe_regex: { regex: '/v[0-9]+' } }, { path: '/v12/x' }, false],
    ['method', { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, { method: 'POST' }, true],
    ['method mismatch', { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, { method: 'GET' }, false],
    ['header exact', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'canary' } }] }, { headers: [['x-env', 'canary']] }, true],
    ['header values joined by comma', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'a,b' } }] }, { headers: [['x-env', 'a'], ['x-env', 'b']] }, true],
    ['header regex', { prefix: '/', headers: [{ name: 'user', string_match: { safe_regex: { regex: 'a.*' } } }] }, { headers: [['user', 'alice']] }, true],
    ['header missing fails', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'canary' } }] }, {}, false],
    ['inverted: missing header still fails', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'canary' }, invert_match: true }] }, {}, false],
    ['inverted: other value matches', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'canary' }, invert_match: true }] }, { headers: [['x-env', 'prod']] }, true],
    ['present', { prefix: '/', headers: [{ name: 'x-env', present_match: true }] }, { headers: [['x-env', '']] }, true],
    ['present, missing', { prefix: '/', headers: [{ name: 'x-env', present_match: true }] }, {}, false],
    ['absent wanted, missing', { prefix: '/', headers: [{ name: 'x-env', present_match: false }] }, {}, true],
    ['query exact', { prefix: '/', query_parameters: [{ name: 'debug', string_match: { exact: '1' } }] }, { query: 'a=2&debug=1' }, true],
    ['query mismatch', { prefix: '/', query_parameters: [{ name: 'debug', string_match: { exact: '1' } }] }, { query: 'debug=0' }, false],
    ['query missing', { prefix: '/', query_parameters: [{ name: 'debug', string_match: { exact: '1' } }] }, { query: '' }, false],
    ['query present', { prefix: '/', query_parameters: [{ name: 'debug', present_match: true }] }, { query: 'debug' }, true],
  ];
  for (const [label, match, req, want] of cases) {
    const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [to('hit', match)] }] }));
    assert.equal(routes.select(request(req))?.name === 'hit', want, label);
  }
});

test('the first matching route wins, in order', () => {
  const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [to('a', { path_separated_prefix: '/a' }), to('b', { prefix: '/' })] }] }));
  assert.equal(routes.select(request({ path: '/a/1' }))?.name, 'a');
  assert.equal(routes.select(request({ path: '/ab' }))?.name, 'b');
});

test('weighted clusters: 90/10 over 10,000 seeded draws lands within 5 binomial standard deviations; weight 0 is never picked', () => {
  const routes = compileRoutes(decoded({
    name: 'rc',
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: 'w', match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'v1', weight: { value: 90 } }, { name: 'v2', weight: { value: 10 } }, { name: 'dark', weight: { value: 0 } }] } } }] }],
  }));
  const route = routes.select(request()) ?? assert.fail('no route');
  const random = seeded(7);
  const counts = new Map<string, number>();
  const n = 10_000;
  for (let i = 0; i < n; i++) {
    const c = route.pickCluster(random());
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  // Binomial(n, 0.1): mean 1,000, standard deviation sqrt(n * 0.1 * 0.9) = 30.
  const v2 = counts.get('v2') ?? 0;
  assert.ok(Math.abs(v2 - 1000) <= 5 * 30, `v2 picked ${v2} times`);
  assert.equal((counts.get('v1') ?? 0) + v2, n);
  assert.equal(counts.get('dark'), undefined);
  // The boundaries of [0, 1): the first 90% is v1, the rest v2.
  assert.equal(route.pickCluster(0), 'v1');
  assert.equal(route.pickCluster(0.8999), 'v1');
  assert.equal(route.pickCluster(0.9), 'v2');
  assert.equal(route.pickCluster(0.999999), 'v2');
});

test('header modifiers: append actions, removal first, weighted cluster level before route level; %% is a literal %', () => {
  const opt = (key: string, value: string, action: string): Init<envoy.HeaderValueOption> => ({ header: { key, value }, append_action: action as envoy.HeaderValueOption['append_action'] });
  const routes = compileRoutes(decoded({
    name: 'rc',
    virtual_hosts: [{
      name: 'vh', domains: ['*'],
      routes: [{
        name: 'h', match: { prefix: '/' },
        route: { weighted_clusters: { clusters: [{ name: 'v1', weight: { value: 1 }, request_headers_to_add: [opt('x-layer', 'cluster', 'OVERWRITE_IF_EXISTS_OR_ADD')] }] } },
        request_headers_to_remove: ['x-drop'],
        request_headers_to_add: [
          opt('x-append', 'b', 'APPEND_IF_EXISTS_OR_ADD'),
          opt('x-absent', 'new', 'ADD_IF_ABSENT'),
          opt('x-keep', 'new', 'ADD_IF_ABSENT'),
          opt('x-set', '100%%', 'OVERWRITE_IF_EXISTS_OR_ADD'),
          opt('x-only-if', 'new', 'OVERWRITE_IF_EXISTS'),
          opt('x-replace', 'new', 'OVERWRITE_IF_EXISTS'),
          opt('x-layer', 'route', 'APPEND_IF_EXISTS_OR_ADD'),
        ],
        response_headers_to_remove: ['server'],
        response_headers_to_add: [opt('x-served-by', 'waypoint', 'OVERWRITE_IF_EXISTS_OR_ADD')],
      }],
    }],
  }));
  const route = routes.select(request()) ?? assert.fail('no route');
  const headers: HeaderList = [['x-append', 'a'], ['x-keep', 'old'], ['x-set', '1'], ['x-set', '2'], ['x-replace', 'old'], ['x-drop', 'gone'], ['x-layer', 'client']];
  route.editRequestHeaders(headers, 'v1');
  assert.deepEqual(headers, [
    ['x-append', 'a'], ['x-keep', 'old'], ['x-layer', 'cluster'],
    ['x-append', 'b'], ['x-absent', 'new'], ['x-set', '100%'], ['x-replace', 'new'], ['x-layer', 'route'],
  ]);
  const response: HeaderList = [['server', 'app'], ['x-served-by', 'app']];
  route.editResponseHeaders(response, 'v1');
  assert.deepEqual(response, [['x-served-by', 'waypoint']]);
});

test('timeouts and retry policy: unset timeout is Envoy 15s, 0s none; route retry_policy, else the virtual host one', () => {
  const routes = compileRoutes(decoded({
    name: 'rc',
    virtual_hosts: [{
      name: 'vh', domains: ['*'],
      retry_policy: { retry_on: 'gateway-error', num_retries: { value: 5 } },
      routes: [
        { name: 'own', match: { path: '/own' }, route: { cluster: 'c', timeout: { seconds: '0' }, retry_policy: { retry_on: 'connect-failure, retriable-status-codes', num_retries: { value: 3 }, per_try_timeout: { nanos: 250_000_000 }, retriable_status_codes: [503, 429], retry_back_off: { base_interval: { nanos: 100_000_000 } } } } },
        { name: 'inherit', match: { path: '/inherit' }, route: { cluster: 'c', timeout: { seconds: '2', nanos: 500_000_000 } } },
        { name: 'default', match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_on: '5xx' } } },
      ],
    }],
  }));
  const own = routes.select(request({ path: '/own' }));
  assert.equal(own?.timeoutMs, 0);
  assert.deepEqual(own?.retry && { ...own.retry, retryOn: [...own.retry.retryOn], retriableStatusCodes: [...own.retry.retriableStatusCodes] }, {
    retryOn: ['connect-failure', 'retriable-status-codes'], numRetries: 3, perTryTimeoutMs: 250, retriableStatusCodes: [503, 429], backoffBaseMs: 100, backoffMaxMs: 1000,
  });
  const inherit = routes.select(request({ path: '/inherit' }));
  assert.equal(inherit?.timeoutMs, 2500);
  assert.deepEqual([...(inherit?.retry?.retryOn ?? [])], ['gateway-error']);
  assert.equal(inherit?.retry?.numRetries, 5);
  const fallback = routes.select(request({ path: '/x' }));
  assert.equal(fallback?.timeoutMs, 15_000);
  assert.equal(fallback?.retry?.numRetries, 1); // Envoy's default when num_retries is unset
  assert.equal(fallback?.retry?.backoffBaseMs, 25);
  assert.equal(fallback?.retry?.backoffMaxMs, 250);
});

test('direct_response routes answer without a cluster', () => {
  const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: 'dr', match: { prefix: '/' }, direct_response: { status: 500, body: { inline_string: 'no backend' } } }] }] }));
  assert.deepEqual(routes.select(request())?.directResponse, { status: 500, body: 'no backend' });
});

test('path rewrites: prefix_rewrite replaces what the match consumed, regex_rewrite replaces every match with RE2 \\N groups', () => {
  // [label, match, rewrite fields, request path, upstream path]
  const cases: Array<[string, Init<envoy.RouteMatch>, Init<envoy.RouteAction>, string, string]> = [
    ['prefix', { prefix: '/api' }, { prefix_rewrite: '/v2' }, '/api/users', '/v2/users'],
    ['prefix glued to the rest', { prefix: '/api' }, { prefix_rewrite: '/v2' }, '/apiary', '/v2ary'],
    ['prefix /', { prefix: '/' }, { prefix_rewrite: '/app/' }, '/users', '/app/users'],
    ['case-insensitive prefix keeps the rest as sent', { prefix: '/API', case_sensitive: { value: false } }, { prefix_rewrite: '/v2' }, '/api/Users', '/v2/Users'],
    ['separated prefix', { path_separated_prefix: '/foo' }, { prefix_rewrite: '/bar' }, '/foo/x', '/bar/x'],
    ['separated prefix, the prefix itself', { path_separated_prefix: '/foo' }, { prefix_rewrite: '/bar' }, '/foo', '/bar'],
    ['exact path: the whole path', { path: '/login' }, { prefix_rewrite: '/auth/login' }, '/login', '/auth/login'],
    ['regex match: the whole path', { safe_regex: { regex: '/v[0-9]+/.*' } }, { prefix_rewrite: '/latest' }, '/v1/x', '/latest'],
    ['full path replacement', { prefix: '/' }, { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: '/index.html' } }, '/a/b/c', '/index.html'],
    ['prefix dropped, one slash kept', { path_separated_prefix: '/foo' }, { regex_rewrite: { pattern: { regex: '^/foo(/|$)(.*)' }, substitution: '/\\2' } }, '/foo/bar/baz', '/bar/baz'],
    ['prefix dropped, the prefix itself', { path_separated_prefix: '/foo' }, { regex_rewrite: { pattern: { regex: '^/foo(/|$)(.*)' }, substitution: '/\\2' } }, '/foo', '/'],
    ['every match replaced', { prefix: '/' }, { regex_rewrite: { pattern: { regex: 'o' }, substitution: '0' } }, '/foo/boo', '/f00/b00'],
    ['groups reordered, \\0 whole match, \\\\ a backslash, $ literal', { prefix: '/' }, { regex_rewrite: { pattern: { regex: '^/(\\w+)/(\\w+)$' }, substitution: '/\\2/\\1/\\0/$1\\\\' } }, '/a/b', '/b/a//a/b/$1\\'],
  ];
  for (const [label, match, action, path, want] of cases) {
    const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: 'r', match, route: { cluster: 'c', ...action } }] }] }));
    const route = routes.select(request({ path }));
    assert.ok(route, label);
    assert.equal(route.rewrite?.path?.(path), want, label);
    assert.equal(route.rewrite?.host, undefined, label);
  }
});

test('host_rewrite_literal replaces the authority; a route without rewrites has none', () => {
  const routes = compileRoutes(decoded({
    name: 'rc',
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [
      { name: 'host', match: { prefix: '/h' }, route: { cluster: 'c', host_rewrite_literal: 'backend.example.com' } },
      { name: 'plain', match: { prefix: '/' }, route: { cluster: 'c' } },
    ] }],
  }));
  const host = routes.select(request({ path: '/h' }));
  assert.equal(host?.rewrite?.host, 'backend.example.com');
  assert.equal(host?.rewrite?.path, undefined);
  assert.equal(routes.select(request({ path: '/x' }))?.rewrite, undefined);
});

test('redirect routes: status from response_code and an absolute Location from what is set and what the request had', () => {
  // [label, redirect, request, status, location]
  const cases: Array<[string, Init<envoy.RedirectAction>, Partial<RequestInfo>, number, string]> = [
    ['unset response_code is MOVED_PERMANENTLY (enum 0); all else from the request', {}, { host: 'a.example:9080', path: '/p', query: 'q=1' }, 301, 'http://a.example:9080/p?q=1'],
    ['FOUND', { response_code: 'FOUND' }, { host: 'a.example', path: '/p' }, 302, 'http://a.example/p'],
    ['SEE_OTHER', { response_code: 'SEE_OTHER' }, { host: 'a.example', path: '/p' }, 303, 'http://a.example/p'],
    ['TEMPORARY_REDIRECT', { response_code: 'TEMPORARY_REDIRECT' }, { host: 'a.example', path: '/p' }, 307, 'http://a.example/p'],
    ['PERMANENT_REDIRECT', { response_code: 'PERMANENT_REDIRECT' }, { host: 'a.example', path: '/p' }, 308, 'http://a.example/p'],
    ['host replaced, the request port goes with it', { host_redirect: 'b.example', response_code: 'FOUND' }, { host: 'a.example:9080', path: '/p' }, 302, 'http://b.example/p'],
    ['port replaced', { port_redirect: 8443, response_code: 'FOUND' }, { host: 'a.example:9080', path: '/p' }, 302, 'http://a.example:8443/p'],
    ['https with its default port: no port written', { scheme_redirect: 'https', port_redirect: 443, response_code: 'FOUND' }, { host: 'a.example:9080', path: '/p' }, 302, 'https://a.example/p'],
    ['http with port 80: no port written', { scheme_redirect: 'http', port_redirect: 80, response_code: 'FOUND' }, { host: 'a.example:9080', path: '/p' }, 302, 'http://a.example/p'],
    ['scheme change drops the old scheme\'s default port', { scheme_redirect: 'https', response_code: 'FOUND' }, { host: 'a.example:80', path: '/p' }, 302, 'https://a.example/p'],
    ['https_redirect', { https_redirect: true, response_code: 'FOUND' }, { host: 'a.example', path: '/p' }, 302, 'https://a.example/p'],
    ['IPv6 host keeps its brackets', { port_redirect: 8080, response_code: 'FOUND' }, { host: '[fd00::1]:9080', path: '/p' }, 302, 'http://[fd00::1]:8080/p'],
    ['path_redirect keeps the query', { path_redirect: '/new', response_code: 'FOUND' }, { host: 'a.example', path: '/old', query: 'x=1' }, 302, 'http://a.example/new?x=1'],
    ['path_redirect with its own query replaces it', { path_redirect: '/new?y=2', response_code: 'FOUND' }, { host: 'a.example', path: '/old', query: 'x=1' }, 302, 'http://a.example/new?y=2'],
    ['strip_query', { strip_query: true, response_code: 'FOUND' }, { host: 'a.example', path: '/old', query: 'x=1' }, 302, 'http://a.example/old'],
    ['prefix_rewrite replaces the matched prefix', { prefix_rewrite: '/v2', response_code: 'FOUND' }, { host: 'a.example', path: '/v1/users', query: 'x=1' }, 302, 'http://a.example/v2/users?x=1'],
    ['regex_rewrite', { regex_rewrite: { pattern: { regex: '^/v1(/|$)(.*)' }, substitution: '/\\2' }, response_code: 'FOUND' }, { host: 'a.example', path: '/v1/users' }, 302, 'http://a.example/users'],
  ];
  for (const [label, redirect, req, status, location] of cases) {
    const routes = compileRoutes(decoded({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: 'r', match: { path_separated_prefix: '/v1' }, redirect }, { name: 'all', match: { prefix: '/' }, redirect }] }] }));
    const route = routes.select(request(req));
    assert.ok(route?.redirect, label);
    assert.equal(route.directResponse, undefined, label);
    assert.deepEqual(route.redirect(request(req)), { status, location }, label);
  }
});

test('what the waypoint cannot honour is refused with AMBIT_WAYPOINT_CONFIG naming the field', () => {
  const vh = (route: Init<envoy.Route>): Init<envoy.RouteConfiguration> => ({ name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [route] }] });
  const cases: Array<[string, Init<envoy.RouteConfiguration>, RegExp]> = [
    ['filter_action', vh({ name: 'r', match: { prefix: '/' }, filter_action: {} } as Init<envoy.Route>), /routes\[0\]: action "filter_action" is not supported/],
    ['bad regex_rewrite', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', regex_rewrite: { pattern: { regex: '(' }, substitution: '/' } } }), /routes\[0\]\.route\.regex_rewrite\.pattern\.regex: is not a valid regular expression/],
    ['missing group', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', regex_rewrite: { pattern: { regex: '^/(a)' }, substitution: '/\\2' } } }), /route\.regex_rewrite\.substitution: refers to group \\2 but the pattern has 1 capture group/],
    ['bad escape', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', regex_rewrite: { pattern: { regex: '^/a' }, substitution: '/\\x' } } }), /route\.regex_rewrite\.substitution: has an invalid escape/],
    ['two path rewrites', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', prefix_rewrite: '/v2', regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } } }), /routes\[0\]\.route: sets both prefix_rewrite and regex_rewrite/],
    ['auto_host_rewrite', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', auto_host_rewrite: { value: true } } } as Init<envoy.Route>), /route\.auto_host_rewrite: is not supported \(host_rewrite_literal is\)/],
    ['relative path_redirect', vh({ name: 'r', match: { prefix: '/' }, redirect: { path_redirect: 'x' } }), /routes\[0\]\.redirect\.path_redirect: must start with "\/"/],
    ['bad regex', vh({ name: 'r', match: { safe_regex: { regex: '(' } }, route: { cluster: 'c' } }), /routes\[0\]\.match\.safe_regex\.regex: is not a valid regular expression/],
    ['unknown retry_on', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_on: 'sometimes' } } }), /retry_policy\.retry_on: condition "sometimes" is not supported/],
    ['zero total weight', vh({ name: 'r', match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 0 } }] } } }), /weighted_clusters: needs at least one cluster with a positive weight/],
    ['command operator', vh({ name: 'r', match: { prefix: '/' }, route: { cluster: 'c' }, request_headers_to_add: [{ header: { key: 'x', value: '%START_TIME%' } }] }), /request_headers_to_add\[0\]\.header\.value: command operators/],
    ['duplicate domain', { name: 'rc', virtual_hosts: [{ name: 'a', domains: ['x'] }, { name: 'b', domains: ['X'] }] }, /virtual_hosts\[1\]\.domains\[0\]: domain "X" appears in more than one virtual host/],
  ];
  for (const [label, config, message] of cases) {
    assert.throws(() => compileRoutes(decoded(config)), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'AMBIT_WAYPOINT_CONFIG', label);
      assert.match((e as Error).message, message, label);
      assert.match((e as Error).message, /^RouteConfiguration "rc"/, label);
      return true;
    });
  }
});
