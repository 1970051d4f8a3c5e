// AuthorizationPolicy -> istio.security.Authorization for ztunnels, as istiod's ambient converter
// does it (reference section 6.1; istio pilot/pkg/serviceregistry/ambient/authorization.go):
// - policies with targetRefs belong to waypoints and are not sent; AUDIT and CUSTOM are not sent.
// - scope: root namespace without selector = GLOBAL, no selector = NAMESPACE, else WORKLOAD_SELECTOR.
// - a rule becomes clauses AND-ed: one clause for `from` (a Match per source, OR-ed), one for `to`
//   (a Match per operation), one per `when` condition.
// - fields ztunnel cannot see (HTTP methods, paths, hosts, request principals, remote IPs, L7 `when`
//   keys): an ALLOW rule using any of them is dropped (the policy gets stricter); a DENY rule keeps
//   its L4 parts only (the policy gets broader). Either way the result carries a status message.
import { ZTUNNEL_WHEN_KEYS, ztunnelUnsupportedFields, type AuthorizationRule } from '@ambit/api';
import { ipToBytes } from '../model/ip.ts';
import { AUTHZ_ACTION, AUTHZ_SCOPE, type AuthorizationMessage, type MatchMessage, type StringMatchMessage, emptyMatch } from '../model/wire.ts';

export interface AuthorizationPolicyInput {
  name: string;
  namespace: string;
  selector?: { matchLabels?: Record<string, string> } | undefined;
  hasTargetRefs: boolean;
  action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  /** undefined: no `rules` field (matches nothing); [] is the same; [{}] matches everything. */
  rules?: AuthorizationRule[] | undefined;
  dryRun?: boolean;
}

export interface ConversionResult {
  authorization: AuthorizationMessage | undefined;
  /** Istio-style status condition for ztunnel enforcement; undefined when fully accepted. */
  warning: string | undefined;
}

// trustDomains has no field in istio.security.Match, so ztunnel cannot enforce it either.
export function isSelectorEmpty(selector: AuthorizationPolicyInput['selector']): boolean {
  return !selector || !selector.matchLabels || Object.keys(selector.matchLabels).length === 0;
}

export function convertAuthorizationPolicy(policy: AuthorizationPolicyInput, rootNamespace: string): ConversionResult {
  if (policy.hasTargetRefs) return { authorization: undefined, warning: undefined };
  if (policy.action !== 'ALLOW' && policy.action !== 'DENY') return { authorization: undefined, warning: undefined };
  const scope = !isSelectorEmpty(policy.selector) ? AUTHZ_SCOPE.WORKLOAD_SELECTOR : policy.namespace === rootNamespace ? AUTHZ_SCOPE.GLOBAL : AUTHZ_SCOPE.NAMESPACE;
  const unsupported = new Set<string>();
  const rules: AuthorizationMessage['rules'] = [];
  for (const rule of policy.rules ?? []) {
    const l7 = ztunnelUnsupportedFields(rule);
    l7.forEach((f) => unsupported.add(f));
    if (l7.length > 0 && policy.action === 'ALLOW') continue;
    rules.push({ clauses: clausesOf(rule, policy.namespace) });
  }
  const warning =
    unsupported.size === 0
      ? undefined
      : `ztunnel does not support HTTP attributes (found: ${[...unsupported].sort().join(', ')}). In ambient mode you must use a waypoint proxy to enforce HTTP rules. ` +
        (policy.action === 'ALLOW'
          ? 'Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.'
          : 'Within a DENY policy, the HTTP attributes of a rule are ignored, so the rule denies more connections than requested.');
  return {
    authorization: {
      name: policy.name,
      namespace: policy.namespace,
      scope,
      action: policy.action === 'ALLOW' ? AUTHZ_ACTION.ALLOW : AUTHZ_ACTION.DENY,
      rules,
      dry_run: policy.dryRun ?? false,
    },
    warning,
  };
}


/** Istio string matching: `abc*` prefix, `*abc` suffix, `*` presence, else exact. */
export function stringMatch(value: string): StringMatchMessage {
  if (value === '*') return { presence: {} };
  if (value.endsWith('*')) return { prefix: value.slice(0, -1) };
  if (value.startsWith('*')) return { suffix: value.slice(1) };
  return { exact: value };
}

function isUnconstrained(m: MatchMessage): boolean {
  return Object.values(m).every((list: unknown[]) => list.length === 0);
}

function cidr(text: string): { address: Uint8Array; length: number } | undefined {
  const [ip = '', len] = text.split('/');
  const address = ipToBytes(ip);
  if (!address) return undefined;
  return { address, length: len === undefined ? address.length * 8 : Number(len) };
}

function serviceAccount(value: string, policyNamespace: string): { namespace: string; serviceAccount: string } {
  const [a, b] = value.split('/');
  return b === undefined ? { namespace: policyNamespace, serviceAccount: a ?? '' } : { namespace: a ?? '', serviceAccount: b };
}

function ports(values: string[] | undefined): number[] {
  return (values ?? []).map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}

function clausesOf(rule: AuthorizationRule, policyNamespace: string): Array<{ matches: MatchMessage[] }> {
  const clauses: Array<{ matches: MatchMessage[] }> = [];
  // A Match without any constraint matches nothing in ztunnel (it is skipped), so a clause whose
  // entries were all stripped to nothing would deny (or allow) nothing. An entry with no L4
  // constraint left means "any source" (or "any operation"): the whole clause is dropped, which
  // makes it match everything, as Istio's stripping of HTTP fields from DENY rules intends.
  const sources = (rule.from ?? []).map((f) => {
    const s = f.source ?? {};
    const m = emptyMatch();
    m.principals = (s.principals ?? []).map(stringMatch);
    m.not_principals = (s.notPrincipals ?? []).map(stringMatch);
    m.namespaces = (s.namespaces ?? []).map(stringMatch);
    m.not_namespaces = (s.notNamespaces ?? []).map(stringMatch);
    m.source_ips = (s.ipBlocks ?? []).map(cidr).filter((c) => c !== undefined);
    m.not_source_ips = (s.notIpBlocks ?? []).map(cidr).filter((c) => c !== undefined);
    m.service_accounts = (s.serviceAccounts ?? []).map((v) => serviceAccount(v, policyNamespace));
    m.not_service_accounts = (s.notServiceAccounts ?? []).map((v) => serviceAccount(v, policyNamespace));
    return m;
  });
  if (sources.length > 0 && !sources.some(isUnconstrained)) clauses.push({ matches: sources });
  const operations = (rule.to ?? []).map((t) => {
    const m = emptyMatch();
    m.destination_ports = ports(t.operation?.ports);
    m.not_destination_ports = ports(t.operation?.notPorts);
    return m;
  });
  if (operations.length > 0 && !operations.some(isUnconstrained)) clauses.push({ matches: operations });
  for (const c of rule.when ?? []) {
    if (!ZTUNNEL_WHEN_KEYS.has(c.key)) continue;
    const m = emptyMatch();
    const values = c.values ?? [];
    const notValues = c.notValues ?? [];
    switch (c.key) {
      case 'source.ip':
        m.source_ips = values.map(cidr).filter((x) => x !== undefined);
        m.not_source_ips = notValues.map(cidr).filter((x) => x !== undefined);
        break;
      case 'source.namespace':
        m.namespaces = values.map(stringMatch);
        m.not_namespaces = notValues.map(stringMatch);
        break;
      case 'source.principal':
        m.principals = values.map(stringMatch);
        m.not_principals = notValues.map(stringMatch);
        break;
      case 'destination.ip':
        m.destination_ips = values.map(cidr).filter((x) => x !== undefined);
        m.not_destination_ips = notValues.map(cidr).filter((x) => x !== undefined);
        break;
      case 'destination.port':
        m.destination_ports = ports(values);
        m.not_destination_ports = ports(notValues);
        break;
    }
    clauses.push({ matches: [m] });
  }
  return clauses;
}
