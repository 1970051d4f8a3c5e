// Policies by key, indexed the way ztunnel's PolicyStore is (src/state/policy.rs): NAMESPACE ones by
// their namespace, GLOBAL ones apart, WORKLOAD_SELECTOR ones only by key (a workload lists the keys
// that select it in Workload.authorization_policies).
import type { Policy, WorkloadRef } from './types.ts';

interface CachedSet {
  version: number;
  rootNamespace: string;
  policies: readonly Policy[];
}

export class PolicyStore {
  /** Bumped on every change; applicablePolicies() results are cached per workload and version. */
  version = 0;
  readonly #byKey = new Map<string, Policy>();
  /** NAMESPACE-scoped keys by namespace. */
  readonly #namespaced = new Map<string, Set<string>>();
  /** GLOBAL-scoped keys by the namespace they live in (only the root namespace's apply). */
  readonly #global = new Map<string, Set<string>>();
  /** Per WorkloadRef object (workload objects are immutable and replaced on update). */
  readonly #cache = new WeakMap<WorkloadRef, CachedSet>();

  upsert(policy: Policy): void {
    this.#unindex(policy.key);
    this.#byKey.set(policy.key, policy);
    const index = policy.scope === 'NAMESPACE' ? this.#namespaced : policy.scope === 'GLOBAL' ? this.#global : undefined;
    if (index) {
      let keys = index.get(policy.namespace);
      if (!keys) index.set(policy.namespace, (keys = new Set()));
      keys.add(policy.key);
    }
    this.version++;
  }

  remove(key: string): void {
    if (!this.#byKey.has(key)) return;
    this.#unindex(key);
    this.#byKey.delete(key);
    this.version++;
  }

  get(key: string): Policy | undefined {
    return this.#byKey.get(key);
  }

  all(): Policy[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** See applicablePolicies(). */
  applicable(workload: WorkloadRef, rootNamespace: string): readonly Policy[] {
    const cached = this.#cache.get(workload);
    if (cached && cached.version === this.version && cached.rootNamespace === rootNamespace) return cached.policies;
    const out: Policy[] = [];
    // ztunnel's order: the workload's namespace, then global, then the workload's own list. Order
    // only decides which of several matching policies a decision names.
    this.#collect(this.#namespaced.get(workload.namespace), out);
    this.#collect(this.#global.get(rootNamespace), out);
    for (const key of workload.authorizationPolicies) {
      const policy = this.#byKey.get(key);
      // Unknown keys are skipped (ztunnel: "skipping unknown policy"; the resource may not have
      // arrived yet). Only selector policies are taken from the list: the others already apply by
      // scope, or belong to another namespace.
      if (policy?.scope === 'WORKLOAD_SELECTOR') out.push(policy);
    }
    const policies = Object.freeze(out);
    this.#cache.set(workload, { version: this.version, rootNamespace, policies });
    return policies;
  }

  #collect(keys: Set<string> | undefined, out: Policy[]): void {
    if (!keys) return;
    for (const key of keys) {
      const policy = this.#byKey.get(key);
      if (policy) out.push(policy);
    }
  }

  #unindex(key: string): void {
    const old = this.#byKey.get(key);
    if (!old) return;
    const index = old.scope === 'NAMESPACE' ? this.#namespaced : old.scope === 'GLOBAL' ? this.#global : undefined;
    const keys = index?.get(old.namespace);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) index?.delete(old.namespace);
  }
}

/**
 * The policies that apply to a destination workload (ztunnel src/state.rs::assert_rbac): GLOBAL
 * policies of the root namespace, NAMESPACE policies of the workload's namespace, and the
 * WORKLOAD_SELECTOR policies whose keys the workload lists. ztunnel applies GLOBAL policies from any
 * namespace; istiod only makes root-namespace policies GLOBAL, so we require it and ignore a GLOBAL
 * policy elsewhere. The result is frozen and cached until the store or the workload object changes.
 */
export function applicablePolicies(store: PolicyStore, workload: WorkloadRef, rootNamespace: string): readonly Policy[] {
  return store.applicable(workload, rootNamespace);
}
