// gateway.networking.k8s.io/v1 Gateway, validated per the Gateway API CRDs (OpenAPI and CEL
// rules). Ambit runs Gateways of class istio-waypoint as waypoints; the label
// istio.io/waypoint-for says which traffic the waypoint handles.
import { DUPLICATE, INVALID_VALUE, REQUIRED, UNSUPPORTED } from '../codes.ts';
import { dns1123Subdomain } from '../names.ts';
import { childPath, readInt, readList, readObject, readString } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import { readLabelSelector } from '../selector.ts';
import type { LabelSelector } from '../selector.ts';
import type { ObjectMeta, ResourceBase } from '../types.ts';
import { checkMaxItems, compact, readChecked, readEnum } from './common.ts';
import type { KindDef } from './kind.ts';

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | 'HBONE';
export const LISTENER_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP', 'HBONE'];
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
export const WAYPOINT_FOR_VALUES = ['service', 'workload', 'all', 'none'] as const;

export interface AllowedRoutes {
  namespaces?: { from: 'All' | 'Same' | 'Selector'; selector?: LabelSelector };
  kinds?: Array<{ group?: string; kind: string }>;
}

export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ListenerProtocol;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewayAddress {
  /** Defaulted to IPAddress. */
  type: string;
  value: string;
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners: GatewayListener[];
  addresses?: GatewayAddress[];
}

export type Gateway = ResourceBase<'Gateway', GatewaySpec>;

/** Gateway API Hostname: a DNS name, optionally with a leading `*.` label; no IP, no port. */
export const gatewayHostname = (v: string): string | undefined => {
  const re = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  return v.length <= 253 && re.test(v) ? undefined : 'must be a lowercase DNS hostname, optionally starting with "*." (no IP address, no port)';
};

/** SectionName: a DNS-1123 subdomain of at most 253 characters. */
export const sectionName = (v: string): string | undefined => (dns1123Subdomain(v) ? 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")' : undefined);

function readAllowedRoutes(ctx: Ctx, f: Field): AllowedRoutes | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { namespaces: 'read', kinds: 'read' });
  if (!obj) return undefined;
  const out: AllowedRoutes = {};
  const nsField = obj.get('namespaces');
  if (nsField) {
    const ns = readObject(ctx, nsField, { from: 'read', selector: 'read' });
    const fromField = ns?.get('from');
    const from = fromField ? readEnum(ctx, fromField, ['All', 'Same', 'Selector'] as const) : 'Same';
    const selField = ns?.get('selector');
    const selector = selField ? readLabelSelector(ctx, selField) : undefined;
    if (from === 'Selector' && !selField) ctx.error(REQUIRED, nsField.at, childPath(nsField.path, 'selector'), 'is required when from is Selector');
    if (from) out.namespaces = selector ? { from, selector } : { from };
  }
  const kindsField = obj.get('kinds');
  if (kindsField) {
    const kinds = readList(ctx, kindsField, (item) => {
      const k = readObject(ctx, item, { group: 'read', kind: 'read' });
      const kindF = k?.require('kind');
      const kind = kindF ? readString(ctx, kindF) : undefined;
      const groupF = k?.get('group');
      const group = groupF ? readString(ctx, groupF) : undefined;
      if (kind === undefined) return undefined;
      return group !== undefined ? { group, kind } : { kind };
    });
    if (kinds) out.kinds = kinds;
  }
  return ctx.errorCount() === before ? out : undefined;
}

function readListener(ctx: Ctx, f: Field): GatewayListener | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { name: 'read', hostname: 'read', port: 'read', protocol: 'read', allowedRoutes: 'read', tls: 'warn' });
  if (!obj) return undefined;
  const nameField = obj.require('name');
  const name = nameField ? readChecked(ctx, nameField, sectionName) : undefined;
  const portField = obj.require('port');
  const port = portField ? readInt(ctx, portField, 1, 65535) : undefined;
  const protoField = obj.require('protocol');
  let protocol: ListenerProtocol | undefined;
  if (protoField) {
    const v = readString(ctx, protoField);
    protocol = LISTENER_PROTOCOLS.find((p) => p === v);
    if (v !== undefined && !protocol) {
      const valid = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[a-zA-Z0-9]+$/.test(v);
      ctx.error(valid ? UNSUPPORTED : INVALID_VALUE, protoField.at, protoField.path,
        `must be one of ${LISTENER_PROTOCOLS.join(', ')}${valid ? ' (the protocols Ambit supports)' : ''}, got ${JSON.stringify(v)}`);
    }
  }
  const hostField = obj.get('hostname');
  const hostname = hostField ? readChecked(ctx, hostField, gatewayHostname) : undefined;
  if (hostField && (protocol === 'TCP' || protocol === 'UDP')) {
    ctx.error(INVALID_VALUE, hostField.at, hostField.path, `must not be set for protocol ${protocol}`);
  }
  const arField = obj.get('allowedRoutes');
  const allowedRoutes = arField ? readAllowedRoutes(ctx, arField) : undefined;
  if (ctx.errorCount() > before || name === undefined || port === undefined || !protocol) return undefined;
  const out: GatewayListener = { name, port, protocol };
  if (hostname !== undefined) out.hostname = hostname;
  if (allowedRoutes) out.allowedRoutes = allowedRoutes;
  return out;
}

function readSpec(ctx: Ctx, f: Field): GatewaySpec | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { gatewayClassName: 'read', listeners: 'read', addresses: 'read', infrastructure: 'warn', backendTLS: 'warn', allowedListeners: 'warn' });
  if (!obj) return undefined;
  const classField = obj.require('gatewayClassName');
  const gatewayClassName = classField ? readChecked(ctx, classField, (v) => (v.length >= 1 && v.length <= 253 ? undefined : 'must have 1 to 253 characters')) : undefined;
  const listenersField = obj.require('listeners');
  let listeners: GatewayListener[] | undefined;
  if (listenersField) {
    if (listenersField.node.type === 'seq' && listenersField.node.items.length === 0) ctx.error(REQUIRED, listenersField.at, listenersField.path, 'must list at least one listener');
    checkMaxItems(ctx, listenersField, 64);
    const read: Array<{ l: GatewayListener; item: Field }> = [];
    listeners = readList(ctx, listenersField, (item) => {
      const l = readListener(ctx, item);
      if (l) read.push({ l, item });
      return l;
    });
    {
      const names = new Map<string, string>();
      const combos = new Map<string, string>();
      read.forEach(({ l, item }) => {
        const at = item.at;
        const path = item.path;
        const n = names.get(l.name);
        if (n !== undefined) ctx.error(DUPLICATE, at, childPath(path, 'name'), `duplicate listener name ${JSON.stringify(l.name)} (already used by ${n})`);
        else names.set(l.name, path);
        const combo = `${l.port}/${l.protocol}/${l.hostname ?? ''}`;
        const c = combos.get(combo);
        if (c !== undefined && n === undefined) ctx.error(DUPLICATE, at, path, `the combination of port, protocol and hostname must be unique; ${c} has the same`);
        else combos.set(combo, path);
      });
    }
  }
  const addrField = obj.get('addresses');
  let addresses: GatewayAddress[] | undefined;
  if (addrField) {
    checkMaxItems(ctx, addrField, 16);
    addresses = readList(ctx, addrField, (item) => {
      const a = readObject(ctx, item, { type: 'read', value: 'read' });
      const typeF = a?.get('type');
      const type = typeF ? readString(ctx, typeF) : 'IPAddress';
      const valueF = a?.require('value');
      const value = valueF ? readChecked(ctx, valueF, (v) => (v.length >= 1 && v.length <= 253 ? undefined : 'must have 1 to 253 characters')) : undefined;
      return type !== undefined && value !== undefined ? { type, value } : undefined;
    });
  }
  if (ctx.errorCount() > before || gatewayClassName === undefined || !listeners) return undefined;
  const spec: GatewaySpec = { gatewayClassName, listeners };
  if (addresses) spec.addresses = addresses;
  return spec;
}

function checkWaypointLabel(ctx: Ctx, top: { self: Field }, meta: ObjectMeta | undefined): void {
  const v = meta?.labels[WAYPOINT_FOR_LABEL];
  if (v === undefined || (WAYPOINT_FOR_VALUES as readonly string[]).includes(v)) return;
  const m = top.self.node.type === 'map' ? top.self.node.entries.find((e) => e.key === 'metadata') : undefined;
  const labels = m?.value.type === 'map' ? m.value.entries.find((e) => e.key === 'labels') : undefined;
  const entry = labels?.value.type === 'map' ? labels.value.entries.find((e) => e.key === WAYPOINT_FOR_LABEL) : undefined;
  const at = entry?.keyAt ?? top.self.at;
  ctx.error(INVALID_VALUE, at, `metadata.labels[${JSON.stringify(WAYPOINT_FOR_LABEL)}]`, `must be one of ${WAYPOINT_FOR_VALUES.join(', ')}, got ${JSON.stringify(v)}`);
}

export const gatewayKind: KindDef<Gateway> = {
  kind: 'Gateway',
  apiVersions: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top, meta) {
    checkWaypointLabel(ctx, top, meta);
    const f = top.require('spec');
    return f ? readSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({
    spec: compact({
      gatewayClassName: spec.gatewayClassName,
      listeners: spec.listeners.map((l) => compact({ ...l })),
      addresses: spec.addresses?.map((a) => ({ ...a })),
    }),
  }),
};
