// security.istio.io/v1 (and v1beta1) PeerAuthentication: the mTLS mode of workloads, as istiod
// validates it (ValidatePeerAuthentication). In ambient, mesh traffic is always mTLS (HBONE);
// the mode only decides whether plaintext reaching a captured pod is accepted.
import { DUPLICATE, IGNORED_VALUE, INVALID_VALUE } from '../codes.ts';
import { dns1123Subdomain } from '../names.ts';
import { childPath, readObject } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import { compact, readEnum } from './common.ts';
import { readWorkloadSelector } from './istio-common.ts';
import type { WorkloadSelector } from './istio-common.ts';
import type { KindDef } from './kind.ts';

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';
export const MTLS_MODES: readonly MtlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

export interface PeerAuthenticationSpec {
  /** Absent: the namespace (the mesh, in the root namespace). */
  selector?: WorkloadSelector;
  /** Absent `mtls`, or `mtls: {}`, is mode UNSET (inherit; PERMISSIVE when nothing to inherit). */
  mtls: { mode: MtlsMode };
  /** Workload (container) port, written as a string key "1".."65535", to its mode. Only with a selector. */
  portLevelMtls?: Record<string, { mode: MtlsMode }>;
}

export type PeerAuthentication = ResourceBase<'PeerAuthentication', PeerAuthenticationSpec>;

function readMtls(ctx: Ctx, f: Field): { mode: MtlsMode } | undefined {
  const obj = readObject(ctx, f, { mode: 'read' });
  if (!obj) return undefined;
  const modeField = obj.get('mode');
  if (!modeField) return { mode: 'UNSET' };
  const mode = readEnum(ctx, modeField, MTLS_MODES);
  if (mode === 'DISABLE') {
    ctx.warn(IGNORED_VALUE, modeField.at, modeField.path,
      'DISABLE is not supported in ambient mode: mesh traffic is always mTLS (HBONE) and istiod ignores such a policy for ztunnel');
  }
  return mode ? { mode } : undefined;
}

function readSpec(ctx: Ctx, f: Field | undefined): PeerAuthenticationSpec | undefined {
  const spec: PeerAuthenticationSpec = { mtls: { mode: 'UNSET' } };
  if (!f) return spec;
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { selector: 'read', mtls: 'read', portLevelMtls: 'read' });
  if (!obj) return undefined;
  const selField = obj.get('selector');
  const selector = selField ? readWorkloadSelector(ctx, selField) : undefined;
  if (selector) spec.selector = selector;
  const mtlsField = obj.get('mtls');
  const mtls = mtlsField ? readMtls(ctx, mtlsField) : undefined;
  if (mtls) spec.mtls = mtls;
  const portsField = obj.get('portLevelMtls');
  if (portsField) {
    if (portsField.node.type !== 'map') {
      ctx.error(INVALID_VALUE, portsField.at, portsField.path, 'must be a map from port number to {mode}');
    } else {
      const ports: Record<string, { mode: MtlsMode }> = {};
      const seen = new Set<string>();
      for (const e of portsField.node.entries) {
        const path = childPath(portsField.path, e.key);
        const entry: Field = { node: e.value, at: e.keyAt, path };
        if (!/^[0-9]+$/.test(e.key) || Number(e.key) < 1 || Number(e.key) > 65535) {
          ctx.error(INVALID_VALUE, e.keyAt, path, `must be a port number between 1 and 65535, got ${JSON.stringify(e.key)}`);
        } else if (seen.has(String(Number(e.key)))) {
          ctx.error(DUPLICATE, e.keyAt, path, `port ${Number(e.key)} is listed twice`);
        }
        seen.add(String(Number(e.key)));
        const m = readMtls(ctx, entry);
        if (m) ports[String(Number(e.key))] = m;
      }
      spec.portLevelMtls = ports;
      const hasLabels = selector !== undefined && Object.keys(selector.matchLabels).length > 0;
      if (!hasLabels && portsField.node.entries.length > 0 && (!selField || selector)) {
        ctx.error(INVALID_VALUE, portsField.at, portsField.path, 'requires a selector with matchLabels: port-level mTLS applies to selected workloads only (istiod: "portLevelMtls requires selector")');
      }
    }
  }
  return ctx.errorCount() === before ? spec : undefined;
}

export const peerAuthenticationKind: KindDef<PeerAuthentication> = {
  kind: 'PeerAuthentication',
  apiVersions: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec: (ctx, top) => readSpec(ctx, top.get('spec')),
  encode: (spec) => ({
    spec: compact({
      selector: spec.selector ? { matchLabels: spec.selector.matchLabels } : undefined,
      mtls: { mode: spec.mtls.mode },
      portLevelMtls: spec.portLevelMtls,
    }),
  }),
};
