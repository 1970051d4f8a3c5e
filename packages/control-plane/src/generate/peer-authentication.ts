// PeerAuthentication -> Authorization for ztunnels, as istiod does in ambient (reference 1.6, 6.2):
// mesh-to-mesh traffic is always mTLS on 15008; the mode only decides whether plaintext reaching a
// pod on 15006 is refused. Effective STRICT means a DENY of connections without a peer identity.
// DISABLE is ignored in ambient (treated as unset, so the parent's mode applies).
import { selectorMatches } from '@ambit/api';
import { AUTHZ_ACTION, AUTHZ_SCOPE, type AuthorizationMessage, type MatchMessage, emptyMatch } from '../model/wire.ts';

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationInput {
  name: string;
  namespace: string;
  selector?: Record<string, string> | undefined;
  mode: MtlsMode;
  portLevel: Record<number, MtlsMode>;
  /** Oldest wins among policies at one level; ties by name, as istiod sorts them. */
  createdAt: string;
}

export const STATIC_STRICT_NAME = 'istio_converted_static_strict';
export const convertedName = (pa: string): string => `converted_peer_authentication_${pa}`;

const presenceOfPrincipal = (): MatchMessage => ({ ...emptyMatch(), not_principals: [{ presence: {} }] });

/** DENY any connection that has no peer identity: plaintext is refused, HBONE is unaffected. */
export function staticStrictPolicy(rootNamespace: string): AuthorizationMessage {
  return {
    name: STATIC_STRICT_NAME,
    namespace: rootNamespace,
    scope: AUTHZ_SCOPE.WORKLOAD_SELECTOR,
    action: AUTHZ_ACTION.DENY,
    rules: [{ clauses: [{ matches: [presenceOfPrincipal()] }] }],
    dry_run: false,
  };
}

const isEmpty = (selector: Record<string, string> | undefined): boolean => !selector || Object.keys(selector).length === 0;
const oldest = (list: PeerAuthenticationInput[]): PeerAuthenticationInput | undefined =>
  [...list].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))[0];
const effective = (mode: MtlsMode | undefined): 'STRICT' | 'PERMISSIVE' | undefined => (mode === 'STRICT' || mode === 'PERMISSIVE' ? mode : undefined);

export interface PeerAuthenticationView {
  /** The namespace-level mode a workload in `namespace` inherits (mesh, then namespace). */
  parentMode(namespace: string): 'STRICT' | 'PERMISSIVE';
  /** The workload-level policy selecting a pod, if any. */
  workloadPolicy(namespace: string, labels: Record<string, string>): PeerAuthenticationInput | undefined;
}

export function peerAuthenticationView(policies: readonly PeerAuthenticationInput[], rootNamespace: string): PeerAuthenticationView {
  const mesh = oldest(policies.filter((p) => p.namespace === rootNamespace && isEmpty(p.selector)));
  const byNamespace = new Map<string, PeerAuthenticationInput[]>();
  for (const p of policies) {
    // Selector policies in the root namespace are ignored (reference 6.2).
    if (p.namespace === rootNamespace && !isEmpty(p.selector)) continue;
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }
  return {
    parentMode(namespace) {
      const ns = namespace === rootNamespace ? undefined : oldest((byNamespace.get(namespace) ?? []).filter((p) => isEmpty(p.selector)));
      return effective(ns?.mode) ?? effective(mesh?.mode) ?? 'PERMISSIVE';
    },
    workloadPolicy(namespace, labels) {
      return oldest((byNamespace.get(namespace) ?? []).filter((p) => !isEmpty(p.selector) && selectorMatches({ matchLabels: p.selector ?? {} }, labels)));
    },
  };
}

/**
 * The converted per-policy DENY for a selector policy with port-level modes: strict ports refuse
 * connections without identity on that port; under a STRICT workload mode, the ports set to
 * PERMISSIVE are exempted. Returns undefined when nothing needs enforcing.
 */
export function convertPortLevel(policy: PeerAuthenticationInput, parent: 'STRICT' | 'PERMISSIVE'): AuthorizationMessage | undefined {
  const workloadMode = effective(policy.mode) ?? parent;
  const rules: AuthorizationMessage['rules'] = [];
  const exempt: number[] = [];
  for (const [portText, mode] of Object.entries(policy.portLevel).sort(([a], [b]) => Number(a) - Number(b))) {
    const port = Number(portText);
    const portMode = effective(mode) ?? workloadMode;
    if (portMode === 'STRICT' && workloadMode !== 'STRICT') {
      rules.push({ clauses: [{ matches: [presenceOfPrincipal()] }, { matches: [{ ...emptyMatch(), destination_ports: [port] }] }] });
    }
    if (portMode === 'PERMISSIVE' && workloadMode === 'STRICT') exempt.push(port);
  }
  if (workloadMode === 'STRICT') {
    const clauses = [{ matches: [presenceOfPrincipal()] }];
    if (exempt.length > 0) clauses.push({ matches: [{ ...emptyMatch(), not_destination_ports: exempt }] });
    rules.push({ clauses });
  }
  if (rules.length === 0) return undefined;
  return { name: convertedName(policy.name), namespace: policy.namespace, scope: AUTHZ_SCOPE.WORKLOAD_SELECTOR, action: AUTHZ_ACTION.DENY, rules, dry_run: false };
}

/**
 * Keys of the converted policies a workload must reference: the static strict policy when its
 * effective mode is STRICT without port-level modes, or its selector policy's converted form.
 */
export function peerAuthenticationKeysFor(view: PeerAuthenticationView, rootNamespace: string, namespace: string, labels: Record<string, string>): string[] {
  const parent = view.parentMode(namespace);
  const own = view.workloadPolicy(namespace, labels);
  if (own && Object.keys(own.portLevel).length > 0) {
    return convertPortLevel(own, parent) ? [`${own.namespace}/${convertedName(own.name)}`] : [];
  }
  const mode = effective(own?.mode) ?? parent;
  return mode === 'STRICT' ? [`${rootNamespace}/${STATIC_STRICT_NAME}`] : [];
}
