// The one semantics engine: what the policies of one pod decide, in one direction, for one new
// connection. `explain` (compile.ts) and the ztunnel's evaluator (createPolicyEvaluator) both
// call `decide`; the renderer builds its chains from the same ordered tiers (PolicyIndex.tiersFor).
import type { NetworkPolicy } from '@ambit/api';
import { byOrderThenName, calicoRuleMatches, resolveTiers, tieredCalicoPolicy, tieredKubernetesPolicy } from './calico.ts';
import type { CalicoPolicy, CalicoTier, Connection, ResolvedTier, TieredPolicy } from './calico.ts';
import { formatIp, parseIp } from './ip.ts';
import { peerMatchesAddress, portMatches } from './model.ts';
import type { Direction, PolicyPod } from './model.ts';
import { validatePolicies } from './validate.ts';

export interface Verdict {
  allowed: boolean;
  /** Which policy and rule decided, the end of which tier dropped it, or "not isolated". */
  reason: string;
}

/** The tiers that apply to a pod in one direction, in evaluation order, each with its policies in order. */
export interface AppliedTier {
  tier: ResolvedTier;
  policies: TieredPolicy[];
}

/** Every policy in Calico's model, and per pod and direction the tiers that apply (built lazily, cached). */
export class PolicyIndex {
  readonly policies: TieredPolicy[];
  readonly tiers: Map<string, ResolvedTier>;
  private readonly cache = new Map<string, Record<Direction, AppliedTier[] | undefined>>();
  private readonly byNamespace = new Map<string, TieredPolicy[]>();
  private readonly global: TieredPolicy[] = [];

  constructor(policies: NetworkPolicy[], calicoPolicies: CalicoPolicy[] | undefined, tiers: CalicoTier[] | undefined) {
    this.tiers = resolveTiers(tiers);
    this.policies = [...policies.map(tieredKubernetesPolicy), ...(calicoPolicies ?? []).map(tieredCalicoPolicy)];
    for (const p of this.policies) {
      if (p.namespace === undefined) this.global.push(p);
      else {
        const list = this.byNamespace.get(p.namespace) ?? [];
        list.push(p);
        this.byNamespace.set(p.namespace, list);
      }
    }
  }

  /** The tiers with at least one policy applying to `pod` in `direction`, in tier order; [] = not isolated. */
  tiersFor(pod: PolicyPod, direction: Direction): AppliedTier[] {
    let entry = this.cache.get(pod.key);
    if (entry === undefined) {
      entry = { ingress: undefined, egress: undefined };
      this.cache.set(pod.key, entry);
    }
    const cached = entry[direction];
    if (cached !== undefined) return cached;
    const candidates = [...(this.byNamespace.get(pod.namespace) ?? []), ...this.global];
    const byTier = new Map<string, TieredPolicy[]>();
    for (const p of candidates) {
      if (!p.appliesTo(pod, direction)) continue;
      const list = byTier.get(p.tier) ?? [];
      list.push(p);
      byTier.set(p.tier, list);
    }
    const applied: AppliedTier[] = [];
    for (const [name, list] of byTier) {
      // A tier not (yet) received: after every known tier, dropping what its policies leave undecided
      // (fail closed; the policy is not dropped and the other policies still compile).
      const tier = this.tiers.get(name) ?? { name, order: Infinity, defaultAction: 'Deny' as const };
      applied.push({ tier, policies: list.sort(byOrderThenName) });
    }
    applied.sort((a, b) => byOrderThenName({ order: a.tier.order, sortName: a.tier.name }, { order: b.tier.order, sortName: b.tier.name }));
    entry[direction] = applied;
    return applied;
  }
}

/**
 * Calico's evaluation (reference 4.3) of one direction of one connection for `subject`: tiers in
 * order, policies in order, rules in order; Allow/Deny end it, Log goes on, Pass skips to the next
 * tier; a tier whose policies took no action drops (defaultAction Deny) or passes on; past every
 * tier the namespace profile allows. Kubernetes rules are Allow rules in tier default.
 */
export function decide(index: PolicyIndex, direction: Direction, subject: PolicyPod, c: Connection): Verdict {
  const who = `${direction} of ${subject.key}`;
  const tiers = index.tiersFor(subject, direction);
  if (tiers.length === 0) return { allowed: true, reason: `${who}: not isolated` };
  const remoteIp = direction === 'ingress' ? c.srcIp : c.dstIp;
  const remote = direction === 'ingress' ? c.srcPod : c.dstPod;
  const passed: string[] = [];
  tiers: for (const { tier, policies } of tiers) {
    for (const p of policies) {
      for (const rule of p.rules(direction)) {
        const where = `${p.key} ${direction}[${rule.index}]`;
        let matched: boolean;
        if ('k8s' in rule) {
          const ns = p.namespace ?? '';
          const peerOk = rule.k8s.peers === undefined || rule.k8s.peers.some((peer) => peerMatchesAddress(peer, ns, remoteIp, remote));
          matched = peerOk && (rule.k8s.ports.length === 0 || rule.k8s.ports.some((e) => portMatches(e, c.protocol, c.port, c.dstPod)));
        } else matched = calicoRuleMatches(rule.calico, p.namespace, c);
        if (!matched) continue;
        if (rule.action === 'Allow') return { allowed: true, reason: `${who}: allowed by ${where}` };
        if (rule.action === 'Deny') return { allowed: false, reason: `${who}: Deny by ${where}` };
        if (rule.action === 'Pass') {
          passed.push(`Pass by ${where}`);
          continue tiers;
        }
        // Log: logged, evaluation goes on with the next rule
      }
    }
    if (tier.defaultAction === 'Pass') {
      passed.push(`tier ${tier.name} passes by default`);
      continue;
    }
    const keys = policies.map((p) => p.key).join(', ');
    return { allowed: false, reason: `${who}: default deny (isolated by ${keys}; no rule allows it; end of tier ${tier.name})` };
  }
  return { allowed: true, reason: `${who}: ${passed.join(', ')}; no later tier applies, the profile allows` };
}

export interface PolicyEvaluatorInput {
  allPods: PolicyPod[];
  policies: NetworkPolicy[];
  calicoPolicies?: CalicoPolicy[];
  tiers?: CalicoTier[];
}

export interface PolicyQuery {
  /** egress: `podIp` is the source, `remoteIp` the destination; ingress: `podIp` is the destination. */
  direction: Direction;
  podIp: string;
  remoteIp: string;
  /** The destination port of the inner connection. */
  port: number;
  /** TCP, UDP, SCTP (any case). */
  protocol: string;
}

export interface PolicyEvaluator {
  /** The decision of the pod owning `podIp` for one new connection; a non-pod address is not isolated. */
  evaluate: (q: PolicyQuery) => Verdict;
}

/** Pods by normalized address. */
export function podsByIp(pods: PolicyPod[]): (ip: string) => PolicyPod | undefined {
  const byIp = new Map<string, PolicyPod>();
  for (const pod of pods) for (const ip of pod.ips) byIp.set(normalizeIp(ip), pod);
  return (ip) => byIp.get(normalizeIp(ip));
}

export function normalizeIp(ip: string): string {
  const parsed = parseIp(ip);
  return parsed === undefined ? ip : formatIp(parsed.family, parsed.value);
}

/**
 * For the ztunnel: the same semantics as `explain`, one direction of one pod at a time. Input is
 * validated like compileNetworkPolicies' (AMBIT_NFT_INVALID_POLICY_INPUT). A query costs the rules
 * of the policies applying to that pod: each pod's ordered tiers are computed once, on first use.
 */
export function createPolicyEvaluator(input: PolicyEvaluatorInput): PolicyEvaluator {
  validatePolicies(input.allPods, input.policies, input.calicoPolicies ?? [], input.tiers ?? []);
  const index = new PolicyIndex(input.policies, input.calicoPolicies, input.tiers);
  const owner = podsByIp(input.allPods);
  return {
    evaluate(q) {
      const subject = owner(q.podIp);
      if (subject === undefined) return { allowed: true, reason: `${q.direction}: ${q.podIp} is not a pod, no policy applies` };
      const remote = owner(q.remoteIp);
      const protocol = q.protocol.toUpperCase();
      const c: Connection =
        q.direction === 'egress'
          ? { srcIp: q.podIp, srcPod: subject, dstIp: q.remoteIp, dstPod: remote, port: q.port, protocol }
          : { srcIp: q.remoteIp, srcPod: remote, dstIp: q.podIp, dstPod: subject, port: q.port, protocol };
      return decide(index, q.direction, subject, c);
    },
  };
}
