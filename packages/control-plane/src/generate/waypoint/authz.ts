// AuthorizationPolicy (targetRefs: this waypoint or one of its services) -> the waypoint's HTTP
// authorization filters, Envoy RBAC and ext_authz as ADR 0007 fixes them and as istiod builds them
// for Envoy (reference 6.1): CUSTOM (shadow RBAC + the provider's ext_authz), AUDIT (RBAC LOG), DENY,
// ALLOW, in that order. Each policy rule becomes one RBAC policy `ns[NS]-policy[NAME]-rule[i]`
// whose permissions (what is asked) and principals (who asks) are each one AND of the rule's parts:
// `to` entries OR-ed, `from` entries OR-ed, every `when` condition AND-ed. Envoy matches a policy
// when some permission and some principal match, so the rule's three sections end up AND-ed.
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationPolicy,
  AuthorizationSource,
  EnvoyExtAuthzHttpProvider,
  ExtensionProvider,
} from '@ambit/api';
import { ENVOY_FILTER, ENVOY_TYPE, packAny, type Init, type envoy, type google } from '@ambit/xds-types';

type Permission = Init<envoy.Permission>;
type Principal = Init<envoy.Principal>;
type StringMatcher = Init<envoy.StringMatcher>;
type Policy = Init<envoy.Policy>;

export interface WaypointAuthzInput {
  /** Only the policies that apply to this filter chain (targetRefs Gateway = this waypoint, or Service = this service). */
  policies: AuthorizationPolicy[];
  extensionProviders: ExtensionProvider[];
  trustDomain: string;
}

export interface WaypointAuthzOutput {
  filters: Array<Init<envoy.HttpFilter>>;
  warnings: Array<{ policy: string; message: string }>;
}

/** The stat prefix of the CUSTOM shadow rules; ext_authz reads the metadata key it prefixes. */
export const EXT_AUTHZ_SHADOW_PREFIX = 'istio_ext_authz_';
/** CUSTOM shadow policy names start with this; filter_enabled_metadata matches on it. */
export const EXT_AUTHZ_POLICY_PREFIX = 'istio-ext-authz';
/** Istio's default ext_authz timeout when a provider sets none. */
const DEFAULT_EXT_AUTHZ_TIMEOUT_MS = 600_000;
/** Where requestPrincipals / request.auth.* would be found: set only by RequestAuthentication (JWT). */
const AUTHN_FILTER = 'istio_authn';

export function rbacPolicyName(namespace: string, name: string, rule: number): string {
  return `ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

/** Builds the authorization filters of one filter chain. Never throws on policy content. */
export function waypointAuthzFilters(input: WaypointAuthzInput): WaypointAuthzOutput {
  const warnings: WaypointAuthzOutput['warnings'] = [];
  const sorted = [...input.policies].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const byAction = (action: string): AuthorizationPolicy[] => sorted.filter((p) => p.spec.action === action);
  const filters: WaypointAuthzOutput['filters'] = [];
  const denyPolicies: Record<string, Policy> = {};

  // CUSTOM: one shadow RBAC filter recording the first matching CUSTOM rule in dynamic metadata,
  // then the provider's ext_authz, which runs only when that key is set. Like istiod, a workload
  // gets one provider: Envoy merges dynamic metadata, so a second shadow filter could not clear
  // the first one's match and a second ext_authz would be called for the first one's rules.
  // Policies that cannot be served fail closed (their rules deny), as istiod does.
  const customPolicies = byAction('CUSTOM');
  const providerNames = [...new Set(customPolicies.map((p) => p.spec.provider?.name ?? ''))];
  const shadow: Record<string, Policy> = {};
  let provider: ExtensionProvider | undefined;
  for (const policy of customPolicies) {
    const providerName = policy.spec.provider?.name ?? '';
    const found = input.extensionProviders.find((p) => p.name === providerName);
    const rules = encodePolicyRules(policy, input.trustDomain, warnings);
    const problem = !found
      ? `CUSTOM provider ${JSON.stringify(providerName)} is not in the mesh config's extensionProviders`
      : providerNames.length > 1
        ? `CUSTOM policies on this waypoint name ${providerNames.length} providers (${providerNames.join(', ')}); only one provider can be used per workload`
        : undefined;
    if (problem) {
      warnings.push({ policy: keyOf(policy), message: `${problem}; requests matching this policy's rules are denied until that is fixed` });
      for (const [name, p] of rules) denyPolicies[name] = p;
      continue;
    }
    provider = found;
    for (const [name, p] of rules) shadow[`${EXT_AUTHZ_POLICY_PREFIX}-${name}`] = p;
  }
  if (provider) {
    filters.push(rbacFilter({ shadow_rules: { action: 'DENY', policies: shadow }, shadow_rules_stat_prefix: EXT_AUTHZ_SHADOW_PREFIX }));
    filters.push(extAuthzFilter(provider.envoyExtAuthzHttp));
  }

  const audit = byAction('AUDIT');
  if (audit.length > 0) filters.push(rbacFilter({ rules: { action: 'LOG', policies: policiesOf(audit, input.trustDomain, warnings) } }));
  const deny = byAction('DENY');
  if (deny.length > 0 || Object.keys(denyPolicies).length > 0) {
    filters.push(rbacFilter({ rules: { action: 'DENY', policies: { ...denyPolicies, ...policiesOf(deny, input.trustDomain, warnings) } } }));
  }
  const allow = byAction('ALLOW');
  // An ALLOW policy without rules adds no RBAC policy, which leaves an ALLOW filter that matches
  // nothing: deny all, as Istio documents for `spec: {}`.
  if (allow.length > 0) filters.push(rbacFilter({ rules: { action: 'ALLOW', policies: policiesOf(allow, input.trustDomain, warnings) } }));
  return { filters, warnings };
}

function keyOf(policy: AuthorizationPolicy): string {
  return `${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`;
}

function rbacFilter(config: Init<envoy.RbacFilter>): Init<envoy.HttpFilter> {
  return { name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, config) };
}

function policiesOf(policies: AuthorizationPolicy[], trustDomain: string, warnings: WaypointAuthzOutput['warnings']): Record<string, Policy> {
  const out: Record<string, Policy> = {};
  for (const policy of policies) for (const [name, p] of encodePolicyRules(policy, trustDomain, warnings)) out[name] = p;
  return out;
}

/** Collects what one policy says into warnings once per message. */
class PolicyWarnings {
  private readonly seen = new Set<string>();
  private readonly policy: string;
  private readonly out: WaypointAuthzOutput['warnings'];
  constructor(policy: string, out: WaypointAuthzOutput['warnings']) {
    this.policy = policy;
    this.out = out;
  }
  add(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    this.out.push({ policy: this.policy, message });
  }
}

function encodePolicyRules(policy: AuthorizationPolicy, trustDomain: string, warnings: WaypointAuthzOutput['warnings']): Array<[string, Policy]> {
  const namespace = policy.metadata.namespace ?? 'default';
  const warn = new PolicyWarnings(keyOf(policy), warnings);
  return (policy.spec.rules ?? []).map((rule, i) => {
    const permissions: Permission[] = [];
    const principals: Principal[] = [];
    if (rule.to) permissions.push(orRules(rule.to.map((t) => operation(t.operation))));
    if (rule.from) principals.push(orIds(rule.from.map((f) => source(f.source, namespace, trustDomain, warn))));
    for (const condition of rule.when ?? []) {
      const encoded = encodeCondition(condition, namespace, trustDomain, warn);
      if (encoded?.permission) permissions.push(encoded.permission);
      if (encoded?.principal) principals.push(encoded.principal);
    }
    return [
      rbacPolicyName(namespace, policy.metadata.name, i),
      { permissions: [andRules(permissions)], principals: [andIds(principals)] },
    ];
  });
}

// ---- tree helpers: an empty AND is `any` (an absent section matches everything) ----

function andRules(rules: Permission[]): Permission {
  if (rules.length === 0) return { any: true };
  return rules.length === 1 ? (rules[0] as Permission) : { and_rules: { rules } };
}
function orRules(rules: Permission[]): Permission {
  return rules.length === 1 ? (rules[0] as Permission) : { or_rules: { rules } };
}
function andIds(ids: Principal[]): Principal {
  if (ids.length === 0) return { any: true };
  return ids.length === 1 ? (ids[0] as Principal) : { and_ids: { ids } };
}
function orIds(ids: Principal[]): Principal {
  return ids.length === 1 ? (ids[0] as Principal) : { or_ids: { ids } };
}

/** values -> any of them; notValues -> none of them; both -> both hold. */
function permissionField<T>(values: T[] | undefined, notValues: T[] | undefined, one: (v: T) => Permission): Permission[] {
  const out: Permission[] = [];
  if (values && values.length > 0) out.push(orRules(values.map(one)));
  if (notValues && notValues.length > 0) out.push({ not_rule: orRules(notValues.map(one)) });
  return out;
}
function principalField<T>(values: T[] | undefined, notValues: T[] | undefined, one: (v: T) => Principal): Principal[] {
  const out: Principal[] = [];
  if (values && values.length > 0) out.push(orIds(values.map(one)));
  if (notValues && notValues.length > 0) out.push({ not_id: orIds(notValues.map(one)) });
  return out;
}

// ---- string forms ----

/** Istio's string match: `abc*` prefix, `*abc` suffix, `*` any non-empty value, else exact. */
export function istioStringMatcher(value: string, options: { prefix?: string; ignoreCase?: boolean } = {}): StringMatcher {
  const pre = options.prefix ?? '';
  const ignore_case = options.ignoreCase ?? false;
  if (value === '*') return { safe_regex: { regex: '.+' } };
  if (value.endsWith('*')) return { prefix: pre + value.slice(0, -1), ignore_case };
  if (value.startsWith('*')) return { suffix: value.slice(1), ignore_case };
  return { exact: pre + value, ignore_case };
}

/** RE2 (and JavaScript) regex with every metacharacter of `text` escaped. */
export function quoteRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A regex matching `text` in any letter case without the (?i) flag, which JavaScript lacks. */
function caseInsensitiveRegex(text: string): string {
  return [...text].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : quoteRegex(c))).join('');
}

function principalName(matcher: StringMatcher): Principal {
  return { authenticated: { principal_name: matcher } };
}

// ---- from: sources ----

function principalMatcher(value: string): Principal {
  // Policies write principals without the scheme; the peer certificate's URI SAN has it.
  return principalName(istioStringMatcher(value, { prefix: 'spiffe://' }));
}

/** The namespace segment of the peer's SPIFFE ID: spiffe://<td>/ns/<ns>/sa/<sa>. */
function namespaceMatcher(value: string): Principal {
  let segment: string;
  if (value === '*') segment = '[^/]+';
  else if (value.endsWith('*')) segment = `${quoteRegex(value.slice(0, -1))}[^/]*`;
  else if (value.startsWith('*')) segment = `[^/]*${quoteRegex(value.slice(1))}`;
  else segment = quoteRegex(value);
  return principalName({ safe_regex: { regex: `.*/ns/${segment}/.*` } });
}

function serviceAccountMatcher(value: string, policyNamespace: string, trustDomain: string): Principal {
  const [a = '', b] = value.split('/');
  const [ns, sa] = b === undefined ? [policyNamespace, a] : [a, b];
  return principalName({ exact: `spiffe://${trustDomain}/ns/${ns}/sa/${sa}` });
}

function trustDomainMatcher(value: string): Principal {
  if (value === '*') return principalName({ safe_regex: { regex: 'spiffe://[^/]+/.*' } });
  if (value.endsWith('*')) return principalName({ prefix: `spiffe://${value.slice(0, -1)}` });
  if (value.startsWith('*')) return principalName({ safe_regex: { regex: `spiffe://[^/]*${quoteRegex(value.slice(1))}/.*` } });
  return principalName({ prefix: `spiffe://${value}/` });
}

function cidr(text: string): Init<envoy.CidrRange> {
  const [address = '', len] = text.split('/');
  const full = address.includes(':') ? 128 : 32;
  return { address_prefix: address, prefix_len: { value: len === undefined ? full : Number(len) } };
}

/** A matcher on metadata only RequestAuthentication would set, which Ambit does not have. */
function authnMetadata(path: string[], value: string): Principal {
  return { metadata: { filter: AUTHN_FILTER, path: path.map((key) => ({ key })), value: { string_match: istioStringMatcher(value) } } };
}

const NO_REQUEST_AUTHENTICATION =
  'uses request principals or request.auth.* (JWT), but Ambit has no RequestAuthentication: these never match (notRequestPrincipals / notValues always match)';

function source(s: AuthorizationSource, namespace: string, trustDomain: string, warn: PolicyWarnings): Principal {
  const parts: Principal[] = [
    ...principalField(s.principals, s.notPrincipals, principalMatcher),
    ...principalField(s.requestPrincipals, s.notRequestPrincipals, (v) => authnMetadata(['request.auth.principal'], v)),
    ...principalField(s.namespaces, s.notNamespaces, namespaceMatcher),
    ...principalField(s.serviceAccounts, s.notServiceAccounts, (v) => serviceAccountMatcher(v, namespace, trustDomain)),
    ...principalField(s.ipBlocks, s.notIpBlocks, (v) => ({ direct_remote_ip: cidr(v) })),
    ...principalField(s.remoteIpBlocks, s.notRemoteIpBlocks, (v) => ({ remote_ip: cidr(v) })),
    ...principalField(s.trustDomains, s.notTrustDomains, trustDomainMatcher),
  ];
  if (s.requestPrincipals || s.notRequestPrincipals) warn.add(NO_REQUEST_AUTHENTICATION);
  return andIds(parts);
}

// ---- to: operations ----

function header(name: string, matcher: StringMatcher): Permission {
  return { header: { name, string_match: matcher } };
}

/** Hosts compare case-insensitively, and a host written without a port matches any port. */
function hostMatcher(value: string): Permission {
  if (value === '*') return { header: { name: ':authority', present_match: true } };
  const hasPort = /:[0-9]+$/.test(value);
  if (value.endsWith('*') || hasPort) return header(':authority', istioStringMatcher(value, { ignoreCase: true }));
  const body = value.startsWith('*') ? `.*${caseInsensitiveRegex(value.slice(1))}` : caseInsensitiveRegex(value);
  return header(':authority', { safe_regex: { regex: `${body}(:[0-9]+)?` } });
}

/** `{*}` / `{**}` templates travel as Envoy's uri_template; the rest as url_path. */
function pathMatcher(value: string): Permission {
  if (value.includes('{')) {
    return { uri_template: { name: 'uri-template', typed_config: packAny(ENVOY_TYPE.uriTemplateMatch, { path_template: value }) } };
  }
  return { url_path: { path: istioStringMatcher(value) } };
}

function operation(op: AuthorizationOperation): Permission {
  return andRules([
    ...permissionField(op.hosts, op.notHosts, hostMatcher),
    ...permissionField(op.ports, op.notPorts, (v) => ({ destination_port: Number(v) })),
    ...permissionField(op.methods, op.notMethods, (v) => header(':method', istioStringMatcher(v))),
    ...permissionField(op.paths, op.notPaths, pathMatcher),
  ]);
}

// ---- when: conditions ----

function encodeCondition(
  c: AuthorizationCondition,
  namespace: string,
  trustDomain: string,
  warn: PolicyWarnings,
): { permission?: Permission; principal?: Principal } | undefined {
  const onPrincipal = (one: (v: string) => Principal): { principal: Principal } => ({ principal: andIds(principalField(c.values, c.notValues, one)) });
  const onPermission = (one: (v: string) => Permission): { permission: Permission } => ({ permission: andRules(permissionField(c.values, c.notValues, one)) });
  const mapKey = /^(request\.headers|request\.auth\.claims)\[(.+)\]$/.exec(c.key);
  if (mapKey?.[1] === 'request.headers') {
    const name = (mapKey[2] ?? '').toLowerCase();
    return onPermission((v) => (v === '*' ? { header: { name, present_match: true } } : header(name, istioStringMatcher(v))));
  }
  if (mapKey?.[1] === 'request.auth.claims' || c.key.startsWith('request.auth.')) {
    warn.add(NO_REQUEST_AUTHENTICATION);
    const path = mapKey ? ['request.auth.claims', mapKey[2] ?? ''] : [c.key];
    return onPrincipal((v) => authnMetadata(path, v));
  }
  switch (c.key) {
    case 'source.ip':
      return onPrincipal((v) => ({ direct_remote_ip: cidr(v) }));
    case 'remote.ip':
      return onPrincipal((v) => ({ remote_ip: cidr(v) }));
    case 'source.namespace':
      return onPrincipal(namespaceMatcher);
    case 'source.principal':
      return onPrincipal(principalMatcher);
    case 'source.serviceAccount':
      return onPrincipal((v) => serviceAccountMatcher(v, namespace, trustDomain));
    case 'source.trustDomain':
      return onPrincipal(trustDomainMatcher);
    case 'destination.ip':
      return onPermission((v) => ({ destination_ip: cidr(v) }));
    case 'destination.port':
      return onPermission((v) => ({ destination_port: Number(v) }));
    case 'connection.sni':
      return onPermission((v) => ({ requested_server_name: istioStringMatcher(v) }));
    default:
      warn.add(`condition key ${JSON.stringify(c.key)} is not supported by the waypoint and is ignored (the rule is evaluated without it)`);
      return undefined;
  }
}

// ---- CUSTOM: ext_authz ----

/** `name.ns.svc.cluster.local`, `ns/name` or `ns/<fqdn>`, `name.ns` -> the FQDN of the service. */
export function extAuthzServiceHost(service: string): string {
  const slash = service.indexOf('/');
  if (slash >= 0) {
    const ns = service.slice(0, slash);
    const host = service.slice(slash + 1);
    return host.includes('.') ? host : `${host}.${ns}.svc.cluster.local`;
  }
  const labels = service.split('.');
  return labels.length === 2 ? `${service}.svc.cluster.local` : service;
}

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (already validated by @ambit/api) in milliseconds. */
function goDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ''] ?? 0);
  return total;
}

function durationOf(ms: number): Init<google.Duration> {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

function headerList(names: string[] | undefined): Init<envoy.ListStringMatcher> | null {
  if (!names || names.length === 0) return null;
  return { patterns: names.map((n) => istioStringMatcher(n.toLowerCase(), { ignoreCase: true })) };
}

function extAuthzFilter(http: EnvoyExtAuthzHttpProvider): Init<envoy.HttpFilter> {
  const host = extAuthzServiceHost(http.service);
  const config: Init<envoy.ExtAuthz> = {
    http_service: {
      server_uri: {
        uri: `http://${host}`,
        cluster: `outbound|${http.port}||${host}`,
        timeout: durationOf(http.timeout !== undefined ? goDurationMs(http.timeout) : DEFAULT_EXT_AUTHZ_TIMEOUT_MS),
      },
      path_prefix: http.pathPrefix ?? '',
      authorization_request: {
        allowed_headers: headerList(http.includeRequestHeadersInCheck),
        headers_to_add: Object.entries(http.includeAdditionalHeadersInCheck ?? {}).map(([key, value]) => ({ key: key.toLowerCase(), value })),
      },
      authorization_response: {
        allowed_upstream_headers: headerList(http.headersToUpstreamOnAllow),
        allowed_client_headers: headerList(http.headersToDownstreamOnDeny),
        allowed_client_headers_on_success: headerList(http.headersToDownstreamOnAllow),
      },
    },
    failure_mode_allow: http.failOpen ?? false,
    status_on_error: { code: http.statusOnError !== undefined ? Number(http.statusOnError) : 403 },
    filter_enabled_metadata: {
      filter: ENVOY_FILTER.rbac,
      path: [{ key: `${EXT_AUTHZ_SHADOW_PREFIX}shadow_effective_policy_id` }],
      value: { string_match: { prefix: EXT_AUTHZ_POLICY_PREFIX } },
    },
  };
  return { name: ENVOY_FILTER.extAuthz, typed_config: packAny(ENVOY_TYPE.extAuthz, config) };
}
