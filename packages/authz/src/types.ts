// Domain types of the L4 policy engine. They are what an `istio.security.Authorization` resource
// becomes once validated at the xDS boundary (convert.ts); evaluation never sees protobuf objects.
// Shapes follow ztunnel's src/rbac.rs (Authorization -> rules -> clauses -> matches), in camelCase.

/** The peer's SPIFFE identity, `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export interface Identity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  /** The full SPIFFE ID, `spiffe://` included. Principals are matched against it without the scheme. */
  uri: string;
}

/** What the ztunnel knows about an inbound connection when it authorizes it. */
export interface ConnectionAttributes {
  /** Peer identity from mTLS; undefined for plaintext (no HBONE, no client certificate). */
  source?: Identity | undefined;
  sourceIp: string;
  destinationIp: string;
  /** The real target port (the CONNECT authority's port), never 15008. */
  destinationPort: number;
}

export type Scope = 'GLOBAL' | 'NAMESPACE' | 'WORKLOAD_SELECTOR';
export type Action = 'ALLOW' | 'DENY';

/** istio.security.StringMatch: exact, prefix, suffix, or presence (any non-empty value; `value` is ''). */
export interface StringMatch {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'presence';
  readonly value: string;
}

/**
 * A CIDR block, host bits cleared. `words` and `masks` hold the address as big-endian 32-bit words:
 * one word for IPv4, four for IPv6. IPv4-mapped IPv6 blocks (`::ffff:a.b.c.d/96+n`) are stored as
 * the IPv4 block `a.b.c.d/n` (see ip.ts).
 */
export interface Cidr {
  readonly family: 4 | 6;
  readonly prefixLength: number;
  readonly words: Uint32Array;
  readonly masks: Uint32Array;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`; for messages and dumps. */
  readonly text: string;
}

/** istio.security.ServiceAccountMatch: both parts compared exactly; the trust domain is not compared. */
export interface ServiceAccountMatch {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * istio.security.Match. Field types are AND-ed, the values of one field OR-ed; a `not*` field holds
 * when none of its values matches. A Match whose every list is empty matches nothing (ztunnel skips it).
 */
export interface Match {
  readonly namespaces: readonly StringMatch[];
  readonly notNamespaces: readonly StringMatch[];
  readonly principals: readonly StringMatch[];
  readonly notPrincipals: readonly StringMatch[];
  readonly sourceIps: readonly Cidr[];
  readonly notSourceIps: readonly Cidr[];
  readonly destinationIps: readonly Cidr[];
  readonly notDestinationIps: readonly Cidr[];
  readonly destinationPorts: readonly number[];
  readonly notDestinationPorts: readonly number[];
  readonly serviceAccounts: readonly ServiceAccountMatch[];
  readonly notServiceAccounts: readonly ServiceAccountMatch[];
}

/** istio.security.Clause: matches OR-ed; a clause with no matches holds. */
export interface Clause {
  readonly matches: readonly Match[];
}

/** istio.security.Rule: clauses AND-ed; a rule with no clauses matches every connection. */
export interface Rule {
  readonly clauses: readonly Clause[];
}

/** A validated istio.security.Authorization. Rules are OR-ed; no rules matches nothing. */
export interface Policy {
  /** `namespace/name`, the xDS resource name and the key Workload.authorization_policies uses. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly scope: Scope;
  readonly action: Action;
  readonly dryRun: boolean;
  readonly rules: readonly Rule[];
}

/** The part of a Workload that decides which selector policies apply to it. */
export interface WorkloadRef {
  readonly namespace: string;
  /** Workload.authorization_policies: keys (`namespace/name`) of the WORKLOAD_SELECTOR policies selecting it. */
  readonly authorizationPolicies: readonly string[];
}

export interface DryRunDecision {
  readonly policy: string;
  /** DENY: the policy does not match. ALLOW: the policy matches. */
  readonly wouldAllow: boolean;
}

export interface Decision {
  readonly allowed: boolean;
  /** ztunnel's wording where it has one: `explicitly denied by: ns/name`, `allow policies exist, but none allowed`. */
  readonly reason: string;
  /** Key of the policy that decided (the matching DENY or ALLOW), when one did. */
  readonly policy?: string;
  /** One entry per applicable dry-run policy, in input order; a shared empty array when there are none. */
  readonly dryRunDecisions: readonly DryRunDecision[];
}
