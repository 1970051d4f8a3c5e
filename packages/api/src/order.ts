// Identity and ordering of resources.
import { kindDef } from './kinds/registry.ts';
import type { Resource } from './resource.ts';

/** Whether a kind lives in a namespace. Unknown kinds count as namespaced, as most kinds are. */
export function isNamespaced(kind: string): boolean {
  return kindDef(kind)?.namespaced ?? true;
}

/** `Kind/namespace/name` for namespaced kinds, `Kind/name` for cluster-scoped ones. */
export function resourceKey(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
  if (!isNamespaced(r.kind)) return `${r.kind}/${r.metadata.name}`;
  return `${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

/** Namespaces first, then ServiceAccounts, then everything else; stable within each group. */
export function applyOrder(resources: Resource[]): Resource[] {
  const rank = (r: Resource): number => (r.kind === 'Namespace' ? 0 : r.kind === 'ServiceAccount' ? 1 : 2);
  return resources
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
}
