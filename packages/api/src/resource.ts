// The union of every kind Ambit reads, discriminated on `kind`.
import type { AuthorizationPolicy } from './kinds/authorization-policy.ts';
import type { Deployment } from './kinds/deployment.ts';
import type { Namespace } from './kinds/namespace.ts';
import type { Pod } from './kinds/pod.ts';
import type { ServiceAccount } from './kinds/service-account.ts';
import type { Service } from './kinds/service.ts';
import type { PeerAuthentication } from './kinds/peer-authentication.ts';
import type { NetworkPolicy } from './kinds/network-policy.ts';
import type { CalicoNetworkPolicy, GlobalNetworkPolicy } from './kinds/calico-policy.ts';
import type { Tier } from './kinds/tier.ts';
import type { Gateway } from './kinds/gateway.ts';
import type { HTTPRoute } from './kinds/http-route.ts';
import type { DestinationRule } from './kinds/destination-rule.ts';
import type { ConfigMap } from './kinds/config-map.ts';

export type Resource =
  | Namespace
  | Pod
  | Service
  | ServiceAccount
  | Deployment
  | AuthorizationPolicy
  | PeerAuthentication
  | NetworkPolicy
  | CalicoNetworkPolicy
  | GlobalNetworkPolicy
  | Tier
  | Gateway
  | HTTPRoute
  | DestinationRule
  | ConfigMap;
export type ResourceKind = Resource['kind'];
