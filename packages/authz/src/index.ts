// @ambit/authz: the ztunnel's L4 authorization engine. Pure: no I/O, no logging, no globals that
// outlive a call. Resources enter through policyFromResource (the xDS boundary), live in a
// PolicyStore, and connections are decided by evaluate(applicablePolicies(...), conn).
export type {
  Action,
  Cidr,
  Clause,
  ConnectionAttributes,
  Decision,
  DryRunDecision,
  Identity,
  Match,
  Policy,
  Rule,
  Scope,
  ServiceAccountMatch,
  StringMatch,
  WorkloadRef,
} from './types.ts';
export { policyFromResource, type PolicyResult } from './convert.ts';
export { PolicyStore, applicablePolicies } from './store.ts';
export {
  evaluate,
  REASON_ALLOWED_PREFIX,
  REASON_BAD_ADDRESS_PREFIX,
  REASON_DENIED_PREFIX,
  REASON_NO_ALLOW_POLICIES,
  REASON_NO_POLICIES,
  REASON_NOT_ALLOWED,
} from './evaluate.ts';
export { parseCidr, parseIpInto, cidrContains } from './ip.ts';
