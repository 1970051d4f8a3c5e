// v1 Namespace: cluster-scoped, named by a DNS-1123 label; its labels opt it into the mesh.
import { dns1123Label } from '../names.ts';
import { readObject } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import type { KindDef } from './kind.ts';

export type NamespaceSpec = Record<string, never>;
export type Namespace = ResourceBase<'Namespace', NamespaceSpec>;

export const namespaceKind: KindDef<Namespace> = {
  kind: 'Namespace',
  apiVersions: ['v1'],
  namespaced: false,
  nameRule: dns1123Label,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.get('spec');
    // spec.finalizers is the only field; it is the API server's business.
    if (f) readObject(ctx, f, { finalizers: 'ignore' });
    return {};
  },
  encode: () => ({}),
};
