// Pieces shared by Istio's security kinds: WorkloadSelector and PolicyTargetReference
// (istio/api type/v1beta1/selector.proto), validated as istiod's validation webhook does.
import { INVALID_VALUE } from '../codes.ts';
import { dns1123Label, dns1123Subdomain } from '../names.ts';
import { childPath, readList, readObject, readString } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import { readLabels } from '../selector.ts';
import { compact, readChecked } from './common.ts';

export interface WorkloadSelector {
  /** Pods whose labels include all of these; `{}` (istiod warns) selects every pod of the namespace. */
  matchLabels: Record<string, string>;
}

export type TargetKind = 'Service' | 'Gateway' | 'GatewayClass' | 'ServiceEntry';

export interface PolicyTargetReference {
  /** "" (or "core") for Service, gateway.networking.k8s.io for Gateway/GatewayClass, networking.istio.io for ServiceEntry. */
  group: string;
  kind: TargetKind;
  name: string;
  /** Only the policy's own namespace is allowed (cross-namespace references are not supported). */
  namespace?: string;
}

/** Group each target kind must be in (istio/api CRD validation on PolicyTargetReference). */
const TARGET_GROUPS: Record<TargetKind, readonly string[]> = {
  Service: ['', 'core'],
  Gateway: ['gateway.networking.k8s.io'],
  GatewayClass: ['gateway.networking.k8s.io'],
  ServiceEntry: ['networking.istio.io'],
};

export function readWorkloadSelector(ctx: Ctx, f: Field): WorkloadSelector | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { matchLabels: 'read' });
  if (!obj) return undefined;
  const ml = obj.get('matchLabels');
  const labels = ml ? readLabels(ctx, ml) : {};
  if (ctx.errorCount() > before || !labels) return undefined;
  if (Object.keys(labels).length === 0) {
    // istiod: "workload selector specified without labels" (a warning); it then selects every pod.
    ctx.warn(INVALID_VALUE, ml?.at ?? f.at, ml?.path ?? childPath(f.path, 'matchLabels'), 'is empty: the selector then selects every workload of the namespace (istiod warns "workload selector specified without labels")');
  }
  return { matchLabels: labels };
}

export function readTargetRef(ctx: Ctx, f: Field, policyNamespace: string | undefined): PolicyTargetReference | undefined {
  const obj = readObject(ctx, f, { group: 'read', kind: 'read', name: 'read', namespace: 'read' });
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const kindField = obj.require('kind');
  const kindValue = kindField ? readString(ctx, kindField) : undefined;
  const kinds = Object.keys(TARGET_GROUPS) as TargetKind[];
  const kind = kinds.find((k) => k === kindValue);
  if (kindField && kindValue !== undefined && !kind) {
    ctx.error(INVALID_VALUE, kindField.at, kindField.path, `must be one of ${kinds.join(', ')}, got ${JSON.stringify(kindValue)}`);
  }
  const groupField = obj.get('group');
  const group = groupField ? readString(ctx, groupField) : '';
  if (kind && group !== undefined && !TARGET_GROUPS[kind].includes(group)) {
    const want = TARGET_GROUPS[kind].map((g) => JSON.stringify(g)).join(' or ');
    ctx.error(INVALID_VALUE, groupField?.at ?? obj.self.at, groupField?.path ?? childPath(obj.self.path, 'group'),
      `must be ${want} for kind ${kind}, got ${JSON.stringify(group)}`);
  }
  const nameField = obj.require('name');
  const name = nameField ? readChecked(ctx, nameField, dns1123Subdomain) : undefined;
  const nsField = obj.get('namespace');
  const namespace = nsField ? readChecked(ctx, nsField, dns1123Label) : undefined;
  if (nsField && namespace !== undefined && policyNamespace !== undefined && namespace !== policyNamespace) {
    ctx.error(INVALID_VALUE, nsField.at, nsField.path,
      `must be the policy's own namespace ${JSON.stringify(policyNamespace)} (cross-namespace references are not supported), got ${JSON.stringify(namespace)}`);
  }
  if (ctx.errorCount() > before || !kind || group === undefined || name === undefined) return undefined;
  const ref: PolicyTargetReference = { group, kind, name };
  if (namespace !== undefined) ref.namespace = namespace;
  return ref;
}

export interface TargetsRead {
  selector?: WorkloadSelector;
  targetRefs?: PolicyTargetReference[];
}

/**
 * `selector`, `targetRef` (deprecated) and `targetRefs` (at most 16): at most one of them, as
 * istiod requires. A `targetRef` is returned as a one-item `targetRefs`.
 */
export function readTargets(ctx: Ctx, spec: { get(key: string): Field | undefined }, namespace: string | undefined): TargetsRead | undefined {
  const before = ctx.errorCount();
  const out: TargetsRead = {};
  const selField = spec.get('selector');
  const refField = spec.get('targetRef');
  const refsField = spec.get('targetRefs');
  if (selField) {
    const s = readWorkloadSelector(ctx, selField);
    if (s) out.selector = s;
  }
  if (refField) {
    const r = readTargetRef(ctx, refField, namespace);
    if (r) out.targetRefs = [r];
  }
  if (refsField) {
    const n = refsField.node.type === 'seq' ? refsField.node.items.length : 0;
    if (n > 16) ctx.error(INVALID_VALUE, refsField.at, refsField.path, `must have at most 16 items, got ${n}`);
    const list = readList(ctx, refsField, (item) => readTargetRef(ctx, item, namespace));
    if (list) out.targetRefs = list;
  }
  if (refField && refsField) ctx.error(INVALID_VALUE, refField.at, refField.path, 'must not be set together with targetRefs (only one of targetRef or targetRefs can be set)');
  if (selField && (refField || refsField)) {
    ctx.error(INVALID_VALUE, selField.at, selField.path, 'must not be set together with targetRefs (only one of selector or targetRefs can be set)');
  }
  return ctx.errorCount() === before ? out : undefined;
}

export function encodeTargets(t: TargetsRead): Record<string, unknown> {
  return compact({ selector: t.selector ? { matchLabels: t.selector.matchLabels } : undefined, targetRefs: t.targetRefs?.map((r) => compact({ ...r })) });
}
