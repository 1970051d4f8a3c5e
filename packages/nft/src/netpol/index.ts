// NetworkPolicy (networking.k8s.io/v1) for the pods of one node, as one nftables table.
export { compileNetworkPolicies, NETPOL_TABLE, NETPOL_EGRESS_PRIORITY, NETPOL_INGRESS_PRIORITY, type NodePolicyInput, type CompiledNetworkPolicies, type Verdict } from './compile.ts';
export { applyNetworkPolicies } from './apply.ts';
export type { PolicyPod, Direction, Protocol as PolicyProtocol } from './model.ts';
export { decodePolicyWorkload, decodeNetworkPolicy, decodeCalicoPolicy, ipFromBytes, type ViewPod } from './view.ts';
