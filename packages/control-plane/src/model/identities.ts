// Which SPIFFE identities have pods scheduled on a node: the CA lets a ztunnel impersonate exactly
// these, checked against the model (what the supervisor or API server says), never the caller.
import type { ConfigIndex } from './index-state.ts';
import type { MeshSettings } from './mesh.ts';

export function identitiesOnNode(index: ConfigIndex, mesh: MeshSettings, node: string): Set<string> {
  const identities = new Set<string>();
  for (const pod of index.list('Pod')) {
    if (pod.spec.nodeName !== node) continue;
    const sa = pod.spec.serviceAccountName || 'default';
    identities.add(`spiffe://${mesh.trustDomain}/ns/${pod.metadata.namespace ?? 'default'}/sa/${sa}`);
  }
  return identities;
}
