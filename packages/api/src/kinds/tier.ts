// projectcalico.org/v3 Tier (cluster-scoped): an ordered group of Calico policies with an action
// for traffic no policy of the tier decided (reference cni-netpol.md 4.3; ADR 0005). The built-in
// tiers' orders are pinned, as Calico's validator pins them.
import { INVALID_VALUE } from '../codes.ts';
import { dns1123Label } from '../names.ts';
import { readObject } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import { compact, readEnum, readNumber } from './common.ts';
import type { KindDef } from './kind.ts';

export type TierDefaultAction = 'Deny' | 'Pass';

export interface TierSpec {
  /** Lower first; absent = after every ordered tier. Ties are broken by name. */
  order?: number;
  /** For traffic that policies of the tier apply to but none took an action on; absent = Deny. */
  defaultAction?: TierDefaultAction;
}

export interface Tier extends ResourceBase<'Tier', TierSpec> {
  apiVersion: 'projectcalico.org/v3';
}

/** Tiers Calico creates itself, with the order its validator requires of them. */
export const BUILT_IN_TIER_ORDERS: Readonly<Record<string, number>> = { 'kube-admin': 1_000, default: 1_000_000, 'kube-baseline': 10_000_000 };
export const DEFAULT_TIER = 'default';

export const tierKind: KindDef<Tier> = {
  kind: 'Tier',
  apiVersions: ['projectcalico.org/v3'],
  namespaced: false,
  nameRule: dns1123Label,
  fields: { spec: 'read' },
  readSpec(ctx, top, meta) {
    const f = top.get('spec');
    const spec: TierSpec = {};
    if (!f) return spec;
    const before = ctx.errorCount();
    const obj = readObject(ctx, f, { order: 'read', defaultAction: 'read' });
    if (!obj) return undefined;
    const orderField = obj.get('order');
    const order = orderField ? readNumber(ctx, orderField) : undefined;
    if (order !== undefined) spec.order = order;
    const pinned = meta === undefined ? undefined : BUILT_IN_TIER_ORDERS[meta.name];
    if (orderField && order !== undefined && pinned !== undefined && order !== pinned) {
      ctx.error(INVALID_VALUE, orderField.at, orderField.path, `the built-in tier ${meta?.name ?? ''} has order ${pinned}, got ${order} (Calico pins it)`);
    }
    const actionField = obj.get('defaultAction');
    const action = actionField ? readEnum(ctx, actionField, ['Deny', 'Pass'] as const) : undefined;
    if (action !== undefined) spec.defaultAction = action;
    return ctx.errorCount() === before ? spec : undefined;
  },
  encode: (spec) => ({ spec: compact({ ...spec }) }),
};
