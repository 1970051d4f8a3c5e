// @ambit/nft: nftables rule builder and applier (layer L3). Today: the in-pod capture rules and
// policy routing that the CNI agent installs in an enrolled pod's network namespace.
export { INPOD_DEFAULTS, INPOD_TABLE, MARK_MASK, ROUTE_TABLE, RULE_PRIORITY, resolveInpodConfig, type InpodConfig, type ResolvedInpodConfig } from './config.ts';
export { NftErrorCode } from './errors.ts';
export { renderInpodRules } from './inpod-rules.ts';
export { renderInpodRouting, planRouting, parseRoutingState, type IpFamily, type IpRule, type FamilyRoutingState, type RoutingState, type RoutingBatch } from './inpod-routing.ts';
export { applyInpod, removeInpod, inpodInstalled } from './inpod.ts';
export { nftInNetns, nftListTable, describeNftError } from './nft.ts';
export { compileNetworkPolicies, applyNetworkPolicies, NETPOL_TABLE, NETPOL_EGRESS_PRIORITY, NETPOL_INGRESS_PRIORITY, type NodePolicyInput, type CompiledNetworkPolicies, type Verdict, type PolicyPod, type Direction, type PolicyProtocol } from './netpol/index.ts';
export { decodePolicyWorkload, decodeNetworkPolicy, decodeCalicoPolicy, decodeCalicoTier, ipFromBytes, type ViewPod } from './netpol/index.ts';
export { createPolicyEvaluator, parseNftCounters, readNetpolCounters, HBONE_PORT, type PolicyEvaluator, type PolicyQuery, type CalicoTier, type CalicoPolicy, type CounterValue, type NetpolCounter } from './netpol/index.ts';
