// NetworkPolicy (and Calico policy) for the inner connection of HBONE. Between meshed pods the
// kernel only sees `src -> dst:15008`, so the node's nftables rules admit HBONE as far as some
// policy admits some TCP port to that pod (packages/nft/README.md, "Mesh-aware"); the exact port
// is decided here, against the inner destination port, before any byte reaches the app:
//   - outbound, before opening a stream: the SOURCE pod's egress policy;
//   - inbound, on CONNECT: the DESTINATION pod's ingress policy.
// Same semantics engine as the CNI agent (@ambit/nft createPolicyEvaluator) from the same policy
// view, so the kernel and the ztunnel cannot disagree. Established connections are not re-judged
// when policy changes, exactly as conntrack keeps established flows in the kernel.
import type { Logger } from '@ambit/core';
import { createPolicyEvaluator, type CalicoPolicy, type CalicoTier, type PolicyEvaluator, type Verdict, type ViewPod } from '@ambit/nft';
import type { NetworkPolicy } from '@ambit/api';

export class NetworkPolicyGuard {
  private pods: ViewPod[] = [];
  private policies: NetworkPolicy[] = [];
  private calico: CalicoPolicy[] = [];
  private tiers: CalicoTier[] = [];
  /** The last evaluator built from a usable view. */
  private evaluator: PolicyEvaluator | undefined;
  private stale = true;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  setPods(pods: Iterable<ViewPod>): void {
    this.pods = [...pods];
    this.stale = true;
  }

  setNetworkPolicies(policies: Iterable<NetworkPolicy>): void {
    this.policies = [...policies];
    this.stale = true;
  }

  setCalicoPolicies(policies: Iterable<CalicoPolicy>): void {
    this.calico = [...policies];
    this.stale = true;
  }

  setTiers(tiers: Iterable<CalicoTier>): void {
    this.tiers = [...tiers];
    this.stale = true;
  }

  /** True when no policy of any kind exists: every check is skipped (the common case costs nothing). */
  get empty(): boolean {
    return this.policies.length === 0 && this.calico.length === 0;
  }

  /**
   * The decision for a new inner TCP connection. `podIp` is the pod whose side is judged (the
   * source for egress, the destination for ingress), `remoteIp` the other end.
   */
  check(direction: 'ingress' | 'egress', podIp: string, remoteIp: string, port: number): Verdict {
    if (this.empty) return { allowed: true, reason: 'no NetworkPolicy' };
    if (this.stale) {
      this.stale = false;
      try {
        this.evaluator = createPolicyEvaluator({ allPods: this.pods, policies: this.policies, calicoPolicies: this.calico, tiers: this.tiers });
      } catch (error) {
        // The compiler refuses inconsistent input as a whole; the CNI agent then keeps the node's
        // last good table in the kernel, and the ztunnel keeps its last good evaluator likewise.
        this.logger.error({ err: String(error) }, 'NetworkPolicy view unusable: keeping the last good policy');
      }
    }
    return this.evaluator?.evaluate({ direction, podIp, remoteIp, port, protocol: 'TCP' }) ?? { allowed: true, reason: 'no usable NetworkPolicy yet' };
  }
}
