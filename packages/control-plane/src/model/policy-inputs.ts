// Typed policy resources from the index, in the converters' input shapes.
import type { ConfigIndex } from './index-state.ts';
import type { AuthorizationPolicyInput } from '../generate/authorization.ts';
import type { MtlsMode, PeerAuthenticationInput } from '../generate/peer-authentication.ts';

export function authorizationInputs(index: ConfigIndex): AuthorizationPolicyInput[] {
  return index.list('AuthorizationPolicy').map((p) => ({
    name: p.metadata.name,
    namespace: p.metadata.namespace ?? 'default',
    selector: p.spec.selector,
    hasTargetRefs: (p.spec.targetRefs?.length ?? 0) > 0,
    action: p.spec.action,
    rules: p.spec.rules,
    dryRun: p.metadata.annotations['istio.io/dry-run'] === 'true',
  }));
}

export function peerAuthenticationInputs(index: ConfigIndex): PeerAuthenticationInput[] {
  return index.list('PeerAuthentication').map((p) => {
    const portLevel: Record<number, MtlsMode> = {};
    for (const [port, setting] of Object.entries(p.spec.portLevelMtls ?? {})) portLevel[Number(port)] = setting.mode;
    return {
      name: p.metadata.name,
      namespace: p.metadata.namespace ?? 'default',
      selector: p.spec.selector?.matchLabels,
      mode: p.spec.mtls.mode,
      portLevel,
      // Among policies at one level the oldest wins (Istio), then the name.
      createdAt: p.metadata.creationTimestamp ?? '',
    };
  });
}
