// v1 ServiceAccount: a name, which becomes the workload identity
// spiffe://<trust-domain>/ns/<namespace>/sa/<name>. It has no spec.
import { dns1123Subdomain } from '../names.ts';
import type { ResourceBase } from '../types.ts';
import type { KindDef } from './kind.ts';

export type ServiceAccountSpec = Record<string, never>;
export type ServiceAccount = ResourceBase<'ServiceAccount', ServiceAccountSpec>;

export const serviceAccountKind: KindDef<ServiceAccount> = {
  kind: 'ServiceAccount',
  apiVersions: ['v1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { secrets: 'ignore', imagePullSecrets: 'ignore', automountServiceAccountToken: 'ignore' },
  readSpec: () => ({}),
  encode: () => ({}),
};
