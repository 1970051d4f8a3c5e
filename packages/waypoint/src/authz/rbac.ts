// Envoy RBAC (envoy.config.rbac.v3) compiled into predicates once per Listener version. Compiling
// validates everything (regexes, CIDRs, templates, unsupported matchers), so evaluating a request
// never throws; what cannot be honoured is an AMBIT_WAYPOINT_CONFIG error naming the field, and
// the xDS layer NACKs the resource.
import { BlockList, isIP } from 'node:net';
import { ENVOY_TYPE, unpackAny, type envoy } from '@ambit/xds-types';
import type { RequestInfo } from '../contracts.ts';
import { configError, headerMatcher, stringMatcher } from '../matchers.ts';
import { compileUriTemplate } from './uri-template.ts';

/** Dynamic metadata the filter chain produced so far: filter name -> key -> value. */
export type DynamicMetadata = Map<string, Record<string, unknown>>;

export interface MatchInput {
  request: RequestInfo;
  metadata: DynamicMetadata;
}

export type Predicate = (input: MatchInput) => boolean;

// ---- addresses ----

export function compileCidr(c: envoy.CidrRange | null | undefined, where: string): (ip: string) => boolean {
  if (!c) throw configError(where, 'is unset');
  const family = isIP(c.address_prefix);
  if (family === 0) throw configError(`${where}.address_prefix`, `${JSON.stringify(c.address_prefix)} is not an IP address`);
  const full = family === 4 ? 32 : 128;
  const len = c.prefix_len?.value ?? full;
  if (len > full) throw configError(`${where}.prefix_len`, `${len} is longer than an IPv${family} address`);
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(c.address_prefix, len, type);
  return (ip) => isIP(ip) === family && list.check(ip, type);
}

// ---- metadata ----

export function compileMetadataMatcher(m: envoy.MetadataMatcher | null | undefined, where: string): (metadata: DynamicMetadata) => boolean {
  if (!m) throw configError(where, 'is unset');
  if (m.path.length === 0) throw configError(`${where}.path`, 'is empty');
  const value = m.value;
  let test: (v: unknown) => boolean;
  if (value?.match_pattern === 'string_match') {
    const s = stringMatcher(value.string_match, `${where}.value.string_match`);
    test = (v) => typeof v === 'string' && s(v);
  } else if (value?.match_pattern === 'present_match') {
    test = (v) => (v !== undefined) === (value.present_match === true);
  } else {
    throw configError(`${where}.value`, `match ${JSON.stringify(value?.match_pattern ?? 'unset')} is not supported (string_match, present_match)`);
  }
  const keys = m.path.map((p) => p.key);
  return (metadata) => {
    let v: unknown = metadata.get(m.filter);
    for (const key of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    return test(v) !== m.invert;
  };
}

// ---- permissions and principals ----

export function compilePermission(p: envoy.Permission | null | undefined, where: string): Predicate {
  if (!p) throw configError(where, 'is unset');
  switch (p.rule) {
    case 'any':
      return () => p.any === true;
    case 'and_rules': {
      const rules = (p.and_rules?.rules ?? []).map((r, i) => compilePermission(r, `${where}.and_rules.rules[${i}]`));
      return (input) => rules.every((r) => r(input));
    }
    case 'or_rules': {
      const rules = (p.or_rules?.rules ?? []).map((r, i) => compilePermission(r, `${where}.or_rules.rules[${i}]`));
      return (input) => rules.some((r) => r(input));
    }
    case 'not_rule': {
      const rule = compilePermission(p.not_rule, `${where}.not_rule`);
      return (input) => !rule(input);
    }
    case 'header': {
      const h = headerMatcher(p.header, `${where}.header`);
      return ({ request }) => h(request);
    }
    case 'url_path': {
      const m = stringMatcher(p.url_path?.path, `${where}.url_path.path`);
      return ({ request }) => m(request.path);
    }
    case 'uri_template': {
      const re = compileTemplatePermission(p.uri_template, `${where}.uri_template`);
      return ({ request }) => re.test(request.path);
    }
    case 'destination_ip': {
      const c = compileCidr(p.destination_ip, `${where}.destination_ip`);
      return ({ request }) => c(request.destinationIp);
    }
    case 'destination_port':
      return ({ request }) => request.destinationPort === p.destination_port;
    case 'destination_port_range': {
      const start = p.destination_port_range?.start ?? 0;
      const end = p.destination_port_range?.end ?? 0;
      return ({ request }) => request.destinationPort >= start && request.destinationPort < end;
    }
    case 'metadata': {
      const m = compileMetadataMatcher(p.metadata, `${where}.metadata`);
      return ({ metadata }) => m(metadata);
    }
    case 'requested_server_name': {
      // The waypoint terminates HBONE; the inner stream has no TLS handshake, so SNI is empty.
      const m = stringMatcher(p.requested_server_name, `${where}.requested_server_name`);
      return () => m('');
    }
    default:
      throw configError(where, `permission ${JSON.stringify(p.rule ?? 'unset')} is not supported`);
  }
}

function compileTemplatePermission(config: envoy.TypedExtensionConfig | null | undefined, where: string): RegExp {
  const any = config?.typed_config;
  if (!any || any.type_url !== ENVOY_TYPE.uriTemplateMatch) {
    throw configError(`${where}.typed_config`, `must be ${ENVOY_TYPE.uriTemplateMatch}, got ${JSON.stringify(any?.type_url ?? 'unset')}`);
  }
  const template = unpackAny<envoy.UriTemplateMatchConfig>(any).path_template;
  const re = compileUriTemplate(template);
  if (typeof re === 'string') throw configError(`${where}.path_template`, `${JSON.stringify(template)} ${re}`);
  return re;
}

export function compilePrincipal(p: envoy.Principal | null | undefined, where: string): Predicate {
  if (!p) throw configError(where, 'is unset');
  switch (p.identifier) {
    case 'any':
      return () => p.any === true;
    case 'and_ids': {
      const ids = (p.and_ids?.ids ?? []).map((r, i) => compilePrincipal(r, `${where}.and_ids.ids[${i}]`));
      return (input) => ids.every((r) => r(input));
    }
    case 'or_ids': {
      const ids = (p.or_ids?.ids ?? []).map((r, i) => compilePrincipal(r, `${where}.or_ids.ids[${i}]`));
      return (input) => ids.some((r) => r(input));
    }
    case 'not_id': {
      const id = compilePrincipal(p.not_id, `${where}.not_id`);
      return (input) => !id(input);
    }
    case 'authenticated': {
      // No principal_name: any peer with a verified certificate.
      const name = p.authenticated?.principal_name;
      const m = name ? stringMatcher(name, `${where}.authenticated.principal_name`) : () => true;
      return ({ request }) => request.principal !== undefined && m(request.principal);
    }
    case 'direct_remote_ip':
    case 'source_ip': {
      const c = compileCidr(p.direct_remote_ip ?? (p as { source_ip?: envoy.CidrRange | null }).source_ip, `${where}.${p.identifier}`);
      return ({ request }) => c(request.sourceIp);
    }
    case 'remote_ip': {
      // The waypoint trusts no X-Forwarded-For hops, so the original client is the direct peer.
      const c = compileCidr(p.remote_ip, `${where}.remote_ip`);
      return ({ request }) => c(request.sourceIp);
    }
    case 'header': {
      const h = headerMatcher(p.header, `${where}.header`);
      return ({ request }) => h(request);
    }
    case 'url_path': {
      const m = stringMatcher(p.url_path?.path, `${where}.url_path.path`);
      return ({ request }) => m(request.path);
    }
    case 'metadata': {
      const m = compileMetadataMatcher(p.metadata, `${where}.metadata`);
      return ({ metadata }) => m(metadata);
    }
    default:
      throw configError(where, `principal ${JSON.stringify(p.identifier ?? 'unset')} is not supported`);
  }
}

// ---- policies and engines ----

export interface CompiledPolicy {
  name: string;
  matches: Predicate;
}

export interface RbacEngine {
  action: 'ALLOW' | 'DENY' | 'LOG';
  /** In policy-name order, as Envoy keeps them; the first match is the effective policy. */
  policies: CompiledPolicy[];
}

/** envoy.config.rbac.v3.RBAC: a policy matches when some permission and some principal match. */
export function compileRbac(rbac: envoy.Rbac, where: string): RbacEngine {
  const action = rbac.action;
  if (action !== 'ALLOW' && action !== 'DENY' && action !== 'LOG') throw configError(`${where}.action`, `${JSON.stringify(action)} is not ALLOW, DENY or LOG`);
  const policies = Object.keys(rbac.policies)
    .sort()
    .map((name): CompiledPolicy => {
      const at = `${where}.policies[${JSON.stringify(name)}]`;
      const policy = rbac.policies[name] as envoy.Policy & { condition?: unknown; checked_condition?: unknown };
      if (policy.condition || policy.checked_condition) throw configError(`${at}.condition`, 'CEL conditions are not supported');
      const permissions = policy.permissions.map((p, i) => compilePermission(p, `${at}.permissions[${i}]`));
      const principals = policy.principals.map((p, i) => compilePrincipal(p, `${at}.principals[${i}]`));
      return { name, matches: (input) => permissions.some((p) => p(input)) && principals.some((p) => p(input)) };
    });
  return { action, policies };
}

/** The names of the engine's policies that match, in order. */
export function matchingPolicies(engine: RbacEngine, input: MatchInput): string[] {
  return engine.policies.filter((p) => p.matches(input)).map((p) => p.name);
}
