// Which parts of an AuthorizationPolicy rule a ztunnel cannot see: it works on L4 connections
// (peer identity, addresses, ports), so HTTP attributes, request principals, remote IPs, trust
// domains and most `when` keys need a waypoint (Istio reference, section 6.1). Shared by the
// control plane's converter and by `ambit analyze`, so both always agree.
import type { AuthorizationRule } from './kinds/authorization-policy.ts';

export const ZTUNNEL_UNSUPPORTED_SOURCE = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks', 'trustDomains', 'notTrustDomains'] as const;
export const ZTUNNEL_UNSUPPORTED_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
/** `when` keys ztunnel evaluates; every other key needs a waypoint. */
export const ZTUNNEL_WHEN_KEYS: ReadonlySet<string> = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);

/** The fields of a rule a ztunnel cannot enforce, by name (`methods`, `request.headers[x]`, ...). */
export function ztunnelUnsupportedFields(rule: AuthorizationRule): string[] {
  const found: string[] = [];
  for (const from of rule.from ?? []) for (const f of ZTUNNEL_UNSUPPORTED_SOURCE) if (from.source?.[f]?.length) found.push(f);
  for (const to of rule.to ?? []) for (const f of ZTUNNEL_UNSUPPORTED_OPERATION) if (to.operation?.[f]?.length) found.push(f);
  for (const c of rule.when ?? []) if (!ZTUNNEL_WHEN_KEYS.has(c.key)) found.push(c.key);
  return found;
}
