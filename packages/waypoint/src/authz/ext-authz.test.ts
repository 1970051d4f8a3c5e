// Expected check requests and outcomes follow Envoy's ext_authz http_service documentation
// (always-sent headers, 200 = OK, allowed_client_headers defaults, failure_mode_allow,
// status_on_error), written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { envoy } from '@ambit/xds-types';
import type { ExtAuthzTransport } from '../contracts.ts';
import { compileExtAuthz } from './ext-authz.ts';
import type { DynamicMetadata } from './rbac.ts';
import { decoded, request } from './test-helpers.ts';

const TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const base = {
  http_service: {
    server_uri: { uri: 'http://ext.foo.svc.cluster.local', cluster: 'outbound|8000||ext.foo.svc.cluster.local', timeout: { seconds: 2 } },
    path_prefix: '/check',
    authorization_request: { allowed_headers: { patterns: [{ exact: 'x-user', ignore_case: true }] }, headers_to_add: [{ key: 'x-added', value: 'yes' }] },
    authorization_response: { allowed_upstream_headers: { patterns: [{ exact: 'x-authz-user' }] }, allowed_client_headers: { patterns: [{ exact: 'x-reason' }] } },
  },
};
const config = (extra: object = {}): envoy.ExtAuthz => decoded(TYPE, { ...base, ...extra });
const none: DynamicMetadata = new Map();

test('the check request: method, prefixed path with query, allowed and always-sent headers', async () => {
  let seen: Parameters<ExtAuthzTransport>[0] | undefined;
  const transport: ExtAuthzTransport = async (req) => {
    seen = req;
    return { status: 200, headers: [], body: '' };
  };
  const r = request({ method: 'PUT', path: '/items/1', query: 'a=b', headers: [['x-user', 'alice'], ['authorization', 'Bearer t'], ['x-other', 'no'], ['content-length', '12'], ['x-added', 'client']] });
  await compileExtAuthz(config(), 'f').check(r, none, transport);
  assert.equal(seen?.cluster, 'outbound|8000||ext.foo.svc.cluster.local');
  assert.equal(seen?.method, 'PUT');
  assert.equal(seen?.path, '/check/items/1?a=b');
  assert.equal(seen?.timeoutMs, 2000);
  assert.deepEqual(seen?.headers, [['host', 'shop.example.com'], ['x-user', 'alice'], ['authorization', 'Bearer t'], ['content-length', '0'], ['x-added', 'yes']]);
});

test('outcomes', async () => {
  const cases: Array<[string, object, ExtAuthzTransport, unknown]> = [
    ['200 allows and copies allowed upstream headers', {}, async () => ({ status: 200, headers: [['x-authz-user', 'alice'], ['x-other', '1']], body: '' }), { kind: 'allowed', upstreamHeaders: [['x-authz-user', 'alice']], downstreamHeaders: [] }],
    ['204 is not OK for Envoy: denied', {}, async () => ({ status: 204, headers: [], body: '' }), { kind: 'denied', status: 204, body: '', headers: [], reason: 'ext_authz_denied', cluster: 'outbound|8000||ext.foo.svc.cluster.local' }],
    ['403 denies with body and allowed client headers (+ www-authenticate)', {}, async () => ({ status: 403, headers: [['x-reason', 'no'], ['www-authenticate', 'Basic'], ['x-secret', 's']], body: 'denied by ext' }), { kind: 'denied', status: 403, body: 'denied by ext', headers: [['x-reason', 'no'], ['www-authenticate', 'Basic']], reason: 'ext_authz_denied', cluster: 'outbound|8000||ext.foo.svc.cluster.local' }],
    ['transport error, fail closed: status_on_error', { status_on_error: { code: 503 } }, async () => { throw new Error('connect refused'); }, { kind: 'denied', status: 503, body: '', headers: [], reason: 'ext_authz_error', cluster: 'outbound|8000||ext.foo.svc.cluster.local' }],
    ['transport error, default status 403', {}, async () => { throw new Error('connect refused'); }, { kind: 'denied', status: 403, body: '', headers: [], reason: 'ext_authz_error', cluster: 'outbound|8000||ext.foo.svc.cluster.local' }],
    ['transport error, failure_mode_allow', { failure_mode_allow: true }, async () => { throw new Error('connect refused'); }, { kind: 'allowed', upstreamHeaders: [], downstreamHeaders: [] }],
  ];
  for (const [label, extra, transport, want] of cases) assert.deepEqual(await compileExtAuthz(config(extra), 'f').check(request(), none, transport), want, label);
});

test('without allowed_client_headers every response header but host goes to the client', async () => {
  const c = decoded<envoy.ExtAuthz>(TYPE, { http_service: { ...base.http_service, authorization_response: null } });
  const out = await compileExtAuthz(c, 'f').check(request(), none, async () => ({ status: 401, headers: [['host', 'x'], ['x-a', '1'], ['X-B', '2']], body: '' }));
  assert.deepEqual(out.kind === 'denied' && out.headers, [['x-a', '1'], ['x-b', '2']]);
  const allowed = await compileExtAuthz(c, 'f').check(request(), none, async () => ({ status: 200, headers: [['x-a', '1']], body: '' }));
  assert.deepEqual(allowed, { kind: 'allowed', upstreamHeaders: [], downstreamHeaders: [] }, 'no allowed_upstream_headers: nothing is added upstream');
});

test('allowed_client_headers_on_success: only the named headers of an OK answer go to the client', async () => {
  const c = decoded<envoy.ExtAuthz>(TYPE, { http_service: { ...base.http_service, authorization_response: { allowed_client_headers_on_success: { patterns: [{ exact: 'x-quota-left' }] } } } });
  const out = await compileExtAuthz(c, 'f').check(request(), none, async () => ({ status: 200, headers: [['X-Quota-Left', '9'], ['x-internal', 'no']], body: '' }));
  assert.deepEqual(out, { kind: 'allowed', upstreamHeaders: [], downstreamHeaders: [['x-quota-left', '9']] });
});

test('a transport that never answers times out at server_uri.timeout', async () => {
  const c = decoded<envoy.ExtAuthz>(TYPE, { ...base, http_service: { ...base.http_service, server_uri: { ...base.http_service.server_uri, timeout: { nanos: 20_000_000 } } } });
  const out = await compileExtAuthz(c, 'f').check(request(), none, () => new Promise(() => {}));
  assert.equal(out.kind === 'denied' && out.reason, 'ext_authz_error');
});

test('filter_enabled_metadata: skipped unless the metadata matches', async () => {
  const c = config({ filter_enabled_metadata: { filter: 'envoy.filters.http.rbac', path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { string_match: { prefix: 'istio-ext-authz' } } } });
  let calls = 0;
  const transport: ExtAuthzTransport = async () => {
    calls++;
    return { status: 403, headers: [], body: '' };
  };
  assert.deepEqual(await compileExtAuthz(c, 'f').check(request(), none, transport), { kind: 'skipped' });
  assert.equal(calls, 0);
  const matched: DynamicMetadata = new Map([['envoy.filters.http.rbac', { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-ns[a]-policy[b]-rule[0]' }]]);
  assert.equal((await compileExtAuthz(c, 'f').check(request(), matched, transport)).kind, 'denied');
  assert.equal(calls, 1);
});

test('what the waypoint cannot honour is a config error naming the field', () => {
  const cases: Array<[object, RegExp]> = [
    [{ grpc_service: { envoy_grpc: { cluster_name: 'x' } } }, /f\.services: "grpc_service" is not supported/],
    [{ ...base, with_request_body: { max_request_bytes: 10 } }, /f\.with_request_body/],
    [{ http_service: { ...base.http_service, server_uri: { uri: 'http://x', cluster: '', timeout: { seconds: 1 } } } }, /server_uri\.cluster: is required/],
  ];
  for (const [init, want] of cases) assert.throws(() => compileExtAuthz(decoded(TYPE, init), 'f'), (e: Error & { code?: string }) => e.code === 'AMBIT_WAYPOINT_CONFIG' && want.test(e.message), String(want));
});
