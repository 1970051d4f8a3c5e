// gateway.networking.k8s.io/v1 HTTPRoute, validated per the Gateway API CRDs (OpenAPI limits
// and CEL rules of the standard channel; `retry` from the experimental channel is accepted too).
// In ambient, routes attach to a Service (GAMMA, parentRef kind Service) or to a Gateway.
import { DUPLICATE, INVALID_VALUE, REQUIRED, UNSUPPORTED } from '../codes.ts';
import { gatewayDuration, parseGatewayDuration } from '../durations.ts';
import { dns1123Label, dns1123Subdomain } from '../names.ts';
import { childPath, readInt, readList, readObject, readString } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import { checkMaxItems, compact, readChecked, readEnum } from './common.ts';
import { gatewayHostname, sectionName } from './gateway.ts';
import type { KindDef } from './kind.ts';

export interface ParentReference {
  /** Defaulted to gateway.networking.k8s.io; "" (core) for a Service. */
  group: string;
  /** Defaulted to Gateway. */
  kind: 'Gateway' | 'Service';
  name: string;
  namespace?: string;
  port?: number;
  sectionName?: string;
}

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';
export type ValueMatchType = 'Exact' | 'RegularExpression';
export type HTTPMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'CONNECT' | 'OPTIONS' | 'TRACE' | 'PATCH';
export const HTTP_METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

export interface HTTPRouteMatch {
  /** Defaulted to {type: PathPrefix, value: "/"}. */
  path: { type: PathMatchType; value: string };
  headers?: Array<{ type: ValueMatchType; name: string; value: string }>;
  queryParams?: Array<{ type: ValueMatchType; name: string; value: string }>;
  method?: HTTPMethod;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface BackendObjectReference {
  /** "" (core) by default. */
  group: string;
  /** Service by default. */
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
}

export type HTTPRouteFilter =
  | { type: 'RequestHeaderModifier'; requestHeaderModifier: HTTPHeaderFilter }
  | { type: 'ResponseHeaderModifier'; responseHeaderModifier: HTTPHeaderFilter }
  | {
      type: 'RequestRedirect';
      requestRedirect: { scheme?: 'http' | 'https'; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode: number };
    }
  | { type: 'URLRewrite'; urlRewrite: { hostname?: string; path?: HTTPPathModifier } }
  | { type: 'RequestMirror'; requestMirror: { backendRef: BackendObjectReference; percent?: number } };

export interface HTTPBackendRef extends BackendObjectReference {
  /** 0..1,000,000; defaulted to 1. */
  weight: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  /** Defaulted to one match of PathPrefix "/" when absent. */
  matches: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  /** Gateway API durations (`10s`, `500ms`); `0s` disables the timeout. */
  timeouts?: { request?: string; backendRequest?: string };
  /** Experimental channel (GEP-1731). */
  retry?: { attempts?: number; backoff?: string; codes?: number[] };
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  /** Defaulted to one rule matching PathPrefix "/" when absent. */
  rules: HTTPRouteRule[];
}

export type HTTPRoute = ResourceBase<'HTTPRoute', HTTPRouteSpec>;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const headerName = (v: string): string | undefined => (v.length <= 256 && HEADER_NAME.test(v) ? undefined : 'must be an HTTP header name (RFC 7230 token, at most 256 characters)');
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const defaultMatch = (): HTTPRouteMatch => ({ path: { type: 'PathPrefix', value: '/' } });

/** CEL rules of HTTPPathMatch for Exact and PathPrefix. */
export function absolutePath(v: string): string | undefined {
  if (!v.startsWith('/')) return 'must be an absolute path starting with "/"';
  if (v.includes('//')) return 'must not contain "//"';
  if (v.includes('/./') || v.includes('/../') || v.endsWith('/.') || v.endsWith('/..')) return 'must not contain "/./" or "/../" segments or end with "/." or "/.."';
  if (/%2f/i.test(v)) return 'must not contain "%2f" or "%2F"';
  if (v.includes('#')) return 'must not contain "#"';
  if (v.length > 1024) return 'must have at most 1024 characters';
  return undefined;
}

function readParentRef(ctx: Ctx, f: Field): ParentReference | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { group: 'read', kind: 'read', name: 'read', namespace: 'read', port: 'read', sectionName: 'read' });
  if (!obj) return undefined;
  const kindField = obj.get('kind');
  const kind = kindField ? readEnum(ctx, kindField, ['Gateway', 'Service'] as const) : 'Gateway';
  const groupField = obj.get('group');
  const group = groupField ? readString(ctx, groupField) : GATEWAY_GROUP;
  if (kind && group !== undefined) {
    const want = kind === 'Service' ? ['', 'core'] : [GATEWAY_GROUP];
    if (!want.includes(group)) {
      ctx.error(INVALID_VALUE, groupField?.at ?? obj.self.at, groupField?.path ?? childPath(obj.self.path, 'group'),
        `must be ${want.map((g) => JSON.stringify(g)).join(' or ')} for kind ${kind}, got ${JSON.stringify(group)}`);
    }
  }
  const nameField = obj.require('name');
  const name = nameField ? readChecked(ctx, nameField, dns1123Subdomain) : undefined;
  const nsField = obj.get('namespace');
  const namespace = nsField ? readChecked(ctx, nsField, dns1123Label) : undefined;
  const portField = obj.get('port');
  const port = portField ? readInt(ctx, portField, 1, 65535) : undefined;
  const secField = obj.get('sectionName');
  const section = secField ? readChecked(ctx, secField, sectionName) : undefined;
  if (ctx.errorCount() > before || !kind || group === undefined || name === undefined) return undefined;
  const ref: ParentReference = { group, kind, name };
  if (namespace !== undefined) ref.namespace = namespace;
  if (port !== undefined) ref.port = port;
  if (section !== undefined) ref.sectionName = section;
  return ref;
}

function readNameValueMatches(ctx: Ctx, f: Field, nameRule: (v: string) => string | undefined, caseInsensitive: boolean): Array<{ type: ValueMatchType; name: string; value: string }> | undefined {
  const before = ctx.errorCount();
  checkMaxItems(ctx, f, 16);
  const seen = new Map<string, string>();
  const list = readList(ctx, f, (item) => {
    const obj = readObject(ctx, item, { type: 'read', name: 'read', value: 'read' });
    if (!obj) return undefined;
    const typeField = obj.get('type');
    const type = typeField ? readEnum(ctx, typeField, ['Exact', 'RegularExpression'] as const) : 'Exact';
    const nameField = obj.require('name');
    const name = nameField ? readChecked(ctx, nameField, nameRule) : undefined;
    const valueField = obj.require('value');
    const value = valueField ? readChecked(ctx, valueField, (v) => (v.length >= 1 && v.length <= 4096 ? undefined : 'must have 1 to 4096 characters')) : undefined;
    if (name !== undefined && nameField) {
      const k = caseInsensitive ? name.toLowerCase() : name;
      const first = seen.get(k);
      if (first) ctx.error(DUPLICATE, nameField.at, nameField.path, `must be unique within the match; ${first} has the same name`);
      else seen.set(k, item.path);
    }
    return type && name !== undefined && value !== undefined ? { type, name, value } : undefined;
  });
  return ctx.errorCount() === before ? list : undefined;
}

function readMatch(ctx: Ctx, f: Field): HTTPRouteMatch | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { path: 'read', headers: 'read', queryParams: 'read', method: 'read' });
  if (!obj) return undefined;
  const match = defaultMatch();
  const pathField = obj.get('path');
  if (pathField) {
    const p = readObject(ctx, pathField, { type: 'read', value: 'read' });
    const typeField = p?.get('type');
    const type = typeField ? readEnum(ctx, typeField, ['Exact', 'PathPrefix', 'RegularExpression'] as const) : 'PathPrefix';
    const valueField = p?.get('value');
    const value = valueField ? readString(ctx, valueField) : '/';
    if (valueField && value !== undefined && type !== 'RegularExpression') checkAndReport(ctx, valueField, value, absolutePath);
    if (valueField && value !== undefined && type === 'RegularExpression' && (value.length === 0 || value.length > 1024)) {
      ctx.error(INVALID_VALUE, valueField.at, valueField.path, 'must have 1 to 1024 characters');
    }
    if (type && value !== undefined) match.path = { type, value };
  }
  const headersField = obj.get('headers');
  const headers = headersField ? readNameValueMatches(ctx, headersField, headerName, true) : undefined;
  if (headers) match.headers = headers;
  const qpField = obj.get('queryParams');
  const qp = qpField ? readNameValueMatches(ctx, qpField, headerName, false) : undefined;
  if (qp) match.queryParams = qp;
  const methodField = obj.get('method');
  const method = methodField ? readEnum(ctx, methodField, HTTP_METHODS) : undefined;
  if (method) match.method = method;
  return ctx.errorCount() === before ? match : undefined;
}

function checkAndReport(ctx: Ctx, f: Field, v: string, rule: (v: string) => string | undefined): void {
  const err = rule(v);
  if (err) ctx.error(INVALID_VALUE, f.at, f.path, `${err}, got ${JSON.stringify(v)}`);
}

function readHeaderFilter(ctx: Ctx, f: Field): HTTPHeaderFilter | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { set: 'read', add: 'read', remove: 'read' });
  if (!obj) return undefined;
  const out: HTTPHeaderFilter = {};
  for (const key of ['set', 'add'] as const) {
    const field = obj.get(key);
    if (!field) continue;
    checkMaxItems(ctx, field, 16);
    const list = readList(ctx, field, (item) => {
      const h = readObject(ctx, item, { name: 'read', value: 'read' });
      const nameF = h?.require('name');
      const name = nameF ? readChecked(ctx, nameF, headerName) : undefined;
      const valueF = h?.require('value');
      const value = valueF ? readString(ctx, valueF) : undefined;
      return name !== undefined && value !== undefined ? { name, value } : undefined;
    });
    if (list) out[key] = list;
  }
  const removeField = obj.get('remove');
  if (removeField) {
    checkMaxItems(ctx, removeField, 16);
    const list = readList(ctx, removeField, (item) => readChecked(ctx, item, headerName));
    if (list) out.remove = list;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readPathModifier(ctx: Ctx, f: Field): HTTPPathModifier | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { type: 'read', replaceFullPath: 'read', replacePrefixMatch: 'read' });
  if (!obj) return undefined;
  const typeField = obj.require('type');
  const type = typeField ? readEnum(ctx, typeField, ['ReplaceFullPath', 'ReplacePrefixMatch'] as const) : undefined;
  const out: HTTPPathModifier = { type: type ?? 'ReplaceFullPath' };
  for (const key of ['replaceFullPath', 'replacePrefixMatch'] as const) {
    const field = obj.get(key);
    const wanted = key === 'replaceFullPath' ? 'ReplaceFullPath' : 'ReplacePrefixMatch';
    if (field) {
      const v = readString(ctx, field);
      if (v !== undefined) out[key] = v;
      if (type && type !== wanted) ctx.error(INVALID_VALUE, field.at, field.path, `must not be set when type is ${type}`);
    } else if (type === wanted) {
      ctx.error(REQUIRED, obj.self.at, childPath(obj.self.path, key), `is required when type is ${type}`);
    }
  }
  return ctx.errorCount() === before && type ? out : undefined;
}

function readBackendObjectRef(ctx: Ctx, obj: { get(k: string): Field | undefined; require(k: string): Field | undefined; self: Field }): BackendObjectReference | undefined {
  const before = ctx.errorCount();
  const groupField = obj.get('group');
  const group = groupField ? readString(ctx, groupField) : '';
  const kindField = obj.get('kind');
  const kind = kindField ? readString(ctx, kindField) : 'Service';
  const nameField = obj.require('name');
  const name = nameField ? readChecked(ctx, nameField, dns1123Subdomain) : undefined;
  const nsField = obj.get('namespace');
  const namespace = nsField ? readChecked(ctx, nsField, dns1123Label) : undefined;
  const portField = obj.get('port');
  const port = portField ? readInt(ctx, portField, 1, 65535) : undefined;
  if ((group === '' || group === 'core') && kind === 'Service' && !portField) {
    ctx.error(REQUIRED, obj.self.at, childPath(obj.self.path, 'port'), 'is required for a Service backend');
  }
  if (ctx.errorCount() > before || group === undefined || kind === undefined || name === undefined) return undefined;
  const ref: BackendObjectReference = { group, kind, name };
  if (namespace !== undefined) ref.namespace = namespace;
  if (port !== undefined) ref.port = port;
  return ref;
}

const FILTER_KEYS = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
} as const;
type FilterType = keyof typeof FILTER_KEYS;

function readFilter(ctx: Ctx, f: Field): HTTPRouteFilter | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { type: 'read', ...Object.fromEntries(Object.values(FILTER_KEYS).map((k) => [k, 'read'])) });
  if (!obj) return undefined;
  const typeField = obj.require('type');
  const type = typeField ? readEnum(ctx, typeField, Object.keys(FILTER_KEYS) as FilterType[]) : undefined;
  for (const [t, key] of Object.entries(FILTER_KEYS)) {
    const field = obj.get(key);
    if (field && type && t !== type) ctx.error(INVALID_VALUE, field.at, field.path, `must not be set when type is ${type}`);
  }
  if (!type) return undefined;
  const key = FILTER_KEYS[type];
  const body = obj.get(key);
  if (!body) {
    ctx.error(REQUIRED, obj.self.at, childPath(obj.self.path, key), `is required when type is ${type}`);
    return undefined;
  }
  let out: HTTPRouteFilter | undefined;
  switch (type) {
    case 'RequestHeaderModifier': {
      const h = readHeaderFilter(ctx, body);
      if (h) out = { type, requestHeaderModifier: h };
      break;
    }
    case 'ResponseHeaderModifier': {
      const h = readHeaderFilter(ctx, body);
      if (h) out = { type, responseHeaderModifier: h };
      break;
    }
    case 'RequestRedirect': {
      const r = readObject(ctx, body, { scheme: 'read', hostname: 'read', path: 'read', port: 'read', statusCode: 'read' });
      if (!r) break;
      const redirect: { scheme?: 'http' | 'https'; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode: number } = { statusCode: 302 };
      const scheme = r.get('scheme');
      const s = scheme ? readEnum(ctx, scheme, ['http', 'https'] as const) : undefined;
      if (s) redirect.scheme = s;
      const host = r.get('hostname');
      const h = host ? readChecked(ctx, host, gatewayHostname) : undefined;
      if (h !== undefined) redirect.hostname = h;
      const path = r.get('path');
      const p = path ? readPathModifier(ctx, path) : undefined;
      if (p) redirect.path = p;
      const port = r.get('port');
      const n = port ? readInt(ctx, port, 1, 65535) : undefined;
      if (n !== undefined) redirect.port = n;
      const code = r.get('statusCode');
      if (code) {
        const c = readInt(ctx, code, 100, 599);
        if (c !== undefined && ![301, 302, 303, 307, 308].includes(c)) ctx.error(INVALID_VALUE, code.at, code.path, `must be one of 301, 302, 303, 307, 308, got ${c}`);
        else if (c !== undefined) redirect.statusCode = c;
      }
      out = { type, requestRedirect: redirect };
      break;
    }
    case 'URLRewrite': {
      const r = readObject(ctx, body, { hostname: 'read', path: 'read' });
      if (!r) break;
      const rewrite: { hostname?: string; path?: HTTPPathModifier } = {};
      const host = r.get('hostname');
      const h = host ? readChecked(ctx, host, gatewayHostname) : undefined;
      if (h !== undefined) rewrite.hostname = h;
      const path = r.get('path');
      const p = path ? readPathModifier(ctx, path) : undefined;
      if (p) rewrite.path = p;
      out = { type, urlRewrite: rewrite };
      break;
    }
    case 'RequestMirror': {
      const r = readObject(ctx, body, { backendRef: 'read', percent: 'read', fraction: 'warn' });
      if (!r) break;
      const refField = r.require('backendRef');
      const refObj = refField ? readObject(ctx, refField, { group: 'read', kind: 'read', name: 'read', namespace: 'read', port: 'read' }) : undefined;
      const backendRef = refObj ? readBackendObjectRef(ctx, refObj) : undefined;
      const percentField = r.get('percent');
      const percent = percentField ? readInt(ctx, percentField, 0, 100) : undefined;
      if (backendRef) out = { type, requestMirror: percent !== undefined ? { backendRef, percent } : { backendRef } };
      break;
    }
    case 'ExtensionRef':
      ctx.error(UNSUPPORTED, typeField?.at ?? f.at, typeField?.path ?? f.path, 'ExtensionRef filters are not supported by Ambit');
      break;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readFilters(ctx: Ctx, f: Field): HTTPRouteFilter[] | undefined {
  const before = ctx.errorCount();
  checkMaxItems(ctx, f, 16);
  const list = readList(ctx, f, (item) => readFilter(ctx, item));
  if (list) {
    const count = (t: string): number => list.filter((x) => x.type === t).length;
    for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']) {
      if (count(t) > 1) ctx.error(INVALID_VALUE, f.at, f.path, `must not repeat the ${t} filter`);
    }
    if (count('RequestRedirect') > 0 && count('URLRewrite') > 0) ctx.error(INVALID_VALUE, f.at, f.path, 'may have a RequestRedirect or a URLRewrite filter, not both');
  }
  return ctx.errorCount() === before ? list : undefined;
}

function readBackendRef(ctx: Ctx, f: Field): HTTPBackendRef | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { group: 'read', kind: 'read', name: 'read', namespace: 'read', port: 'read', weight: 'read', filters: 'read' });
  if (!obj) return undefined;
  const ref = readBackendObjectRef(ctx, obj);
  const weightField = obj.get('weight');
  const weight = weightField ? readInt(ctx, weightField, 0, 1_000_000) : 1;
  const filtersField = obj.get('filters');
  const filters = filtersField ? readFilters(ctx, filtersField) : undefined;
  if (ctx.errorCount() > before || !ref || weight === undefined) return undefined;
  const out: HTTPBackendRef = { ...ref, weight };
  if (filters) out.filters = filters;
  return out;
}

function readRule(ctx: Ctx, f: Field): HTTPRouteRule | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { name: 'ignore', matches: 'read', filters: 'read', backendRefs: 'read', timeouts: 'read', retry: 'read', sessionPersistence: 'warn' });
  if (!obj) return undefined;
  const rule: HTTPRouteRule = { matches: [defaultMatch()] };
  const matchesField = obj.get('matches');
  if (matchesField) {
    checkMaxItems(ctx, matchesField, 64);
    const m = readList(ctx, matchesField, (item) => readMatch(ctx, item));
    if (m) rule.matches = m.length > 0 ? m : [defaultMatch()];
  }
  const filtersField = obj.get('filters');
  const filters = filtersField ? readFilters(ctx, filtersField) : undefined;
  if (filters) rule.filters = filters;
  const prefixRewrite = filters?.some((x) => (x.type === 'URLRewrite' ? x.urlRewrite.path : x.type === 'RequestRedirect' ? x.requestRedirect.path : undefined)?.type === 'ReplacePrefixMatch');
  if (filtersField && prefixRewrite && (rule.matches.length !== 1 || rule.matches[0]?.path.type !== 'PathPrefix')) {
    ctx.error(INVALID_VALUE, filtersField.at, filtersField.path, 'ReplacePrefixMatch needs exactly one match, of path type PathPrefix');
  }
  const backendsField = obj.get('backendRefs');
  if (backendsField) {
    checkMaxItems(ctx, backendsField, 16);
    const b = readList(ctx, backendsField, (item) => readBackendRef(ctx, item));
    if (b) rule.backendRefs = b;
  }
  const timeoutsField = obj.get('timeouts');
  if (timeoutsField) {
    const t = readObject(ctx, timeoutsField, { request: 'read', backendRequest: 'read' });
    const reqF = t?.get('request');
    const beF = t?.get('backendRequest');
    const request = reqF ? readChecked(ctx, reqF, gatewayDuration) : undefined;
    const backendRequest = beF ? readChecked(ctx, beF, gatewayDuration) : undefined;
    const reqMs = request !== undefined ? parseGatewayDuration(request) : undefined;
    const beMs = backendRequest !== undefined ? parseGatewayDuration(backendRequest) : undefined;
    if (beF && reqMs !== undefined && beMs !== undefined && reqMs !== 0 && beMs > reqMs) {
      ctx.error(INVALID_VALUE, beF.at, beF.path, `must not be longer than the request timeout ${request ?? ''}, got ${JSON.stringify(backendRequest)}`);
    }
    rule.timeouts = compact({ request, backendRequest });
  }
  const retryField = obj.get('retry');
  if (retryField) {
    const r = readObject(ctx, retryField, { attempts: 'read', backoff: 'read', codes: 'read' });
    const aF = r?.get('attempts');
    const bF = r?.get('backoff');
    const cF = r?.get('codes');
    const attempts = aF ? readInt(ctx, aF, 0, 2147483647) : undefined;
    const backoff = bF ? readChecked(ctx, bF, gatewayDuration) : undefined;
    const codes = cF ? readList(ctx, cF, (item) => readInt(ctx, item, 400, 599)) : undefined;
    rule.retry = compact({ attempts, backoff, codes });
  }
  return ctx.errorCount() === before ? rule : undefined;
}

function readSpec(ctx: Ctx, f: Field): HTTPRouteSpec | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { parentRefs: 'read', hostnames: 'read', rules: 'read' });
  if (!obj) return undefined;
  const spec: HTTPRouteSpec = { rules: [{ matches: [defaultMatch()] }] };
  const parentsField = obj.get('parentRefs');
  if (parentsField) {
    checkMaxItems(ctx, parentsField, 32);
    const p = readList(ctx, parentsField, (item) => readParentRef(ctx, item));
    if (p) spec.parentRefs = p;
  }
  const hostsField = obj.get('hostnames');
  if (hostsField) {
    checkMaxItems(ctx, hostsField, 16);
    const before2 = ctx.errorCount();
    const h = readList(ctx, hostsField, (item) => readChecked(ctx, item, gatewayHostname));
    if (h && ctx.errorCount() === before2) spec.hostnames = h;
  }
  const rulesField = obj.get('rules');
  if (rulesField) {
    checkMaxItems(ctx, rulesField, 16);
    const r = readList(ctx, rulesField, (item) => readRule(ctx, item));
    if (r) spec.rules = r.length > 0 ? r : spec.rules;
    const total = (rulesField.node.type === 'seq' ? rulesField.node.items : []).reduce((n, item) => {
      const m = item.type === 'map' ? item.entries.find((e) => e.key === 'matches') : undefined;
      return n + (m?.value.type === 'seq' ? m.value.items.length : 0);
    }, 0);
    if (total > 128) ctx.error(INVALID_VALUE, rulesField.at, rulesField.path, `must have at most 128 matches across all rules, got ${total}`);
  }
  return ctx.errorCount() === before ? spec : undefined;
}

export const httpRouteKind: KindDef<HTTPRoute> = {
  kind: 'HTTPRoute',
  apiVersions: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({
    spec: compact({
      parentRefs: spec.parentRefs?.map((p) => compact({ ...p })),
      hostnames: spec.hostnames,
      rules: spec.rules.map((r) => compact({ ...r })),
    }),
  }),
};
