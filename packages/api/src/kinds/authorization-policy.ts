// security.istio.io/v1 (and v1beta1) AuthorizationPolicy, validated as istiod's webhook does
// (pilot/pkg/config/validation ValidateAuthorizationPolicy, pkg/config/security).
import { INVALID_VALUE, REQUIRED } from '../codes.ts';
import { dns1123Label, dns1123Subdomain } from '../names.ts';
import { ipOrCidrRule } from '../net.ts';
import { childPath, readList, readObject } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import { checkMaxItems, compact, itemCount, readChecked, readCheckedList, readEnum } from './common.ts';
import { encodeTargets, readTargets } from './istio-common.ts';
import type { PolicyTargetReference, WorkloadSelector } from './istio-common.ts';
import type { KindDef } from './kind.ts';

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
export const AUTHORIZATION_ACTIONS: readonly AuthorizationAction[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

/** Each field: ANY listed value matches (for `not*`: NONE does); all present fields must match. */
export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  /** `ns/sa` or `sa` (the policy's namespace); never with principals or namespaces in one source. */
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  /** Port numbers written as strings, "1" to "65535". */
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

/** One of values / notValues is set. */
export interface AuthorizationCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

/**
 * A rule matches when all its present sections match. An absent section matches everything
 * (istiod rejects `from: []` and `to: []`), so the empty rule `{}` matches every request.
 */
export interface AuthorizationRule {
  from?: Array<{ source: AuthorizationSource }>;
  to?: Array<{ operation: AuthorizationOperation }>;
  when?: AuthorizationCondition[];
}

export interface AuthorizationPolicySpec {
  /** At most one of selector and targetRefs; neither = the whole namespace (the mesh, in the root namespace). */
  selector?: WorkloadSelector;
  /** `targetRef` (deprecated singular form) is read into a one-item list. At most 16. */
  targetRefs?: PolicyTargetReference[];
  /** Defaulted to ALLOW. */
  action: AuthorizationAction;
  /** Set exactly when action is CUSTOM: the name of a mesh config extensionProvider. */
  provider?: { name: string };
  /**
   * Kept as written, because the three forms read differently:
   * - absent (undefined): no rule, the policy matches nothing (an ALLOW policy `spec: {}` denies all);
   * - `[]`: also no rule; it is the same proto3 message as absent, kept distinct only so tools can
   *   say what the user wrote;
   * - `[{}]`: one empty rule, which matches everything (allow-all / deny-all).
   */
  rules?: AuthorizationRule[];
}

export type AuthorizationPolicy = ResourceBase<'AuthorizationPolicy', AuthorizationPolicySpec>;

const SPEC_FIELDS: FieldTable = { selector: 'read', targetRef: 'read', targetRefs: 'read', action: 'read', provider: 'read', rules: 'read' };
const SOURCE_KEYS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks',
  'trustDomains', 'notTrustDomains',
] as const satisfies ReadonlyArray<keyof AuthorizationSource>;
const OPERATION_KEYS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const satisfies ReadonlyArray<keyof AuthorizationOperation>;
const MAX_RULES = 512;

/** Istio string match: exact `abc`, prefix `abc*`, suffix `*abc`, presence `*`; nothing else. */
export const stringMatch = (v: string): string | undefined => {
  if (v === '') return 'must not be empty';
  const stars = v.split('*').length - 1;
  if (stars === 0 || v === '*') return undefined;
  if (stars === 1 && (v.startsWith('*') || v.endsWith('*'))) return undefined;
  return 'may use the wildcard "*" only as a prefix match ("abc*"), a suffix match ("*abc") or alone ("*", any non-empty value), not in the middle or twice';
};

/** A port written as a string, 1-65535 (istiod's ValidatePorts). */
export const portString = (v: string): string | undefined =>
  /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'must be a port number between 1 and 65535 (written as a string)';

/** `ns/sa` or `sa`, without wildcards. */
export const serviceAccountRef = (v: string): string | undefined => {
  if (v.includes('*')) return 'must not contain wildcards: serviceAccounts match exactly';
  const parts = v.split('/');
  if (parts.length > 2) return 'must be "<namespace>/<serviceaccount>" or "<serviceaccount>"';
  const [a = '', b] = parts;
  if (b === undefined) return dns1123Subdomain(a) ? 'must be "<namespace>/<serviceaccount>" or "<serviceaccount>", with a DNS-1123 service account name' : undefined;
  if (dns1123Label(a)) return 'must be "<namespace>/<serviceaccount>" with a DNS-1123 label namespace';
  if (dns1123Subdomain(b)) return 'must be "<namespace>/<serviceaccount>" with a DNS-1123 service account name';
  return undefined;
};

/**
 * Paths: string match as above, or a path template whose segments `{*}` (one segment) and
 * `{**}` (the rest; last segment only) stand alone and are not mixed with `*` wildcards.
 */
export const pathMatch = (v: string): string | undefined => {
  if (!v.includes('{') && !v.includes('}')) return stringMatch(v);
  if (!v.startsWith('/')) return 'must start with "/" when it uses the path templates {*} or {**}';
  const segments = v.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] ?? '';
    if (s === '{*}') continue;
    if (s === '{**}') {
      if (i !== segments.length - 1) return 'may use {**} only as the last segment of the path';
      continue;
    }
    if (s.includes('{') || s.includes('}')) return 'may use the templates {*} and {**} only as whole path segments ("/a/{*}/b", "/a/{**}"), and no other {...}';
    if (s.includes('*')) return 'must not mix "*" wildcards with the path templates {*} and {**}';
  }
  return undefined;
};

const WHEN_KEYS = [
  'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'source.serviceAccount', 'source.trustDomain',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter',
  'destination.ip', 'destination.port', 'connection.sni',
];
const WHEN_MAP_KEYS = ['request.headers', 'request.auth.claims'];
const WHEN_PREFIX = 'experimental.envoy.filters.';

/** Undefined when the `when` key is one istiod knows, else the message. */
export function whenKeyRule(key: string): string | undefined {
  if (WHEN_KEYS.includes(key) || key.startsWith(WHEN_PREFIX) && key.length > WHEN_PREFIX.length) return undefined;
  for (const prefix of WHEN_MAP_KEYS) {
    if (!key.startsWith(prefix)) continue;
    return /^\[[^\][]+\]$/.test(key.slice(prefix.length)) ? undefined : `must have the form ${prefix}[<name>]`;
  }
  return `is not a known attribute (known: ${WHEN_KEYS.join(', ')}, request.headers[<name>], request.auth.claims[<claim>], experimental.envoy.filters.*)`;
}

function valueRuleForKey(key: string): (v: string) => string | undefined {
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') return ipOrCidrRule;
  if (key === 'destination.port') return portString;
  if (key === 'source.serviceAccount') return serviceAccountRef;
  return stringMatch;
}

function sourceRule(key: (typeof SOURCE_KEYS)[number]): (v: string) => string | undefined {
  if (key.endsWith('pBlocks')) return ipOrCidrRule;
  if (key === 'serviceAccounts' || key === 'notServiceAccounts') return serviceAccountRef;
  return stringMatch;
}

function operationRule(key: (typeof OPERATION_KEYS)[number]): (v: string) => string | undefined {
  if (key === 'ports' || key === 'notPorts') return portString;
  if (key === 'paths' || key === 'notPaths') return pathMatch;
  return stringMatch;
}

function readSource(ctx: Ctx, f: Field): AuthorizationSource | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, Object.fromEntries(SOURCE_KEYS.map((k) => [k, 'read'])));
  if (!obj) return undefined;
  const source: AuthorizationSource = {};
  for (const key of SOURCE_KEYS) {
    const field = obj.get(key);
    const list = field ? readCheckedList(ctx, field, sourceRule(key)) : undefined;
    if (list) source[key] = list;
  }
  if (SOURCE_KEYS.every((k) => itemCount(obj.get(k)) === 0) && ctx.errorCount() === before) {
    ctx.error(REQUIRED, f.at, f.path, 'must not be empty: set at least one field (an empty source would match nothing useful; leave `from` out to match any source)');
  }
  const sa = obj.get('serviceAccounts');
  if (sa && (obj.get('principals') || obj.get('namespaces'))) {
    ctx.error(INVALID_VALUE, sa.at, sa.path, 'must not be set together with principals or namespaces in the same source');
  }
  return ctx.errorCount() === before ? source : undefined;
}

function readOperation(ctx: Ctx, f: Field): AuthorizationOperation | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, Object.fromEntries(OPERATION_KEYS.map((k) => [k, 'read'])));
  if (!obj) return undefined;
  const op: AuthorizationOperation = {};
  for (const key of OPERATION_KEYS) {
    const field = obj.get(key);
    const list = field ? readCheckedList(ctx, field, operationRule(key)) : undefined;
    if (list) op[key] = list;
  }
  if (OPERATION_KEYS.every((k) => itemCount(obj.get(k)) === 0) && ctx.errorCount() === before) {
    ctx.error(REQUIRED, f.at, f.path, 'must not be empty: set at least one field (leave `to` out to match any operation)');
  }
  return ctx.errorCount() === before ? op : undefined;
}

/** `from`/`to`: a non-empty list of `{source}` / `{operation}` wrappers. */
function readWrapped<T>(ctx: Ctx, f: Field, key: 'source' | 'operation', read: (ctx: Ctx, f: Field) => T | undefined): T[] | undefined {
  const before = ctx.errorCount();
  if (f.node.type === 'seq' && f.node.items.length === 0) {
    ctx.error(REQUIRED, f.at, f.path, `must not be empty: list at least one ${key}, or leave the field out to match any ${key}`);
  }
  const list = readList(ctx, f, (item) => {
    const obj = readObject(ctx, item, { [key]: 'read' });
    const inner = obj?.require(key);
    return inner ? read(ctx, inner) : undefined;
  });
  return ctx.errorCount() === before ? list : undefined;
}

function readCondition(ctx: Ctx, f: Field): AuthorizationCondition | undefined {
  const obj = readObject(ctx, f, { key: 'read', values: 'read', notValues: 'read' });
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const keyField = obj.require('key');
  const key = keyField ? readChecked(ctx, keyField, (k) => (k === '' ? 'must not be empty' : whenKeyRule(k))) : undefined;
  const valuesField = obj.get('values');
  const notValuesField = obj.get('notValues');
  const rule = key !== undefined ? valueRuleForKey(key) : stringMatch;
  const cond: AuthorizationCondition = { key: key ?? '' };
  const values = valuesField ? readCheckedList(ctx, valuesField, rule) : undefined;
  const notValues = notValuesField ? readCheckedList(ctx, notValuesField, rule) : undefined;
  if (values) cond.values = values;
  if (notValues) cond.notValues = notValues;
  if (itemCount(valuesField) === 0 && itemCount(notValuesField) === 0 && (!valuesField || valuesField.node.type === 'seq') && (!notValuesField || notValuesField.node.type === 'seq')) {
    ctx.error(REQUIRED, f.at, childPath(f.path, 'values'), `must be set: at least one of values or notValues${key ? ` for key ${key}` : ''}`);
  }
  return ctx.errorCount() === before ? cond : undefined;
}

function readRule(ctx: Ctx, f: Field): AuthorizationRule | undefined {
  const obj = readObject(ctx, f, { from: 'read', to: 'read', when: 'read' });
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const rule: AuthorizationRule = {};
  const fromField = obj.get('from');
  const from = fromField ? readWrapped(ctx, fromField, 'source', readSource) : undefined;
  if (from) rule.from = from.map((source) => ({ source }));
  const toField = obj.get('to');
  const to = toField ? readWrapped(ctx, toField, 'operation', readOperation) : undefined;
  if (to) rule.to = to.map((operation) => ({ operation }));
  const whenField = obj.get('when');
  const when = whenField ? readList(ctx, whenField, (item) => readCondition(ctx, item)) : undefined;
  if (when) rule.when = when;
  return ctx.errorCount() === before ? rule : undefined;
}

function readSpec(ctx: Ctx, f: Field | undefined, namespace: string | undefined): AuthorizationPolicySpec | undefined {
  const spec: AuthorizationPolicySpec = { action: 'ALLOW' };
  if (!f) return spec;
  const obj = readObject(ctx, f, SPEC_FIELDS);
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const targets = readTargets(ctx, obj, namespace);
  if (targets?.selector) spec.selector = targets.selector;
  if (targets?.targetRefs) spec.targetRefs = targets.targetRefs;
  const actionField = obj.get('action');
  const action = actionField ? readEnum(ctx, actionField, AUTHORIZATION_ACTIONS) : 'ALLOW';
  if (action) spec.action = action;
  const providerField = obj.get('provider');
  if (providerField) {
    const p = readObject(ctx, providerField, { name: 'read' });
    const nameField = p?.require('name');
    const name = nameField ? readChecked(ctx, nameField, (v) => (v === '' ? 'must not be empty' : undefined)) : undefined;
    if (name !== undefined) spec.provider = { name };
    if (action && action !== 'CUSTOM') {
      ctx.error(INVALID_VALUE, providerField.at, providerField.path, `must only be set with action CUSTOM, got action ${action}`);
    }
  } else if (action === 'CUSTOM') {
    ctx.error(REQUIRED, f.at, childPath(f.path, 'provider'), 'is required with action CUSTOM (the name of an extensionProvider in the mesh config)');
  }
  const rulesField = obj.get('rules');
  if (rulesField) {
    checkMaxItems(ctx, rulesField, MAX_RULES);
    const rules = readList(ctx, rulesField, (item) => readRule(ctx, item));
    if (rules) spec.rules = rules;
  }
  return ctx.errorCount() === before ? spec : undefined;
}

function encodeRule(rule: AuthorizationRule): Record<string, unknown> {
  return compact({
    from: rule.from?.map((x) => ({ source: { ...x.source } })),
    to: rule.to?.map((x) => ({ operation: { ...x.operation } })),
    when: rule.when?.map((c) => compact({ ...c })),
  });
}

export const authorizationPolicyKind: KindDef<AuthorizationPolicy> = {
  kind: 'AuthorizationPolicy',
  apiVersions: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec: (ctx, top, meta) => readSpec(ctx, top.get('spec'), meta?.namespace),
  encode: (spec) => ({
    spec: compact({
      ...encodeTargets(spec),
      action: spec.action,
      provider: spec.provider ? { name: spec.provider.name } : undefined,
      rules: spec.rules?.map(encodeRule),
    }),
  }),
};
