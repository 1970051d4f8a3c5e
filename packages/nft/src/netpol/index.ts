// NetworkPolicy (networking.k8s.io/v1) and Calico policy (projectcalico.org/v3) for the pods of one node, as one nftables table.
export { compileNetworkPolicies, NETPOL_TABLE, NETPOL_EGRESS_PRIORITY, NETPOL_INGRESS_PRIORITY, NETPOL_PASS_MARK, type NodePolicyInput, type CompiledNetworkPolicies, type Verdict } from './compile.ts';
export { applyNetworkPolicies, readNetpolCounters } from './apply.ts';
export type { PolicyPod, Direction, Protocol as PolicyProtocol } from './model.ts';
export { decodePolicyWorkload, decodeNetworkPolicy, decodeCalicoPolicy, decodeCalicoTier, ipFromBytes, type ViewPod } from './view.ts';
export { createPolicyEvaluator, type PolicyEvaluator, type PolicyEvaluatorInput, type PolicyQuery } from './evaluate.ts';
export { HBONE_PORT, type CalicoTier, type CalicoPolicy } from './calico.ts';
export type { NetpolCounter } from './render.ts';
export { parseNftCounters, type CounterValue } from './counters.ts';
