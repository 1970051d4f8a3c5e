// The registry of kinds Ambit reads. To add a kind: write kinds/<kind>.ts exporting a KindDef,
// list it here, and add its type to the Resource union in ../resource.ts.
import { authorizationPolicyKind } from './authorization-policy.ts';
import { configMapKind } from './config-map.ts';
import { deploymentKind } from './deployment.ts';
import type { KindDef, KindShape } from './kind.ts';
import { destinationRuleKind } from './destination-rule.ts';
import { httpRouteKind } from './http-route.ts';
import { gatewayKind } from './gateway.ts';
import { calicoNetworkPolicyKind, globalNetworkPolicyKind } from './calico-policy.ts';
import { networkPolicyKind } from './network-policy.ts';
import { peerAuthenticationKind } from './peer-authentication.ts';
import { namespaceKind } from './namespace.ts';
import { podKind } from './pod.ts';
import { serviceAccountKind } from './service-account.ts';
import { serviceKind } from './service.ts';
import { tierKind } from './tier.ts';

// Each entry is typed by its own kind; the registry sees them through the common shape.
export const KINDS: readonly KindDef<KindShape>[] = [
  namespaceKind,
  serviceAccountKind,
  podKind,
  serviceKind,
  deploymentKind,
  authorizationPolicyKind,
  peerAuthenticationKind,
  networkPolicyKind,
  calicoNetworkPolicyKind,
  globalNetworkPolicyKind,
  tierKind,
  gatewayKind,
  httpRouteKind,
  destinationRuleKind,
  configMapKind,
];

const byKind = new Map<string, KindDef<KindShape>[]>();
for (const k of KINDS) byKind.set(k.kind, [...(byKind.get(k.kind) ?? []), k]);

/**
 * The definition of a kind. Two API groups may serve a kind of the same name (NetworkPolicy in
 * networking.k8s.io and projectcalico.org): the apiVersion picks one; without a match (or without
 * an apiVersion) the first registered wins.
 */
export function kindDef(kind: string, apiVersion?: string): KindDef<KindShape> | undefined {
  const defs = byKind.get(kind) ?? [];
  return defs.find((d) => apiVersion !== undefined && d.apiVersions.includes(apiVersion)) ?? defs[0];
}

/** Every apiVersion some definition of this kind is served under. */
export function servedApiVersions(kind: string): string[] {
  return (byKind.get(kind) ?? []).flatMap((d) => d.apiVersions);
}

export function knownKinds(): string[] {
  return [...byKind.keys()];
}
