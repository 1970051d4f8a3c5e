// Kubernetes NetworkPolicies and Calico policies + the cluster's pods -> one nftables table for
// one node (cni-netpol.md sections 4 and 6.2), and `explain`, the same semantics answered for one
// connection. The pieces: calico.ts (the model and matching), evaluate.ts (the decision),
// render.ts (the table), validate.ts (bad input, every problem at once).
import type { NetworkPolicy } from '@ambit/api';
import type { CalicoPolicy, CalicoTier } from './calico.ts';
import { decide, PolicyIndex, podsByIp } from './evaluate.ts';
import type { Verdict } from './evaluate.ts';
import { parseIp } from './ip.ts';
import type { PolicyPod } from './model.ts';
import { natural, renderTable } from './render.ts';
import type { NetpolCounter } from './render.ts';
import { validateNodeInput } from './validate.ts';

export { NETPOL_TABLE, NETPOL_EGRESS_PRIORITY, NETPOL_INGRESS_PRIORITY, NETPOL_PASS_MARK } from './render.ts';
export type { Verdict } from './evaluate.ts';

export interface NodePolicyInput {
  /** The pods of this node, each with its host-side veth. */
  localPods: PolicyPod[];
  /** Every pod of the cluster (the local ones may be repeated here). */
  allPods: PolicyPod[];
  policies: NetworkPolicy[];
  /** projectcalico.org/v3 GlobalNetworkPolicies and NetworkPolicies, evaluated with `policies` in Calico's tier model. */
  calicoPolicies?: CalicoPolicy[];
  /** Tiers other than the built-in `default` (order 1,000,000, defaultAction Deny) that policies name. */
  tiers?: CalicoTier[];
}

export interface CompiledNetworkPolicies {
  /** One nft script that replaces `table inet ambit-netpol` in one transaction. */
  ruleset: string;
  /** What the policies decide for a new (inner) connection from `from.ip` to `to` on `port`/`protocol`. */
  explain: (from: { ip: string }, to: PolicyPod, port: number, protocol: string) => Verdict;
  /** Every named counter of the table: end-of-tier drops per pod, Calico Deny rules. */
  counters: NetpolCounter[];
  /** The number of rules in the table (base, pod, tier and policy chains). */
  ruleCount: number;
}

export function compileNetworkPolicies(input: NodePolicyInput): CompiledNetworkPolicies {
  validateNodeInput(input.localPods, input.allPods, input.policies, input.calicoPolicies ?? [], input.tiers ?? []);
  const pods = unionPods(input);
  const index = new PolicyIndex(input.policies, input.calicoPolicies, input.tiers);
  const localPods = [...input.localPods].sort((a, b) => natural(a.key, b.key));
  const owner = podsByIp(pods);

  const explain = (from: { ip: string }, to: PolicyPod, port: number, anyCaseProtocol: string): Verdict => {
    const protocol = anyCaseProtocol.toUpperCase();
    const source = owner(from.ip);
    const sourceFamily = parseIp(from.ip)?.family;
    const toIp = to.ips.find((ip) => parseIp(ip)?.family === sourceFamily) ?? to.ips[0] ?? '';
    const c = { srcIp: from.ip, srcPod: source, dstIp: toIp, dstPod: to, port, protocol };
    const egress: Verdict = source === undefined ? { allowed: true, reason: `egress: ${from.ip} is not a pod, no egress policy applies` } : decide(index, 'egress', source, c);
    const ingress = decide(index, 'ingress', to, c);
    return { allowed: egress.allowed && ingress.allowed, reason: `${egress.reason}; ${ingress.reason}` };
  };

  const rendered = renderTable(index, localPods, pods);
  return { ruleset: rendered.ruleset, explain, counters: rendered.counters, ruleCount: rendered.ruleCount };
}

function unionPods(input: NodePolicyInput): PolicyPod[] {
  const byKey = new Map<string, PolicyPod>();
  for (const pod of [...input.allPods, ...input.localPods]) if (!byKey.has(pod.key)) byKey.set(pod.key, pod);
  return [...byKey.values()].sort((a, b) => natural(a.key, b.key));
}
