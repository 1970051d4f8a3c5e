// Expected RBAC / ext_authz shapes are written by hand from Istio's documented semantics
// (reference 6.1) and ADR 0007. Every filter is encoded, then decoded from its bytes, so a field
// name protobufjs silently dropped would show up as a missing field here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type AuthorizationPolicy, type ExtensionProvider } from '@ambit/api';
import { ENVOY_FILTER, ENVOY_TYPE, decodeMessage, encodeMessage, unpackAny, type envoy } from '@ambit/xds-types';
import { extAuthzServiceHost, istioStringMatcher, waypointAuthzFilters } from './authz.ts';

function policies(yaml: string): AuthorizationPolicy[] {
  const { resources, problems } = parseResources([{ path: 'test.yaml', text: yaml }]);
  assert.deepEqual(problems, []);
  return resources as AuthorizationPolicy[];
}

/** Encodes the filters through the wire (HttpFilter bytes, then the Any inside). */
function wire(input: Parameters<typeof waypointAuthzFilters>[0]): { filters: Array<{ name: string; config: unknown }>; warnings: Array<{ policy: string; message: string }> } {
  const out = waypointAuthzFilters(input);
  const filters = out.filters.map((f) => {
    const decoded = decodeMessage<envoy.HttpFilter>('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', encodeMessage('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', f));
    assert.ok(decoded.typed_config);
    return { name: decoded.name, type: decoded.typed_config.type_url, config: unpackAny(decoded.typed_config) };
  });
  return { filters, warnings: out.warnings };
}

const header = (p: string): string => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${p}, namespace: shop}
`;

test('istio string forms', () => {
  assert.deepEqual(istioStringMatcher('abc'), { exact: 'abc', ignore_case: false });
  assert.deepEqual(istioStringMatcher('abc*', { prefix: 'spiffe://' }), { prefix: 'spiffe://abc', ignore_case: false });
  assert.deepEqual(istioStringMatcher('*abc', { prefix: 'spiffe://' }), { suffix: 'abc', ignore_case: false });
  assert.deepEqual(istioStringMatcher('*'), { safe_regex: { regex: '.+' } });
});

test('ext_authz service host normalisation', () => {
  const cases: Array<[string, string]> = [
    ['ext-authz.foo.svc.cluster.local', 'ext-authz.foo.svc.cluster.local'],
    ['foo/ext-authz', 'ext-authz.foo.svc.cluster.local'],
    ['foo/ext-authz.foo.svc.cluster.local', 'ext-authz.foo.svc.cluster.local'],
    ['ext-authz.foo', 'ext-authz.foo.svc.cluster.local'],
  ];
  for (const [input, want] of cases) assert.equal(extAuthzServiceHost(input), want, input);
});

test('filters come in ADR 0007 order: CUSTOM shadow + ext_authz, AUDIT, DENY, ALLOW', () => {
  const yaml = [
    `${header('allow')}spec: {action: ALLOW, rules: [{}]}`,
    `${header('deny')}spec: {action: DENY, rules: [{}]}`,
    `${header('audit')}spec: {action: AUDIT, rules: [{}]}`,
    `${header('custom')}spec: {action: CUSTOM, provider: {name: authz}, rules: [{}]}`,
  ].join('\n---\n');
  const provider: ExtensionProvider = { name: 'authz', envoyExtAuthzHttp: { service: 'ext.foo.svc.cluster.local', port: 8000 } };
  const { filters } = wire({ policies: policies(yaml), extensionProviders: [provider], trustDomain: 'cluster.local' });
  assert.deepEqual(filters.map((f) => f.name), [ENVOY_FILTER.rbac, ENVOY_FILTER.extAuthz, ENVOY_FILTER.rbac, ENVOY_FILTER.rbac, ENVOY_FILTER.rbac]);
  const rbac = (i: number): envoy.RbacFilter => filters[i]?.config as envoy.RbacFilter;
  assert.equal(rbac(0).rules, null);
  assert.equal(rbac(0).shadow_rules?.action, 'DENY');
  assert.equal(rbac(0).shadow_rules_stat_prefix, 'istio_ext_authz_');
  assert.deepEqual(Object.keys(rbac(0).shadow_rules?.policies ?? {}), ['istio-ext-authz-ns[shop]-policy[custom]-rule[0]']);
  assert.deepEqual([rbac(2).rules?.action, rbac(3).rules?.action, rbac(4).rules?.action], ['LOG', 'DENY', 'ALLOW']);
  assert.deepEqual(Object.keys(rbac(4).rules?.policies ?? {}), ['ns[shop]-policy[allow]-rule[0]']);
  // rules: [{}] matches every request.
  const p = rbac(4).rules?.policies['ns[shop]-policy[allow]-rule[0]'];
  assert.deepEqual(p?.permissions.map((x) => x.rule), ['any']);
  assert.deepEqual(p?.principals.map((x) => x.identifier), ['any']);
});

test('ALLOW without rules gives an ALLOW filter with no policies (deny all)', () => {
  const { filters } = wire({ policies: policies(`${header('none')}spec: {}`), extensionProviders: [], trustDomain: 'cluster.local' });
  assert.equal(filters.length, 1);
  const rbac = filters[0]?.config as envoy.RbacFilter;
  assert.equal(rbac.rules?.action, 'ALLOW');
  assert.deepEqual(rbac.rules?.policies, {});
});

test('a rule: from OR-ed, to OR-ed, when AND-ed, each Istio field to its Envoy matcher', () => {
  const yaml = `${header('p')}spec:
  rules:
  - from:
    - source: {principals: [cluster.local/ns/a/sa/b], notNamespaces: [dev]}
    - source: {serviceAccounts: [web, other/api], ipBlocks: [10.0.0.0/8], remoteIpBlocks: ["2001:db8::1"]}
    to:
    - operation: {methods: [GET], paths: [/api/*, "/v1/{*}/items/{**}"], hosts: [Shop.Example.com, "*.internal"]}
    - operation: {notPorts: ["8080"]}
    when:
    - {key: "request.headers[X-Token]", values: [secret]}
    - {key: source.ip, notValues: [192.168.0.1]}`;
  const { filters } = wire({ policies: policies(yaml), extensionProviders: [], trustDomain: 'td.example' });
  const policy = (filters[0]?.config as envoy.RbacFilter).rules?.policies['ns[shop]-policy[p]-rule[0]'];
  assert.ok(policy);
  // Permissions: AND( OR(op1, op2), header x-token )
  const perm = policy.permissions[0];
  assert.equal(perm?.rule, 'and_rules');
  const [ops, token] = perm?.and_rules?.rules ?? [];
  assert.equal(ops?.or_rules?.rules.length, 2);
  const op1 = ops?.or_rules?.rules[0]?.and_rules?.rules ?? [];
  const hosts = op1[0]?.or_rules?.rules ?? [];
  assert.equal(hosts[0]?.header?.name, ':authority');
  assert.equal(hosts[0]?.header?.string_match?.safe_regex?.regex, '[sS][hH][oO][pP]\\.[eE][xX][aA][mM][pP][lL][eE]\\.[cC][oO][mM](:[0-9]+)?');
  assert.equal(hosts[1]?.header?.string_match?.safe_regex?.regex, '.*\\.[iI][nN][tT][eE][rR][nN][aA][lL](:[0-9]+)?');
  assert.deepEqual([op1[1]?.header?.name, op1[1]?.header?.string_match?.exact], [':method', 'GET']);
  const paths = op1[2]?.or_rules?.rules ?? [];
  assert.equal(paths[0]?.url_path?.path?.prefix, '/api/');
  assert.equal(paths[1]?.uri_template?.name, 'uri-template');
  assert.equal(paths[1]?.uri_template?.typed_config?.type_url, ENVOY_TYPE.uriTemplateMatch);
  assert.deepEqual(unpackAny(paths[1]?.uri_template?.typed_config ?? {}), { path_template: '/v1/{*}/items/{**}' });
  assert.equal(ops?.or_rules?.rules[1]?.not_rule?.destination_port, 8080);
  assert.deepEqual([token?.header?.name, token?.header?.string_match?.exact], ['x-token', 'secret']);
  // Principals: AND( OR(src1, src2), NOT source.ip )
  const [srcs, notIp] = policy.principals[0]?.and_ids?.ids ?? [];
  const src1 = srcs?.or_ids?.ids[0]?.and_ids?.ids ?? [];
  assert.equal(src1[0]?.authenticated?.principal_name?.exact, 'spiffe://cluster.local/ns/a/sa/b');
  assert.equal(src1[1]?.not_id?.authenticated?.principal_name?.safe_regex?.regex, '.*/ns/dev/.*');
  const src2 = srcs?.or_ids?.ids[1]?.and_ids?.ids ?? [];
  const sas = src2[0]?.or_ids?.ids.map((x) => x.authenticated?.principal_name?.exact);
  assert.deepEqual(sas, ['spiffe://td.example/ns/shop/sa/web', 'spiffe://td.example/ns/other/sa/api']);
  assert.deepEqual(src2[1]?.direct_remote_ip, { address_prefix: '10.0.0.0', prefix_len: { value: 8 } });
  assert.deepEqual(src2[2]?.remote_ip, { address_prefix: '2001:db8::1', prefix_len: { value: 128 } });
  assert.deepEqual(notIp?.not_id?.direct_remote_ip, { address_prefix: '192.168.0.1', prefix_len: { value: 32 } });
});

test('request principals and request.auth.* never match here, and say so', () => {
  const yaml = `${header('jwt')}spec:
  rules:
  - from: [{source: {requestPrincipals: ["*"]}}]
    when: [{key: "request.auth.claims[iss]", values: [me]}, {key: experimental.envoy.filters.x, values: [z]}]`;
  const { filters, warnings } = wire({ policies: policies(yaml), extensionProviders: [], trustDomain: 'cluster.local' });
  const ids = (filters[0]?.config as envoy.RbacFilter).rules?.policies['ns[shop]-policy[jwt]-rule[0]']?.principals[0]?.and_ids?.ids ?? [];
  assert.equal(ids.length, 2);
  assert.equal(ids[0]?.metadata?.filter, 'istio_authn');
  assert.deepEqual(ids[1]?.metadata?.path.map((p) => p.key), ['request.auth.claims', 'iss']);
  assert.equal(warnings.length, 2);
  assert.ok(warnings.every((w) => w.policy === 'shop/jwt'));
  assert.match(warnings[0]?.message ?? '', /RequestAuthentication/);
  assert.match(warnings[1]?.message ?? '', /experimental\.envoy\.filters\.x/);
});

test('ext_authz from envoyExtAuthzHttp, and only called when a CUSTOM rule matched', () => {
  const provider: ExtensionProvider = {
    name: 'authz',
    envoyExtAuthzHttp: {
      service: 'foo/ext-authz',
      port: 9000,
      timeout: '1.5s',
      pathPrefix: '/check',
      failOpen: true,
      statusOnError: '503',
      includeRequestHeadersInCheck: ['X-User', 'x-ext-*'],
      includeAdditionalHeadersInCheck: { 'X-Added': 'yes' },
      headersToUpstreamOnAllow: ['x-authz-user'],
      headersToDownstreamOnDeny: ['x-reason'],
      headersToDownstreamOnAllow: ['x-quota-left'],
    },
  };
  const { filters } = wire({ policies: policies(`${header('c')}spec: {action: CUSTOM, provider: {name: authz}, rules: [{to: [{operation: {paths: [/admin*]}}]}]}`), extensionProviders: [provider], trustDomain: 'cluster.local' });
  const ext = filters[1]?.config as envoy.ExtAuthz;
  assert.equal(ext.services, 'http_service');
  assert.deepEqual(ext.http_service?.server_uri, { uri: 'http://ext-authz.foo.svc.cluster.local', cluster: 'outbound|9000||ext-authz.foo.svc.cluster.local', timeout: { seconds: '1', nanos: 500_000_000 }, http_upstream_type: 'cluster' });
  assert.equal(ext.http_service?.path_prefix, '/check');
  assert.deepEqual(ext.http_service?.authorization_request?.allowed_headers?.patterns.map((p) => [p.match_pattern, p.exact ?? p.prefix, p.ignore_case]), [['exact', 'x-user', true], ['prefix', 'x-ext-', true]]);
  assert.deepEqual(ext.http_service?.authorization_request?.headers_to_add.map((h) => [h.key, h.value]), [['x-added', 'yes']]);
  assert.equal(ext.http_service?.authorization_response?.allowed_upstream_headers?.patterns[0]?.exact, 'x-authz-user');
  assert.equal(ext.http_service?.authorization_response?.allowed_client_headers?.patterns[0]?.exact, 'x-reason');
  assert.equal(ext.http_service?.authorization_response?.allowed_client_headers_on_success?.patterns[0]?.exact, 'x-quota-left');
  assert.equal(ext.failure_mode_allow, true);
  assert.equal(ext.status_on_error?.code, 'ServiceUnavailable');
  assert.equal(ext.filter_enabled_metadata?.filter, 'envoy.filters.http.rbac');
  assert.deepEqual(ext.filter_enabled_metadata?.path.map((p) => p.key), ['istio_ext_authz_shadow_effective_policy_id']);
  assert.equal(ext.filter_enabled_metadata?.value?.string_match?.prefix, 'istio-ext-authz');
});

test('defaults: 600s timeout, 403 on error, fail closed', () => {
  const provider: ExtensionProvider = { name: 'a', envoyExtAuthzHttp: { service: 'ext.foo.svc.cluster.local', port: 80 } };
  const { filters } = wire({ policies: policies(`${header('c')}spec: {action: CUSTOM, provider: {name: a}, rules: [{}]}`), extensionProviders: [provider], trustDomain: 'cluster.local' });
  const ext = filters[1]?.config as envoy.ExtAuthz;
  assert.deepEqual(ext.http_service?.server_uri?.timeout, { seconds: '600', nanos: 0 });
  assert.equal(ext.status_on_error?.code, 'Forbidden');
  assert.equal(ext.failure_mode_allow, false);
  assert.equal(ext.http_service?.authorization_request?.allowed_headers, null);
});

test('CUSTOM with an unknown provider fails closed: its rules deny, with a warning', () => {
  const { filters, warnings } = wire({ policies: policies(`${header('c')}spec: {action: CUSTOM, provider: {name: missing}, rules: [{to: [{operation: {methods: [DELETE]}}]}]}`), extensionProviders: [], trustDomain: 'cluster.local' });
  assert.deepEqual(filters.map((f) => f.name), [ENVOY_FILTER.rbac]);
  const rules = (filters[0]?.config as envoy.RbacFilter).rules;
  assert.equal(rules?.action, 'DENY');
  assert.deepEqual(Object.keys(rules?.policies ?? {}), ['ns[shop]-policy[c]-rule[0]']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? '', /"missing"/);
});

test('two providers on one waypoint: like istiod, the CUSTOM policies fail closed', () => {
  const yaml = [`${header('a')}spec: {action: CUSTOM, provider: {name: one}, rules: [{}]}`, `${header('b')}spec: {action: CUSTOM, provider: {name: two}, rules: [{}]}`].join('\n---\n');
  const providers: ExtensionProvider[] = ['one', 'two'].map((name) => ({ name, envoyExtAuthzHttp: { service: `${name}.foo.svc.cluster.local`, port: 80 } }));
  const { filters, warnings } = wire({ policies: policies(yaml), extensionProviders: providers, trustDomain: 'cluster.local' });
  assert.deepEqual(filters.map((f) => f.name), [ENVOY_FILTER.rbac]);
  const rules = (filters[0]?.config as envoy.RbacFilter).rules;
  assert.equal(rules?.action, 'DENY');
  assert.deepEqual(Object.keys(rules?.policies ?? {}).sort(), ['ns[shop]-policy[a]-rule[0]', 'ns[shop]-policy[b]-rule[0]']);
  assert.deepEqual(warnings.map((w) => w.policy), ['shop/a', 'shop/b']);
  assert.match(warnings[0]?.message ?? '', /only one provider/);
});

test('no policies, no filters', () => {
  assert.deepEqual(waypointAuthzFilters({ policies: [], extensionProviders: [], trustDomain: 'cluster.local' }), { filters: [], warnings: [] });
});
