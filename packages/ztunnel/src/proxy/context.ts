// What every pod's proxies share: the node's view of the mesh, policies, certificates, the HBONE
// pool, metrics and logs. One per ztunnel.
import type { Logger } from '@ambit/core';
import type { PolicyStore } from '@ambit/authz';
import type { HbonePool } from '@ambit/hbone';
import type { ProxyState } from '../state/store.ts';
import type { CertificateManager, MeshTrust } from '@ambit/identity';
import type { TcpMetrics } from './metrics.ts';
import type { LiveConnections } from './live-connections.ts';
import type { NetworkPolicyGuard } from './network-policy.ts';

export const ZTUNNEL_MARK = 0x539;
export const OUTBOUND_PORT = 15001;
export const INBOUND_PLAIN_PORT = 15006;
export const HBONE_PORT = 15008;

export interface ProxyContext {
  state: ProxyState;
  policies: PolicyStore;
  /** NetworkPolicy on the inner port of HBONE connections; absent = not enforced (unit tests). */
  networkPolicy?: NetworkPolicyGuard;
  certificates: CertificateManager;
  /** Adds the published trust bundle to each certificate's own root (root rotation); absent in unit tests. */
  trust?: MeshTrust;
  pool: HbonePool;
  metrics: TcpMetrics;
  live: LiveConnections;
  rootNamespace: string;
  trustDomain: string;
  logger: Logger;
  accessLog: Logger;
}
