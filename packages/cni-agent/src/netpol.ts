// NetworkPolicy and Calico policy for the pods of this node: the control plane's policy view + the
// pods the CNI plugin wired here (their host veths) -> one `inet ambit-netpol` table, replaced in
// one `nft -f` transaction per change. Changes arriving while a transaction runs are coalesced
// into the next one; a ruleset equal to the one in the kernel is not loaded again.
import { errorMessage, type Logger } from '@ambit/core';
import { applyNetworkPolicies, compileNetworkPolicies, readNetpolCounters, type CalicoTier, type CompiledNetworkPolicies, type NodePolicyInput, type PolicyPod, type Verdict, type ViewPod } from '@ambit/nft';
import type { CalicoNetworkPolicy, GlobalNetworkPolicy, NetworkPolicy } from '@ambit/api';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';
import type { AgentMetrics } from './metrics.ts';

/** A pod the plugin wired on this node. */
export interface LocalPod {
  uid: string;
  namespace: string;
  name: string;
  ips: readonly string[];
  hostVeth?: string;
}

export interface NetpolOptions {
  logger: Logger;
  metrics: AgentMetrics;
  /** Loads a ruleset into the node's kernel (default: applyNetworkPolicies in this process's netns). */
  load?: (ruleset: string) => Promise<void>;
  /**
   * Reads the drop counters of the table: counter name -> packets. Default: the table in this
   * process's netns, unless `load` is injected (then there is no kernel table to read).
   */
  readCounters?: () => Promise<Map<string, number>>;
  /** Failed loads are retried after this long (doubling to 30 s). Default 200. */
  retryMs?: number;
}

export interface NetpolDebug {
  /** Inputs changed and not yet in the kernel (always true before the first complete view). */
  dirty: boolean;
  synced: boolean;
  generation: number;
  appliedGeneration: number;
  rules: number;
  policies: { kubernetes: number; calico: number; tiers: number };
  pods: { local: number; cluster: number; isolated: number };
  lastApplyMs?: number;
  lastAppliedAt?: string;
  lastError?: string;
}

type CalicoPolicy = GlobalNetworkPolicy | CalicoNetworkPolicy;

export class NetpolEnforcer {
  private readonly logger: Logger;
  private readonly metrics: AgentMetrics;
  private readonly load: (ruleset: string) => Promise<void>;
  private readonly readCounters: (() => Promise<Map<string, number>>) | undefined;
  private readonly retryMs: number;

  private cluster: ViewPod[] = [];
  private policies: NetworkPolicy[] = [];
  private calico: CalicoPolicy[] = [];
  private tiers: CalicoTier[] = [];
  private local = new Map<string, LocalPod>();
  /** Bumped by every input change; a transaction covers the generation it started from. */
  private generation = 0;
  private appliedGeneration = 0;
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /**
   * Nothing is loaded before the first complete view: a restarted agent would otherwise replace
   * the kernel's good table with one compiled from no policies, opening every pod until xDS
   * delivers them.
   */
  private synced = false;
  private loaded = '';
  private compiled: CompiledNetworkPolicies | undefined;
  private lastApplyMs: number | undefined;
  private lastAppliedAt: string | undefined;
  private lastError: string | undefined;
  private readonly waiters = new Set<{ generation: number; resolve: () => void }>();
  /** Counter readings at the last table replacement, so the exported totals never go down. */
  private readonly carried = new Map<string, number>();
  private counterLabels = new Map<string, { pod: string; direction: string; policy: string }>();

  constructor(options: NetpolOptions) {
    this.logger = options.logger.child({ scope: 'netpol' });
    this.metrics = options.metrics;
    // The agent runs in the node's network namespace: the table lives in its own.
    const ownNetns = `/proc/${process.pid}/ns/net`;
    this.load = options.load ?? ((ruleset) => applyNetworkPolicies(ownNetns, ruleset));
    this.readCounters =
      options.readCounters ?? (options.load === undefined ? async () => new Map([...(await readNetpolCounters(ownNetns))].map(([name, v]) => [name, v.packets])) : undefined);
    this.retryMs = options.retryMs ?? 200;
  }

  setClusterPods(pods: Iterable<ViewPod>): void {
    this.cluster = [...pods];
    this.changed();
  }

  setNetworkPolicies(policies: Iterable<NetworkPolicy>): void {
    this.policies = [...policies];
    this.changed();
  }

  setCalicoPolicies(policies: Iterable<CalicoPolicy>): void {
    this.calico = [...policies];
    this.changed();
  }

  setTiers(tiers: Iterable<CalicoTier>): void {
    this.tiers = [...tiers];
    this.changed();
  }

  /** The pods the plugin wired here; called by the agent whenever that set changes. */
  setLocalPods(pods: Iterable<LocalPod>): void {
    const next = new Map<string, LocalPod>();
    for (const p of pods) next.set(p.uid, p);
    if (sameLocal(this.local, next)) return;
    this.local = next;
    this.changed();
  }

  /** Resolves once every input known now is in the kernel (or rejects after `timeoutMs`). */
  settled(timeoutMs: number): Promise<void> {
    const generation = this.generation;
    if (this.appliedGeneration >= generation) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        generation,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(agentError(CNI_AGENT_ERROR_CODES.NETPOL_NOT_APPLIED, `the node's NetworkPolicy rules were not in the kernel within ${timeoutMs}ms${this.lastError === undefined ? '' : ` (last error: ${this.lastError})`}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** What the policies decide for a new connection, from the rules the kernel has now. */
  explain(fromIp: string, toIp: string, port: number, protocol: string): Verdict & { from?: string; to: string } {
    const compiled = this.compiled ?? compileNetworkPolicies(this.input());
    const to = this.cluster.find((p) => p.ips.includes(toIp));
    if (to === undefined) throw agentError(CNI_AGENT_ERROR_CODES.BAD_REQUEST, `no pod has the address ${toIp}`);
    const from = this.cluster.find((p) => p.ips.includes(fromIp));
    return { ...compiled.explain({ ip: fromIp }, to, port, protocol), to: to.key, ...(from === undefined ? {} : { from: from.key }) };
  }

  debug(): NetpolDebug {
    // dirty until synced: `lab apply` must not take a starting agent's empty view for the kernel's.
    const isolated = this.compiled === undefined ? 0 : new Set(this.compiled.counters.filter((c) => c.policy === 'default-deny').map((c) => c.pod)).size;
    return {
      dirty: !this.synced || this.appliedGeneration < this.generation,
      synced: this.synced,
      generation: this.generation,
      appliedGeneration: this.appliedGeneration,
      rules: this.compiled?.ruleCount ?? 0,
      policies: { kubernetes: this.policies.length, calico: this.calico.length, tiers: this.tiers.length },
      pods: { local: this.local.size, cluster: this.cluster.length, isolated },
      ...(this.lastApplyMs === undefined ? {} : { lastApplyMs: this.lastApplyMs }),
      ...(this.lastAppliedAt === undefined ? {} : { lastAppliedAt: this.lastAppliedAt }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** The kernel's drop counters, accumulated across table replacements: one entry per counter. */
  async drops(): Promise<Array<{ pod: string; direction: string; policy: string; packets: number }>> {
    const now = this.readCounters === undefined ? new Map<string, number>() : await this.readCounters().catch(() => new Map<string, number>());
    const out: Array<{ pod: string; direction: string; policy: string; packets: number }> = [];
    const totals = new Map<string, number>();
    for (const [name, labels] of this.counterLabels) {
      const key = dropKey(labels);
      totals.set(key, (totals.get(key) ?? 0) + (now.get(name) ?? 0));
    }
    for (const [key, carried] of this.carried) totals.set(key, (totals.get(key) ?? 0) + carried);
    for (const [key, packets] of totals) {
      const [pod = '', direction = '', policy = ''] = key.split('\u0000');
      out.push({ pod, direction, policy, packets });
    }
    return out;
  }

  /** The first response of every policy type has arrived: loads may start. */
  markSynced(): void {
    this.synced = true;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
  }

  private changed(): void {
    this.generation++;
    this.kick();
  }

  private input(): NodePolicyInput {
    const byKey = new Map(this.cluster.map((p) => [p.key, p]));
    const byUid = new Map(this.cluster.map((p) => [p.uid, p]));
    const localPods: PolicyPod[] = [];
    for (const l of this.local.values()) {
      // A pod the plugin wired but the view does not know yet (or knows without labels) is left
      // out: the plugin's ADD waits until the view has it (see CniAgent).
      const view = byUid.get(l.uid) ?? byKey.get(`${l.namespace}/${l.name}`);
      if (view === undefined || l.hostVeth === undefined) continue;
      localPods.push({ ...view, ips: [...l.ips], hostVeth: l.hostVeth });
    }
    return { localPods, allPods: this.cluster, policies: this.policies, calicoPolicies: this.calico, tiers: this.tiers };
  }

  /** True when the view knows the local pod (so its isolation can be compiled). */
  knows(uid: string, namespace: string, name: string): boolean {
    return this.cluster.some((p) => p.uid === uid || (p.namespace === namespace && p.name === name));
  }

  private kick(): void {
    if (this.running || this.stopped || !this.synced || this.retryTimer !== undefined) return;
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (!this.stopped && this.appliedGeneration < this.generation && this.retryTimer === undefined) this.kick();
    });
  }

  private async run(): Promise<void> {
    const generation = this.generation;
    const started = performance.now();
    try {
      const compiled = compileNetworkPolicies(this.input());
      if (compiled.ruleset !== this.loaded) {
        const before = this.readCounters === undefined ? undefined : await this.readCounters().catch(() => undefined);
        await this.load(compiled.ruleset);
        this.carry(before);
        this.loaded = compiled.ruleset;
        this.counterLabels = new Map(compiled.counters.map((c) => [c.name, { pod: c.pod, direction: c.direction, policy: c.policy }]));
        this.lastApplyMs = Math.round((performance.now() - started) * 10) / 10;
        this.lastAppliedAt = new Date().toISOString();
        this.metrics.netpolApplySeconds.observe((performance.now() - started) / 1000);
        this.logger.info({ generation, rules: compiled.ruleCount, localPods: this.local.size, ms: this.lastApplyMs }, 'NetworkPolicy rules loaded');
      }
      this.compiled = compiled;
      this.metrics.netpolRules.set(compiled.ruleCount);
      this.metrics.netpolApplies.inc({ result: 'ok' });
      this.appliedGeneration = generation;
      this.failures = 0;
      this.lastError = undefined;
      for (const waiter of [...this.waiters]) {
        if (waiter.generation <= generation) {
          this.waiters.delete(waiter);
          waiter.resolve();
        }
      }
    } catch (error) {
      // The kernel keeps the previous table (nft applies all or nothing): traffic stays governed
      // by the last good policy while this one is retried.
      this.failures++;
      this.lastError = errorMessage(error);
      this.metrics.netpolApplies.inc({ result: 'error' });
      const delay = Math.min(30_000, this.retryMs * 2 ** Math.min(this.failures - 1, 10));
      this.logger.error({ code: CNI_AGENT_ERROR_CODES.NETPOL_NOT_APPLIED, err: this.lastError, retryInMs: delay }, 'NetworkPolicy rules not loaded; the previous rules stay');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
    }
  }

  /** Keeps what the old table's counters counted: the replacement starts its counters at zero. */
  private carry(before: Map<string, number> | undefined): void {
    if (before === undefined) return;
    for (const [name, packets] of before) {
      const labels = this.counterLabels.get(name);
      if (labels === undefined || packets === 0) continue;
      const key = dropKey(labels);
      this.carried.set(key, (this.carried.get(key) ?? 0) + packets);
    }
  }
}

/** One metric series: pod, direction and policy joined (split back in drops()). */
function dropKey(labels: { pod: string; direction: string; policy: string }): string {
  return `${labels.pod}\u0000${labels.direction}\u0000${labels.policy}`;
}

function sameLocal(a: Map<string, LocalPod>, b: Map<string, LocalPod>): boolean {
  if (a.size !== b.size) return false;
  for (const [uid, p] of a) {
    const q = b.get(uid);
    if (q === undefined || q.hostVeth !== p.hostVeth || q.ips.join() !== p.ips.join() || q.name !== p.name || q.namespace !== p.namespace) return false;
  }
  return true;
}
