// Waypoint authorization, both halves together: AuthorizationPolicy YAML -> the control plane's
// RBAC / ext_authz filters -> protobuf bytes and back -> the waypoint's compiled chain -> a
// decision. Every expected decision is written by hand from Istio's AuthorizationPolicy semantics
// (reference istio-ambient.md 6.1, istio.io authorization docs: CUSTOM, then DENY, then ALLOW;
// AUDIT never decides; string forms, path templates and normalisation) and Envoy's ext_authz
// behaviour; none was produced by running this code.
// Apps never import apps, so this suite (owned by neither) reaches both by relative path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type AuthorizationPolicy, type ExtensionProvider } from '@ambit/api';
import type { Logger } from '@ambit/core';
import { decodeMessage, encodeMessage, packAny, unpackAny, type envoy } from '@ambit/xds-types';
import { waypointAuthzFilters } from '../../packages/control-plane/src/generate/waypoint/authz.ts';
import { compileAuthz, normalizePath } from '../../packages/waypoint/src/authz/index.ts';
import type { ExtAuthzTransport, RequestInfo } from '../../packages/waypoint/src/contracts.ts';

const HTTP_FILTER = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';
const HOST = 'productpage.shop.svc.cluster.local';
const WEB = 'spiffe://cluster.local/ns/shop/sa/web';

const PROVIDERS: ExtensionProvider[] = [
  { name: 'ext-authz', envoyExtAuthzHttp: { service: 'ext-authz.foo.svc.cluster.local', port: 8000 } },
  { name: 'ext-authz-open', envoyExtAuthzHttp: { service: 'foo/ext-authz', port: 8000, failOpen: true } },
  { name: 'ext-authz-503', envoyExtAuthzHttp: { service: 'ext-authz.foo.svc.cluster.local', port: 8000, statusOnError: '503' } },
];

interface Req {
  method: string;
  /** As sent, query included; normalised like the HCM does before the filters see it. */
  path: string;
  host: string;
  headers: Array<[string, string]>;
  principal: string | undefined;
  sourceIp: string;
  port: number;
  grpc: boolean;
}

/** What the fake ext_authz server does: 'allow' 200, 'deny' 403 with a body, 'error' throws. */
type ExtAuthzBehaviour = 'allow' | 'deny' | 'error';

interface Case {
  name: string;
  /** Policies as `name: spec` YAML (namespace shop, targetRefs the waypoint added), one per entry. */
  policies: Record<string, string>;
  request?: Partial<Req>;
  ext?: ExtAuthzBehaviour;
  allow: boolean;
  /** For a denial: the status (403 unless said). */
  status?: number;
  /** ext_authz calls expected (checked when given). */
  calls?: number;
  audited?: string[];
}

function policyYaml(name: string, spec: string): string {
  // `{}` is the empty spec: only the targetRefs every policy here carries.
  const body = spec.trim() === '{}' ? '' : spec.replace(/^/gm, '  ');
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
${body}`;
}

const CASES: Case[] = [
  // --- the bookinfo-style basics ---
  { name: 'ALLOW GET on /api/v1/*: GET /api/v1/products allowed', policies: { viewer: 'rules: [{to: [{operation: {methods: [GET], paths: [/api/v1/*]}}]}]' }, request: { path: '/api/v1/products' }, allow: true },
  { name: 'ALLOW GET on /api/v1/*: POST /api/v1/admin denied', policies: { viewer: 'rules: [{to: [{operation: {methods: [GET], paths: [/api/v1/*]}}]}]' }, request: { method: 'POST', path: '/api/v1/admin' }, allow: false },
  { name: 'no policies: allowed', policies: {}, allow: true },
  // --- action order ---
  { name: 'DENY is checked before ALLOW', policies: { all: 'rules: [{}]', 'no-admin': 'action: DENY\nrules: [{to: [{operation: {paths: [/admin*]}}]}]' }, request: { path: '/admin/users' }, allow: false },
  { name: 'DENY that does not match leaves ALLOW to decide', policies: { all: 'rules: [{}]', 'no-admin': 'action: DENY\nrules: [{to: [{operation: {paths: [/admin*]}}]}]' }, request: { path: '/home' }, allow: true },
  { name: 'AUDIT alone never denies', policies: { audit: 'action: AUDIT\nrules: [{}]' }, allow: true, audited: ['ns[shop]-policy[audit]-rule[0]'] },
  { name: 'AUDIT never allows what ALLOW does not', policies: { audit: 'action: AUDIT\nrules: [{}]', only: 'rules: [{to: [{operation: {paths: [/only]}}]}]' }, request: { path: '/other' }, allow: false },
  { name: 'ALLOW without rules denies all', policies: { nothing: '{}' }, allow: false },
  { name: 'ALLOW with rules: [] denies all', policies: { nothing: 'rules: []' }, allow: false },
  { name: 'ALLOW rules: [{}] allows all', policies: { everything: 'rules: [{}]' }, request: { method: 'DELETE', path: '/anything' }, allow: true },
  { name: 'DENY rules: [{}] denies all', policies: { everything: 'action: DENY\nrules: [{}]' }, allow: false },
  { name: 'several ALLOW policies: any one allows', policies: { a: 'rules: [{to: [{operation: {paths: [/a]}}]}]', b: 'rules: [{to: [{operation: {paths: [/b]}}]}]' }, request: { path: '/b' }, allow: true },
  { name: 'several ALLOW policies: none matches, denied', policies: { a: 'rules: [{to: [{operation: {paths: [/a]}}]}]', b: 'rules: [{to: [{operation: {paths: [/b]}}]}]' }, request: { path: '/c' }, allow: false },
  { name: 'one rule of several matches', policies: { p: 'rules: [{to: [{operation: {methods: [PUT]}}]}, {to: [{operation: {methods: [GET]}}]}]' }, allow: true },
  // --- operations ---
  { name: 'notPaths: other path allowed', policies: { p: 'rules: [{to: [{operation: {notPaths: [/admin*]}}]}]' }, request: { path: '/shop' }, allow: true },
  { name: 'notPaths: listed path denied', policies: { p: 'rules: [{to: [{operation: {notPaths: [/admin*]}}]}]' }, request: { path: '/admin/x' }, allow: false },
  { name: 'notMethods: listed method denied', policies: { p: 'rules: [{to: [{operation: {notMethods: [DELETE]}}]}]' }, request: { method: 'DELETE' }, allow: false },
  { name: 'notMethods: other method allowed', policies: { p: 'rules: [{to: [{operation: {notMethods: [DELETE]}}]}]' }, request: { method: 'GET' }, allow: true },
  { name: 'fields of one operation are AND-ed', policies: { p: 'rules: [{to: [{operation: {methods: [GET], paths: [/a]}}]}]' }, request: { method: 'GET', path: '/b' }, allow: false },
  { name: 'operations of one rule are OR-ed', policies: { p: 'rules: [{to: [{operation: {methods: [PUT]}}, {operation: {paths: [/b]}}]}]' }, request: { method: 'GET', path: '/b' }, allow: true },
  { name: 'hosts compare case-insensitively', policies: { p: `rules: [{to: [{operation: {hosts: [${HOST}]}}]}]` }, request: { host: 'ProductPage.Shop.svc.cluster.local' }, allow: true },
  { name: 'a host without port matches the host with a port', policies: { p: `rules: [{to: [{operation: {hosts: [${HOST}]}}]}]` }, request: { host: `${HOST}:9080` }, allow: true },
  { name: 'hosts: another host denied', policies: { p: `rules: [{to: [{operation: {hosts: [${HOST}]}}]}]` }, request: { host: 'reviews.shop.svc.cluster.local' }, allow: false },
  { name: 'hosts: a longer host is not the same host', policies: { p: `rules: [{to: [{operation: {hosts: [${HOST}]}}]}]` }, request: { host: `${HOST}.evil.com` }, allow: false },
  { name: 'hosts suffix form, with a port', policies: { p: 'rules: [{to: [{operation: {hosts: ["*.shop.svc.cluster.local"]}}]}]' }, request: { host: `${HOST}:9080` }, allow: true },
  { name: 'notHosts', policies: { p: 'action: DENY\nrules: [{to: [{operation: {notHosts: ["*.shop.svc.cluster.local"]}}]}]' }, request: { host: 'other.example.com' }, allow: false },
  { name: 'paths prefix form', policies: { p: 'rules: [{to: [{operation: {paths: [/api/*]}}]}]' }, request: { path: '/api/v2/x' }, allow: true },
  { name: 'paths suffix form matches', policies: { p: 'rules: [{to: [{operation: {paths: ["*.css"]}}]}]' }, request: { path: '/static/site.css' }, allow: true },
  { name: 'paths suffix form does not match', policies: { p: 'rules: [{to: [{operation: {paths: ["*.css"]}}]}]' }, request: { path: '/static/site.js' }, allow: false },
  { name: 'paths presence form matches any path', policies: { p: 'rules: [{to: [{operation: {paths: ["*"]}}]}]' }, request: { path: '/x/y' }, allow: true },
  { name: 'paths exact ignores the query', policies: { p: 'rules: [{to: [{operation: {paths: [/search]}}]}]' }, request: { path: '/search?q=shoes' }, allow: true },
  { name: 'paths are case-sensitive', policies: { p: 'rules: [{to: [{operation: {paths: [/admin]}}]}]' }, request: { path: '/ADMIN' }, allow: false },
  { name: 'template {*} is one segment', policies: { p: 'rules: [{to: [{operation: {paths: ["/api/{*}/products"]}}]}]' }, request: { path: '/api/v1/products' }, allow: true },
  { name: 'template {*} is not two segments', policies: { p: 'rules: [{to: [{operation: {paths: ["/api/{*}/products"]}}]}]' }, request: { path: '/api/v1/x/products' }, allow: false },
  { name: 'template {**} is the rest of the path', policies: { p: 'rules: [{to: [{operation: {paths: ["/files/{**}"]}}]}]' }, request: { path: '/files/a/b/c.txt' }, allow: true },
  { name: 'template {**} keeps its literal prefix', policies: { p: 'rules: [{to: [{operation: {paths: ["/files/{**}"]}}]}]' }, request: { path: '/other/a' }, allow: false },
  { name: 'ports', policies: { p: 'rules: [{to: [{operation: {ports: ["9080"]}}]}]' }, request: { port: 9080 }, allow: true },
  { name: 'notPorts', policies: { p: 'rules: [{to: [{operation: {notPorts: ["9080"]}}]}]' }, request: { port: 9080 }, allow: false },
  // --- normalisation before matching ---
  { name: '/../ is resolved before a DENY on /admin', policies: { p: 'action: DENY\nrules: [{to: [{operation: {paths: [/admin]}}]}]' }, request: { path: '/public/../admin' }, allow: false },
  { name: '/./ is removed before an exact ALLOW', policies: { p: 'rules: [{to: [{operation: {paths: [/api/v1/products]}}]}]' }, request: { path: '/api/./v1/products' }, allow: true },
  { name: 'percent-encoded unreserved characters are decoded', policies: { p: 'action: DENY\nrules: [{to: [{operation: {paths: [/admin]}}]}]' }, request: { path: '/%61dmin' }, allow: false },
  { name: 'an encoded slash stays encoded (BASE normalisation)', policies: { p: 'action: DENY\nrules: [{to: [{operation: {paths: [/admin/secret]}}]}]' }, request: { path: '/admin%2Fsecret' }, allow: true },
  // --- sources ---
  { name: 'principals exact', policies: { p: 'rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]' }, allow: true },
  { name: 'principals: another service account denied', policies: { p: 'rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]' }, request: { principal: 'spiffe://cluster.local/ns/shop/sa/batch' }, allow: false },
  { name: 'principals prefix form', policies: { p: 'rules: [{from: [{source: {principals: [cluster.local/ns/shop/*]}}]}]' }, allow: true },
  { name: 'principals presence needs mTLS', policies: { p: 'rules: [{from: [{source: {principals: ["*"]}}]}]' }, request: { principal: undefined }, allow: false },
  { name: 'notPrincipals', policies: { p: 'action: DENY\nrules: [{from: [{source: {notPrincipals: [cluster.local/ns/shop/sa/web]}}]}]' }, request: { principal: 'spiffe://cluster.local/ns/shop/sa/batch' }, allow: false },
  { name: 'namespaces: same namespace allowed', policies: { p: 'rules: [{from: [{source: {namespaces: [shop]}}]}]' }, allow: true },
  { name: 'namespaces: other namespace denied', policies: { p: 'rules: [{from: [{source: {namespaces: [shop]}}]}]' }, request: { principal: 'spiffe://cluster.local/ns/other/sa/web' }, allow: false },
  { name: 'namespaces: a namespace named like a service account is not matched', policies: { p: 'rules: [{from: [{source: {namespaces: [web]}}]}]' }, allow: false },
  { name: 'namespaces need mTLS', policies: { p: 'rules: [{from: [{source: {namespaces: [shop]}}]}]' }, request: { principal: undefined }, allow: false },
  { name: 'notNamespaces in a DENY', policies: { p: 'action: DENY\nrules: [{from: [{source: {notNamespaces: [shop]}}]}]' }, request: { principal: 'spiffe://cluster.local/ns/dev/sa/web' }, allow: false },
  { name: 'serviceAccounts in the policy namespace', policies: { p: 'rules: [{from: [{source: {serviceAccounts: [web]}}]}]' }, allow: true },
  { name: 'serviceAccounts in another namespace', policies: { p: 'rules: [{from: [{source: {serviceAccounts: [other/web]}}]}]' }, allow: false },
  { name: 'ipBlocks CIDR contains the source', policies: { p: 'rules: [{from: [{source: {ipBlocks: [10.1.0.0/16]}}]}]' }, request: { sourceIp: '10.1.0.5' }, allow: true },
  { name: 'ipBlocks CIDR does not contain the source', policies: { p: 'rules: [{from: [{source: {ipBlocks: [10.1.0.0/16]}}]}]' }, request: { sourceIp: '10.2.0.5' }, allow: false },
  { name: 'notIpBlocks', policies: { p: 'action: DENY\nrules: [{from: [{source: {notIpBlocks: [10.0.0.0/8]}}]}]' }, request: { sourceIp: '192.168.1.1' }, allow: false },
  { name: 'requestPrincipals never match without RequestAuthentication', policies: { p: 'rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]' }, allow: false },
  { name: 'from and to of one rule are AND-ed', policies: { p: 'rules: [{from: [{source: {namespaces: [shop]}}], to: [{operation: {methods: [GET]}}]}]' }, request: { method: 'POST' }, allow: false },
  // --- conditions ---
  { name: 'when request.headers[x-token] matches', policies: { p: 'rules: [{when: [{key: "request.headers[x-token]", values: [secret]}]}]' }, request: { headers: [['x-token', 'secret']] }, allow: true },
  { name: 'when request.headers[x-token] missing', policies: { p: 'rules: [{when: [{key: "request.headers[x-token]", values: [secret]}]}]' }, allow: false },
  { name: 'when request.headers[x-token] other value', policies: { p: 'rules: [{when: [{key: "request.headers[x-token]", values: [secret]}]}]' }, request: { headers: [['x-token', 'guess']] }, allow: false },
  { name: 'when notValues', policies: { p: 'action: DENY\nrules: [{when: [{key: "request.headers[x-env]", notValues: [prod]}]}]' }, request: { headers: [['x-env', 'dev']] }, allow: false },
  { name: 'conditions are AND-ed', policies: { p: 'rules: [{when: [{key: source.namespace, values: [shop]}, {key: destination.port, values: ["9080"]}]}]' }, request: { port: 8080 }, allow: false },
  { name: 'when source.ip', policies: { p: 'rules: [{when: [{key: source.ip, values: [10.1.0.0/16]}]}]' }, request: { sourceIp: '10.1.7.7' }, allow: true },
  { name: 'when source.principal', policies: { p: 'rules: [{when: [{key: source.principal, values: [cluster.local/ns/shop/sa/web]}]}]' }, allow: true },
  // --- gRPC ---
  { name: 'gRPC: POST to the allowed method', policies: { p: 'rules: [{to: [{operation: {methods: [POST], paths: [/shop.Catalog/GetItem]}}]}]' }, request: { method: 'POST', path: '/shop.Catalog/GetItem', grpc: true }, allow: true },
  { name: 'gRPC: another method of the service', policies: { p: 'rules: [{to: [{operation: {methods: [POST], paths: [/shop.Catalog/GetItem]}}]}]' }, request: { method: 'POST', path: '/shop.Catalog/DeleteItem', grpc: true }, allow: false },
  { name: 'gRPC: a whole service by prefix', policies: { p: 'rules: [{to: [{operation: {paths: [/shop.Catalog/*]}}]}]' }, request: { method: 'POST', path: '/shop.Catalog/ListItems', grpc: true }, allow: true },
  // --- CUSTOM ---
  { name: 'CUSTOM: the provider allows', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{to: [{operation: {paths: [/private*]}}]}]' }, request: { path: '/private/x' }, ext: 'allow', allow: true, calls: 1 },
  { name: 'CUSTOM: the provider denies with its status', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{to: [{operation: {paths: [/private*]}}]}]' }, request: { path: '/private/x' }, ext: 'deny', allow: false, status: 403, calls: 1 },
  { name: 'CUSTOM: provider unreachable, fail closed with 403', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{}]' }, ext: 'error', allow: false, status: 403, calls: 1 },
  { name: 'CUSTOM: provider unreachable, statusOnError 503', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz-503}\nrules: [{}]' }, ext: 'error', allow: false, status: 503, calls: 1 },
  { name: 'CUSTOM: provider unreachable, failOpen allows', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz-open}\nrules: [{}]' }, ext: 'error', allow: true, calls: 1 },
  { name: 'CUSTOM: not consulted when its rules do not match', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{to: [{operation: {paths: [/private*]}}]}]' }, request: { path: '/public' }, ext: 'deny', allow: true, calls: 0 },
  { name: 'CUSTOM allows, DENY still denies', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{}]', d: 'action: DENY\nrules: [{to: [{operation: {methods: [DELETE]}}]}]' }, request: { method: 'DELETE' }, ext: 'allow', allow: false, calls: 1 },
  { name: 'CUSTOM denies before ALLOW is asked', policies: { c: 'action: CUSTOM\nprovider: {name: ext-authz}\nrules: [{}]', a: 'rules: [{}]' }, ext: 'deny', allow: false, status: 403, calls: 1 },
  { name: 'CUSTOM with an unknown provider denies what its rules match', policies: { c: 'action: CUSTOM\nprovider: {name: nowhere}\nrules: [{to: [{operation: {paths: [/private*]}}]}]' }, request: { path: '/private' }, allow: false, calls: 0 },
  { name: 'CUSTOM with an unknown provider leaves other requests alone', policies: { c: 'action: CUSTOM\nprovider: {name: nowhere}\nrules: [{to: [{operation: {paths: [/private*]}}]}]' }, request: { path: '/public' }, allow: true, calls: 0 },
];

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

function parsePolicies(policies: Record<string, string>): AuthorizationPolicy[] {
  const text = Object.entries(policies).map(([name, spec]) => policyYaml(name, spec)).join('\n---\n');
  const { resources, problems } = parseResources([{ path: 'policies.yaml', text }]);
  assert.deepEqual(problems, [], text);
  return resources as AuthorizationPolicy[];
}

/** The filters as the waypoint receives them: every typed_config repacked, encoded and decoded. */
function overTheWire(filters: ReturnType<typeof waypointAuthzFilters>['filters']): envoy.HttpFilter[] {
  return filters.map((f) => {
    const any = f.typed_config as { type_url: string; value: Uint8Array };
    const repacked = { name: f.name, typed_config: packAny(any.type_url, unpackAny<object>(any)) };
    return decodeMessage<envoy.HttpFilter>(HTTP_FILTER, encodeMessage(HTTP_FILTER, repacked));
  });
}

function requestInfo(r: Partial<Req>): RequestInfo {
  const raw = r.path ?? '/';
  const q = raw.indexOf('?');
  const path = normalizePath(q < 0 ? raw : raw.slice(0, q));
  assert.ok(path !== undefined, `the test path ${raw} must be valid`);
  return {
    method: r.method ?? 'GET',
    path,
    query: q < 0 ? '' : raw.slice(q + 1),
    host: r.host ?? HOST,
    headers: r.headers ?? [],
    protocol: r.grpc ? 'HTTP/2' : 'HTTP/1.1',
    grpc: r.grpc ?? false,
    sourceIp: r.sourceIp ?? '10.1.0.5',
    sourcePort: 40000,
    destinationIp: '10.96.0.20',
    destinationPort: r.port ?? 9080,
    principal: 'principal' in r ? r.principal : WEB,
    requestId: 'req-1',
  };
}

function fakeProvider(behaviour: ExtAuthzBehaviour | undefined): { transport: ExtAuthzTransport; calls: () => number } {
  let calls = 0;
  const transport: ExtAuthzTransport = async () => {
    calls++;
    if (behaviour === 'allow') return { status: 200, headers: [], body: '' };
    if (behaviour === 'deny') return { status: 403, headers: [], body: 'denied by ext-authz' };
    throw new Error('connection refused');
  };
  return { transport, calls: () => calls };
}

test('the case table is large enough to mean something', () => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
});

for (const c of CASES) {
  test(c.name, async () => {
    const { filters } = waypointAuthzFilters({ policies: parsePolicies(c.policies), extensionProviders: PROVIDERS, trustDomain: 'cluster.local' });
    const authz = compileAuthz(overTheWire(filters));
    const provider = fakeProvider(c.ext);
    const decision = await authz.decide(requestInfo(c.request ?? {}), { extAuthz: provider.transport, logger });
    assert.equal(decision.allowed, c.allow, JSON.stringify(decision));
    if (!decision.allowed) assert.equal(decision.status, c.status ?? 403);
    if (!decision.allowed && decision.reason === 'rbac') assert.equal(decision.body, 'RBAC: access denied');
    if (c.calls !== undefined) assert.equal(provider.calls(), c.calls, 'ext_authz calls');
    if (c.audited) assert.deepEqual(decision.allowed && decision.audited, c.audited);
  });
}
