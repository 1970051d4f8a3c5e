// The chain's rules (ADR 0007, Envoy's RBAC and ext_authz filters), written by hand: DENY match
// and ALLOW miss answer 403 `RBAC: access denied`, LOG only records, shadow rules only gate
// ext_authz, ext_authz's upstream headers are seen by later filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENVOY_FILTER, ENVOY_TYPE, packAny, type envoy } from '@ambit/xds-types';
import type { Logger } from '@ambit/core';
import type { ExtAuthzTransport } from '../contracts.ts';
import { compileAuthz } from './index.ts';
import { request } from './test-helpers.ts';

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
const noExtAuthz: ExtAuthzTransport = async () => {
  throw new Error('ext_authz must not be called');
};
const rbac = (config: object): envoy.HttpFilter => ({ name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, config) });
const onPath = (prefix: string): object => ({ permissions: [{ url_path: { path: { prefix } } }], principals: [{ any: true }] });

test('DENY before ALLOW, LOG records, ALLOW names the policy', async () => {
  const authz = compileAuthz([
    rbac({ rules: { action: 'LOG', policies: { audit: onPath('/') } } }),
    rbac({ rules: { action: 'DENY', policies: { 'deny-admin': onPath('/admin') } } }),
    rbac({ rules: { action: 'ALLOW', policies: { 'allow-api': onPath('/api'), 'allow-admin': onPath('/admin') } } }),
    { name: ENVOY_FILTER.router, typed_config: packAny(ENVOY_TYPE.router, {}) },
  ]);
  assert.deepEqual(await authz.decide(request({ path: '/api/x' }), { extAuthz: noExtAuthz, logger }), { allowed: true, upstreamHeaders: [], downstreamHeaders: [], audited: ['audit'], policy: 'allow-api' });
  assert.deepEqual(await authz.decide(request({ path: '/admin' }), { extAuthz: noExtAuthz, logger }), { allowed: false, status: 403, body: 'RBAC: access denied', headers: [], policy: 'deny-admin', reason: 'rbac' });
  assert.deepEqual(await authz.decide(request({ path: '/other' }), { extAuthz: noExtAuthz, logger }), { allowed: false, status: 403, body: 'RBAC: access denied', headers: [], policy: undefined, reason: 'rbac' });
});

test('no filters allow everything', async () => {
  assert.deepEqual(await compileAuthz([]).decide(request(), { extAuthz: noExtAuthz, logger }), { allowed: true, upstreamHeaders: [], downstreamHeaders: [], audited: [], policy: undefined });
});

test('shadow CUSTOM rules gate ext_authz; its upstream headers reach later filters', async () => {
  const authz = compileAuthz([
    rbac({ shadow_rules: { action: 'DENY', policies: { 'istio-ext-authz-ns[a]-policy[c]-rule[0]': onPath('/private') } }, shadow_rules_stat_prefix: 'istio_ext_authz_' }),
    {
      name: ENVOY_FILTER.extAuthz,
      typed_config: packAny(ENVOY_TYPE.extAuthz, {
        http_service: { server_uri: { uri: 'http://e', cluster: 'outbound|80||e', timeout: { seconds: 1 } }, authorization_response: { allowed_upstream_headers: { patterns: [{ exact: 'x-user' }] } } },
        filter_enabled_metadata: { filter: 'envoy.filters.http.rbac', path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { string_match: { prefix: 'istio-ext-authz' } } },
      }),
    },
    rbac({ rules: { action: 'ALLOW', policies: { public: onPath('/public'), 'by-user': { permissions: [{ header: { name: 'x-user', string_match: { exact: 'alice' } } }], principals: [{ any: true }] } } } }),
  ]);
  let calls = 0;
  const transport: ExtAuthzTransport = async () => {
    calls++;
    return { status: 200, headers: [['x-user', 'alice']], body: '' };
  };
  assert.deepEqual(await authz.decide(request({ path: '/public' }), { extAuthz: transport, logger }), { allowed: true, upstreamHeaders: [], downstreamHeaders: [], audited: [], policy: 'public' });
  assert.equal(calls, 0, 'no CUSTOM rule matched: the provider is not asked');
  assert.deepEqual(await authz.decide(request({ path: '/private', headers: [['x-user', 'mallory']] }), { extAuthz: transport, logger }), { allowed: true, upstreamHeaders: [['x-user', 'alice']], downstreamHeaders: [], audited: [], policy: 'by-user' });
  assert.equal(calls, 1);
});

test('config the waypoint cannot honour is refused, naming the filter', () => {
  const cases: Array<[envoy.HttpFilter[], RegExp]> = [
    [[{ name: 'envoy.filters.http.cors', typed_config: packAny('type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', {}) }, { name: 'x', typed_config: { type_url: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors', value: Buffer.alloc(0) } }], /http_filters\[1\] \(x\)\.typed_config: filter type .*Cors is not supported/],
    [[{ name: ENVOY_FILTER.rbac, typed_config: null }], /http_filters\[0\] \(envoy\.filters\.http\.rbac\)\.typed_config: is required/],
    [[rbac({ rules: { action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: { const_expr: { bool_value: true } } } } } })], /CEL/],
    [[{ name: ENVOY_FILTER.extAuthz, typed_config: packAny(ENVOY_TYPE.extAuthz, { grpc_service: { envoy_grpc: { cluster_name: 'c' } } }) }], /grpc_service/],
  ];
  for (const [filters, want] of cases) assert.throws(() => compileAuthz(filters), (e: Error & { code?: string }) => e.code === 'AMBIT_WAYPOINT_CONFIG' && want.test(e.message), String(want));
});
