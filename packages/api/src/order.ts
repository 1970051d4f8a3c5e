// Identity and ordering of resources.
import { kindDef } from './kinds/registry.ts';
import type { Resource } from './resource.ts';

/** Whether a kind lives in a namespace. Unknown kinds count as namespaced, as most kinds are. */
export function isNamespaced(kind: string, apiVersion?: string): boolean {
  return kindDef(kind, apiVersion)?.namespaced ?? true;
}

/**
 * `Kind/namespace/name` for namespaced kinds, `Kind/name` for cluster-scoped ones. A kind whose
 * name another API group also uses is qualified by its group when the apiVersion says so
 * (`NetworkPolicy.projectcalico.org/ns/name`), so the two never collide.
 */
export function resourceKey(r: { kind: string; apiVersion?: string; metadata: { name: string; namespace?: string } }): string {
  const def = kindDef(r.kind, r.apiVersion);
  const kind = def && r.apiVersion !== undefined && def.apiVersions.includes(r.apiVersion) ? (def.keyKind ?? r.kind) : r.kind;
  if (!isNamespaced(r.kind, r.apiVersion)) return `${kind}/${r.metadata.name}`;
  return `${kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

const POLICY_KINDS: readonly string[] = ['AuthorizationPolicy', 'PeerAuthentication', 'NetworkPolicy', 'GlobalNetworkPolicy', 'Tier', 'DestinationRule'];

/**
 * Namespaces, then ServiceAccounts, then policy (AuthorizationPolicy, PeerAuthentication, both
 * NetworkPolicy kinds, GlobalNetworkPolicy, Tier, DestinationRule: before the workloads they govern,
 * so a new pod is isolated before it starts), then Gateways, then HTTPRoutes (which attach to
 * them), then everything else (Pods, Services, Deployments). Stable within each group.
 */
export function applyOrder(resources: Resource[]): Resource[] {
  const rank = (r: Resource): number => {
    if (r.kind === 'Namespace') return 0;
    if (r.kind === 'ServiceAccount') return 1;
    if (POLICY_KINDS.includes(r.kind)) return 2;
    if (r.kind === 'Gateway') return 3;
    if (r.kind === 'HTTPRoute') return 4;
    return 5;
  };
  return resources
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
}
