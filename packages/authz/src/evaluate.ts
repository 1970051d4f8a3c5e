// Per-connection authorization, as ztunnel's src/state.rs::assert_rbac and src/rbac.rs::matches do
// it (reference istio-ambient.md 6.1; Istio's documented order without CUSTOM and AUDIT):
//   1. any matching DENY policy denies ("explicitly denied by: ns/name");
//   2. no ALLOW policy: allow;
//   3. any matching ALLOW policy allows;
//   4. otherwise deny ("allow policies exist, but none allowed").
// Dry-run policies take no part in 1-4; each is evaluated and reported in dryRunDecisions.
//
// Matching (rbac.rs Authorization::matches):
// - a policy with no rules matches nothing: an ALLOW without rules denies everything for its target
//   (`spec: {}`), a DENY without rules denies nothing;
// - a policy matches when ANY rule matches; a rule when ALL its clauses match (no clauses: every
//   connection); a clause when ANY of its matches matches (no matches: the clause holds);
// - a Match whose every list is empty is skipped: it never matches (`mg.is_empty() => continue`);
// - a Match matches when every non-empty constraint holds: a positive list when any value matches,
//   a `not*` list when no value matches;
// - namespaces / principals / service accounts come from the peer identity. Without one (plaintext),
//   a positive constraint never matches and a negative one always holds, so PeerAuthentication
//   STRICT's converted DENY `not_principals: [presence]` matches exactly the plaintext connections.
//   (ztunnel matches namespaces against "" then; with the non-empty values convert.ts admits that is
//   the same thing.) Principals compare against the SPIFFE ID without `spiffe://`; an ID without
//   that scheme matches no principal (`matches_principal`);
// - IPs: CIDR containment, families never cross; ports: exact.
//
// Hot path: no allocation beyond the returned Decision when no dry-run policy applies (constant
// decisions are shared frozen objects, reasons are built once per decision); addresses are parsed
// into preallocated scratch words, lazily, at most once each per call.
import type { Cidr, Clause, Decision, Rule, DryRunDecision, Identity, Match, Policy, ServiceAccountMatch, StringMatch, ConnectionAttributes } from './types.ts';
import { cidrContains, parseIpInto } from './ip.ts';

const SPIFFE_SCHEME = 'spiffe://';
const SCHEME_LENGTH = SPIFFE_SCHEME.length;

export const REASON_NO_POLICIES = 'no policies';
export const REASON_NO_ALLOW_POLICIES = 'no allow policies';
export const REASON_NOT_ALLOWED = 'allow policies exist, but none allowed';
export const REASON_DENIED_PREFIX = 'explicitly denied by: ';
export const REASON_ALLOWED_PREFIX = 'allowed by: ';
export const REASON_BAD_ADDRESS_PREFIX = 'invalid connection address: ';

const NO_DRY_RUN: readonly DryRunDecision[] = Object.freeze([]);
const NO_POLICIES: Decision = Object.freeze({ allowed: true, reason: REASON_NO_POLICIES, dryRunDecisions: NO_DRY_RUN });
const NO_ALLOW_POLICIES: Decision = Object.freeze({ allowed: true, reason: REASON_NO_ALLOW_POLICIES, dryRunDecisions: NO_DRY_RUN });
const NOT_ALLOWED: Decision = Object.freeze({ allowed: false, reason: REASON_NOT_ALLOWED, dryRunDecisions: NO_DRY_RUN });

/** The connection being evaluated, addresses parsed on first use. One instance, reused per call. */
class Subject {
  conn: ConnectionAttributes | undefined;
  identity: Identity | undefined;
  srcFamily: 0 | 4 | 6 = 0;
  dstFamily: 0 | 4 | 6 = 0;
  srcParsed = false;
  dstParsed = false;
  /** Set when an address a policy needed could not be parsed; the caller then denies. */
  badAddress: string | undefined;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);

  reset(conn: ConnectionAttributes): void {
    this.conn = conn;
    this.identity = conn.source;
    this.srcParsed = false;
    this.dstParsed = false;
    this.badAddress = undefined;
  }

  /** Drops the references to the caller's objects once a decision is made. */
  clear(): void {
    this.conn = undefined;
    this.identity = undefined;
  }

  sourceFamily(): 0 | 4 | 6 {
    if (!this.srcParsed) {
      this.srcParsed = true;
      const text = (this.conn as ConnectionAttributes).sourceIp;
      this.srcFamily = parseIpInto(text, this.src);
      if (this.srcFamily === 0) this.badAddress ??= `source ${JSON.stringify(text)}`;
    }
    return this.srcFamily;
  }

  destinationFamily(): 0 | 4 | 6 {
    if (!this.dstParsed) {
      this.dstParsed = true;
      const text = (this.conn as ConnectionAttributes).destinationIp;
      this.dstFamily = parseIpInto(text, this.dst);
      if (this.dstFamily === 0) this.badAddress ??= `destination ${JSON.stringify(text)}`;
    }
    return this.dstFamily;
  }
}

const subject = new Subject();

function stringMatches(m: StringMatch, value: string): boolean {
  switch (m.kind) {
    case 'exact':
      return value === m.value;
    case 'prefix':
      return value.startsWith(m.value);
    case 'suffix':
      return value.endsWith(m.value);
    case 'presence':
      return value.length > 0;
  }
}

/** Principal match on the SPIFFE ID without its scheme, comparing in place (no slice). */
function principalMatches(m: StringMatch, uri: string): boolean {
  if (!uri.startsWith(SPIFFE_SCHEME)) return false;
  switch (m.kind) {
    case 'exact':
      return uri.length - SCHEME_LENGTH === m.value.length && uri.startsWith(m.value, SCHEME_LENGTH);
    case 'prefix':
      return uri.startsWith(m.value, SCHEME_LENGTH);
    case 'suffix':
      return uri.length - SCHEME_LENGTH >= m.value.length && uri.endsWith(m.value);
    case 'presence':
      return uri.length > SCHEME_LENGTH;
  }
}

function anyNamespace(list: readonly StringMatch[], id: Identity | undefined): boolean {
  if (id === undefined) return false;
  for (let i = 0; i < list.length; i++) {
    const m = list[i] as StringMatch;
    if (stringMatches(m, id.namespace)) return true;
  }
  return false;
}

function anyPrincipal(list: readonly StringMatch[], id: Identity | undefined): boolean {
  if (id === undefined) return false;
  for (let i = 0; i < list.length; i++) {
    const m = list[i] as StringMatch;
    if (principalMatches(m, id.uri)) return true;
  }
  return false;
}

function anyServiceAccount(list: readonly ServiceAccountMatch[], id: Identity | undefined): boolean {
  if (id === undefined) return false;
  for (let i = 0; i < list.length; i++) {
    const m = list[i] as ServiceAccountMatch;
    if (m.namespace === id.namespace && m.serviceAccount === id.serviceAccount) return true;
  }
  return false;
}

function anyCidr(list: readonly Cidr[], family: 0 | 4 | 6, words: Uint32Array): boolean {
  if (family === 0) return false;
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as Cidr;
    if (cidrContains(c, family, words)) return true;
  }
  return false;
}

function anyPort(list: readonly number[], port: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as number;
    if (p === port) return true;
  }
  return false;
}

/**
 * One Match. Every non-empty constraint must hold (cheap ones first); a Match without any
 * constraint is false, as ztunnel skips it (`if mg.is_empty() { continue }`), checked on the way
 * rather than in a separate pass.
 */
function matchMatches(m: Match, s: Subject): boolean {
  const conn = s.conn as ConnectionAttributes;
  const id = s.identity;
  let constrained = false;
  if (m.destinationPorts.length > 0) {
    if (!anyPort(m.destinationPorts, conn.destinationPort)) return false;
    constrained = true;
  }
  if (m.notDestinationPorts.length > 0) {
    if (anyPort(m.notDestinationPorts, conn.destinationPort)) return false;
    constrained = true;
  }
  if (m.destinationIps.length > 0 || m.notDestinationIps.length > 0) {
    const family = s.destinationFamily();
    if (family === 0) return false;
    if (m.destinationIps.length > 0 && !anyCidr(m.destinationIps, family, s.dst)) return false;
    if (m.notDestinationIps.length > 0 && anyCidr(m.notDestinationIps, family, s.dst)) return false;
    constrained = true;
  }
  if (m.sourceIps.length > 0 || m.notSourceIps.length > 0) {
    const family = s.sourceFamily();
    if (family === 0) return false;
    if (m.sourceIps.length > 0 && !anyCidr(m.sourceIps, family, s.src)) return false;
    if (m.notSourceIps.length > 0 && anyCidr(m.notSourceIps, family, s.src)) return false;
    constrained = true;
  }
  if (m.serviceAccounts.length > 0) {
    if (!anyServiceAccount(m.serviceAccounts, id)) return false;
    constrained = true;
  }
  if (m.notServiceAccounts.length > 0) {
    if (anyServiceAccount(m.notServiceAccounts, id)) return false;
    constrained = true;
  }
  if (m.principals.length > 0) {
    if (!anyPrincipal(m.principals, id)) return false;
    constrained = true;
  }
  if (m.notPrincipals.length > 0) {
    if (anyPrincipal(m.notPrincipals, id)) return false;
    constrained = true;
  }
  if (m.namespaces.length > 0) {
    if (!anyNamespace(m.namespaces, id)) return false;
    constrained = true;
  }
  if (m.notNamespaces.length > 0) {
    if (anyNamespace(m.notNamespaces, id)) return false;
    constrained = true;
  }
  return constrained;
}

function policyMatches(policy: Policy, s: Subject): boolean {
  const rules = policy.rules;
  for (let r = 0; r < rules.length; r++) {
    const clauses = (rules[r] as Rule).clauses;
    let ruleMatch = true;
    for (let c = 0; c < clauses.length; c++) {
      const matches = (clauses[c] as Clause).matches;
      if (matches.length === 0) continue; // an empty clause holds
      let clauseMatch = false;
      for (let k = 0; k < matches.length; k++) {
        const m = matches[k] as Match;
        if (matchMatches(m, s)) {
          clauseMatch = true;
          break;
        }
      }
      if (!clauseMatch) {
        ruleMatch = false;
        break;
      }
    }
    if (ruleMatch) return true;
  }
  return false;
}

function dryRunDecisions(policies: readonly Policy[], s: Subject): readonly DryRunDecision[] {
  let out: DryRunDecision[] | undefined;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as Policy;
    if (!p.dryRun) continue;
    const matches = policyMatches(p, s);
    (out ??= []).push({ policy: p.key, wouldAllow: p.action === 'ALLOW' ? matches : !matches });
  }
  return out ?? NO_DRY_RUN;
}

function decide(allowed: boolean, reason: string, policy: string | undefined, dryRuns: readonly DryRunDecision[]): Decision {
  return policy === undefined ? { allowed, reason, dryRunDecisions: dryRuns } : { allowed, reason, policy, dryRunDecisions: dryRuns };
}

/**
 * Decides one connection against the policies that apply to its destination (applicablePolicies()).
 * Never throws for any input of the declared types. A connection whose address a policy needs but
 * cannot be parsed is denied (fail closed) with reason `invalid connection address: ...`.
 */
export function evaluate(policies: readonly Policy[], conn: ConnectionAttributes): Decision {
  if (policies.length === 0) return NO_POLICIES;
  const s = subject;
  s.reset(conn);
  let result: Decision;
  let denied: Policy | undefined;
  let hasAllow = false;
  let hasEnforced = false;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as Policy;
    if (p.dryRun) continue;
    hasEnforced = true;
    if (p.action === 'ALLOW') hasAllow = true;
    else if (policyMatches(p, s)) {
      denied = p;
      break;
    }
  }
  let allowedBy: Policy | undefined;
  if (denied === undefined && hasAllow) {
    for (let i = 0; i < policies.length; i++) {
      const p = policies[i] as Policy;
      if (!p.dryRun && p.action === 'ALLOW' && policyMatches(p, s)) {
        allowedBy = p;
        break;
      }
    }
  }
  // Taken before the dry-run policies run: they must not change the decision, not even this way.
  const badAddress = s.badAddress;
  const dryRuns = dryRunDecisions(policies, s);
  if (badAddress !== undefined) {
    result = decide(false, REASON_BAD_ADDRESS_PREFIX + badAddress, undefined, dryRuns);
  } else if (denied !== undefined) {
    result = decide(false, REASON_DENIED_PREFIX + denied.key, denied.key, dryRuns);
  } else if (!hasAllow) {
    result = dryRuns === NO_DRY_RUN ? (hasEnforced ? NO_ALLOW_POLICIES : NO_POLICIES) : decide(true, hasEnforced ? REASON_NO_ALLOW_POLICIES : REASON_NO_POLICIES, undefined, dryRuns);
  } else if (allowedBy !== undefined) {
    result = decide(true, REASON_ALLOWED_PREFIX + allowedBy.key, allowedBy.key, dryRuns);
  } else {
    result = dryRuns === NO_DRY_RUN ? NOT_ALLOWED : decide(false, REASON_NOT_ALLOWED, undefined, dryRuns);
  }
  s.clear();
  return result;
}
