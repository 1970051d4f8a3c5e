// Expected results follow Envoy's documented matcher semantics (StringMatcher, HeaderMatcher,
// CidrRange, MetadataMatcher, RBAC Permission/Principal), written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { envoy } from '@ambit/xds-types';
import { headerMatcher as compileHeaderMatcher, stringMatcher as compileStringMatcher } from '../matchers.ts';
import { compileCidr, compilePermission, compilePrincipal, compileRbac, matchingPolicies, type DynamicMetadata } from './rbac.ts';
import { decoded, request } from './test-helpers.ts';

const sm = (init: object): envoy.StringMatcher => decoded('envoy.type.matcher.v3.StringMatcher', init);
const hm = (init: object): envoy.HeaderMatcher => decoded('envoy.config.route.v3.HeaderMatcher', init);
const perm = (init: object): envoy.Permission => decoded('envoy.config.rbac.v3.Permission', init);
const princ = (init: object): envoy.Principal => decoded('envoy.config.rbac.v3.Principal', init);
const none: DynamicMetadata = new Map();

test('StringMatcher', () => {
  const cases: Array<[object, string, boolean]> = [
    [{ exact: 'GET' }, 'GET', true],
    [{ exact: 'GET' }, 'get', false],
    [{ exact: 'GET', ignore_case: true }, 'get', true],
    [{ prefix: '/api/' }, '/api/v1', true],
    [{ prefix: '/API/', ignore_case: true }, '/api/v1', true],
    [{ suffix: '.json' }, '/a.json', true],
    [{ suffix: '.json' }, '/a.jsonx', false],
    [{ contains: 'adm' }, '/x/admin', true],
    [{ safe_regex: { regex: '.+' } }, '', false],
    [{ safe_regex: { regex: '.+' } }, 'x', true],
    // Full-string match: a regex matching only part of the value does not match.
    [{ safe_regex: { regex: 'b' } }, 'abc', false],
    [{ safe_regex: { regex: 'a|abc' } }, 'abc', true],
    [{ safe_regex: { regex: '.*/ns/shop/.*' } }, 'spiffe://cluster.local/ns/shop/sa/web', true],
  ];
  for (const [init, value, want] of cases) assert.equal(compileStringMatcher(sm(init), 'm')(value), want, `${JSON.stringify(init)} vs ${value}`);
});

test('StringMatcher: a bad regex is a config error naming the field', () => {
  assert.throws(() => compileStringMatcher(sm({ safe_regex: { regex: '(' } }), 'rules.x'), (e: Error & { code?: string }) => e.code === 'AMBIT_WAYPOINT_CONFIG' && /rules\.x\.safe_regex\.regex/.test(e.message));
});

test('HeaderMatcher: values, missing headers, invert, multi-valued headers', () => {
  const withToken = request({ headers: [['x-token', 'a'], ['x-token', 'b'], ['x-empty', '']] });
  const cases: Array<[string, object, boolean]> = [
    ['multi-valued joined with ","', { name: 'x-token', string_match: { exact: 'a,b' } }, true],
    ['one of several values is not the joined value', { name: 'x-token', string_match: { exact: 'a' } }, false],
    ['present', { name: 'x-token', present_match: true }, true],
    ['missing, present', { name: 'x-missing', present_match: true }, false],
    ['missing, present false', { name: 'x-missing', present_match: false }, true],
    ['missing, present inverted', { name: 'x-missing', present_match: true, invert_match: true }, true],
    ['missing, exact inverted still fails', { name: 'x-missing', string_match: { exact: 'a' }, invert_match: true }, false],
    ['missing treated as empty', { name: 'x-missing', string_match: { exact: '' }, treat_missing_header_as_empty: true }, true],
    ['present but empty', { name: 'x-empty', string_match: { exact: '' } }, true],
    ['inverted exact', { name: 'x-token', string_match: { exact: 'zzz' }, invert_match: true }, true],
    [':method', { name: ':method', string_match: { exact: 'GET' } }, true],
    [':authority', { name: ':authority', string_match: { exact: 'SHOP.example.com', ignore_case: true } }, true],
    [':path includes the query', { name: ':path', string_match: { exact: '/p?q=1' } }, true],
    ['name is case-insensitive', { name: 'X-Token', present_match: true }, true],
    ['legacy exact_match', { name: 'x-token', exact_match: 'a,b' }, true],
    ['range', { name: 'x-num', range_match: { start: '1', end: '10' } }, false],
  ];
  const r = { ...withToken, path: '/p', query: 'q=1' };
  for (const [label, init, want] of cases) assert.equal(compileHeaderMatcher(hm(init), 'h')(r), want, label);
  assert.equal(compileHeaderMatcher(hm({ name: 'x-num', range_match: { start: '1', end: '10' } }), 'h')(request({ headers: [['x-num', '9']] })), true);
  assert.equal(compileHeaderMatcher(hm({ name: 'x-num', range_match: { start: '1', end: '10' } }), 'h')(request({ headers: [['x-num', '10']] })), false);
});

test('CidrRange v4 and v6', () => {
  const cases: Array<[object, string, boolean]> = [
    [{ address_prefix: '10.0.0.0', prefix_len: { value: 8 } }, '10.1.2.3', true],
    [{ address_prefix: '10.0.0.0', prefix_len: { value: 8 } }, '11.0.0.1', false],
    [{ address_prefix: '192.168.1.7' }, '192.168.1.7', true],
    [{ address_prefix: '192.168.1.7', prefix_len: { value: 32 } }, '192.168.1.8', false],
    [{ address_prefix: '2001:db8::', prefix_len: { value: 32 } }, '2001:db8:1::5', true],
    [{ address_prefix: '2001:db8::', prefix_len: { value: 32 } }, '2001:db9::5', false],
    [{ address_prefix: '0.0.0.0', prefix_len: { value: 0 } }, '2001:db8::1', false],
  ];
  for (const [init, ip, want] of cases) assert.equal(compileCidr(decoded('envoy.config.core.v3.CidrRange', init), 'c')(ip), want, `${JSON.stringify(init)} vs ${ip}`);
  assert.throws(() => compileCidr(decoded('envoy.config.core.v3.CidrRange', { address_prefix: 'nope' }), 'c'), /not an IP address/);
  assert.throws(() => compileCidr(decoded('envoy.config.core.v3.CidrRange', { address_prefix: '10.0.0.0', prefix_len: { value: 33 } }), 'c'), /longer/);
});

test('permissions', () => {
  const r = request({ method: 'POST', path: '/api/v1/items', destinationPort: 9080, destinationIp: '10.96.0.10' });
  const cases: Array<[string, object, boolean]> = [
    ['any', { any: true }, true],
    ['url_path', { url_path: { path: { prefix: '/api/' } } }, true],
    ['url_path ignores the query', { url_path: { path: { exact: '/api/v1/items' } } }, true],
    ['destination_port', { destination_port: 9080 }, true],
    ['destination_port other', { destination_port: 80 }, false],
    ['destination_port_range', { destination_port_range: { start: 9000, end: 9081 } }, true],
    ['destination_ip', { destination_ip: { address_prefix: '10.96.0.0', prefix_len: { value: 16 } } }, true],
    ['and', { and_rules: { rules: [{ destination_port: 9080 }, { header: { name: ':method', string_match: { exact: 'POST' } } }] } }, true],
    ['and, one fails', { and_rules: { rules: [{ destination_port: 9080 }, { header: { name: ':method', string_match: { exact: 'GET' } } }] } }, false],
    ['or', { or_rules: { rules: [{ destination_port: 1 }, { destination_port: 9080 }] } }, true],
    ['not', { not_rule: { destination_port: 9080 } }, false],
    ['requested_server_name is empty inside HBONE', { requested_server_name: { exact: '' } }, true],
  ];
  for (const [label, init, want] of cases) assert.equal(compilePermission(perm(init), 'p')({ request: { ...r, query: 'x=1' }, metadata: none }), want, label);
});

test('principals', () => {
  const r = request({ principal: 'spiffe://cluster.local/ns/shop/sa/web', sourceIp: '10.1.2.3' });
  const cases: Array<[string, object, boolean]> = [
    ['authenticated exact', { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/web' } } }, true],
    ['authenticated, any name', { authenticated: {} }, true],
    ['direct_remote_ip', { direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 8 } } }, true],
    ['remote_ip (no trusted hops: the peer)', { remote_ip: { address_prefix: '10.1.2.3' } }, true],
    ['not_id', { not_id: { any: true } }, false],
    ['or_ids', { or_ids: { ids: [{ not_id: { any: true } }, { any: true }] } }, true],
    ['metadata absent', { metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.principal' }], value: { string_match: { safe_regex: { regex: '.+' } } } } }, false],
  ];
  for (const [label, init, want] of cases) assert.equal(compilePrincipal(princ(init), 'p')({ request: r, metadata: none }), want, label);
  const plaintext = request({ principal: undefined });
  assert.equal(compilePrincipal(princ({ authenticated: {} }), 'p')({ request: plaintext, metadata: none }), false, 'no certificate, not authenticated');
});

test('metadata matcher reads what earlier filters wrote', () => {
  const metadata: DynamicMetadata = new Map([['envoy.filters.http.rbac', { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-ns[a]-policy[b]-rule[0]' }]]);
  const p = princ({ metadata: { filter: 'envoy.filters.http.rbac', path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { string_match: { prefix: 'istio-ext-authz' } } } });
  assert.equal(compilePrincipal(p, 'p')({ request: request(), metadata }), true);
  assert.equal(compilePrincipal(p, 'p')({ request: request(), metadata: none }), false);
});

test('policies: some permission and some principal; sorted by name', () => {
  const rbac = decoded<envoy.Rbac>('envoy.config.rbac.v3.RBAC', {
    action: 'ALLOW',
    policies: {
      b: { permissions: [{ any: true }], principals: [{ any: true }] },
      a: { permissions: [{ destination_port: 1 }, { destination_port: 8080 }], principals: [{ any: true }] },
      c: { permissions: [{ any: true }], principals: [] },
    },
  });
  assert.deepEqual(matchingPolicies(compileRbac(rbac, 'rules'), { request: request(), metadata: none }), ['a', 'b']);
});

test('unsupported RBAC features are config errors naming the field', () => {
  const cel = decoded<envoy.Rbac>('envoy.config.rbac.v3.RBAC', { action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: { const_expr: { bool_value: true } } } } });
  assert.throws(() => compileRbac(cel, 'rules'), /rules\.policies\["p"\]\.condition: CEL/);
  assert.throws(() => compilePrincipal(princ({ filter_state: { key: 'k' } }), 'x'), /x: principal "filter_state" is not supported/);
  assert.throws(() => compilePermission(perm({ uri_template: { name: 'u', typed_config: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) } } }), 'x'), /x\.uri_template\.typed_config/);
});
