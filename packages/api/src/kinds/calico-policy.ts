// projectcalico.org/v3 GlobalNetworkPolicy (cluster-scoped) and NetworkPolicy (namespaced),
// validated as Calico's API validator does where Ambit knows its rules (reference
// cni-netpol.md 4.1). Selectors are parsed at apply time (../calico-selector.ts). A policy names
// its Tier (./tier.ts; absent = default); whether that Tier exists is checked where they meet.
import { IGNORED_FIELD, INVALID_VALUE } from '../codes.ts';
import { parseCalicoSelector, usesGlobal } from '../calico-selector.ts';
import { dns1123Label, dns1123Subdomain } from '../names.ts';
import { ipOrCidrRule, parseCidr, parseIp } from '../net.ts';
import { readBool, readInt, readList, readObject, readString } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import { compact, readCheckedList, readEnum, readNumber } from './common.ts';
import type { KindDef } from './kind.ts';

export type CalicoAction = 'Allow' | 'Deny' | 'Log' | 'Pass';
export const CALICO_ACTIONS: readonly CalicoAction[] = ['Allow', 'Deny', 'Log', 'Pass'];
export type CalicoPolicyType = 'Ingress' | 'Egress';
export type CalicoProtocolName = 'TCP' | 'UDP' | 'ICMP' | 'ICMPv6' | 'SCTP' | 'UDPLite';
export const CALICO_PROTOCOLS: readonly CalicoProtocolName[] = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];
/** A protocol name or an IP protocol number 1-255. */
export type CalicoProtocol = CalicoProtocolName | number;
/** A port number, a range "min:max" (inclusive), or a named port. */
export type CalicoPort = number | string;

export interface CalicoServiceAccountMatch {
  names?: string[];
  /** Calico selector over service account labels. */
  selector?: string;
}

/** All present fields must match. Selectors are Calico selector strings, checked at apply time. */
export interface CalicoEntityRule {
  nets?: string[];
  notNets?: string[];
  selector?: string;
  notSelector?: string;
  /** In a namespaced policy `""` means the policy's namespace; `global()` non-namespaced entities. */
  namespaceSelector?: string;
  ports?: CalicoPort[];
  notPorts?: CalicoPort[];
  serviceAccounts?: CalicoServiceAccountMatch;
}

export interface CalicoIcmp {
  type?: number;
  code?: number;
}

export interface CalicoRule {
  action: CalicoAction;
  ipVersion?: 4 | 6;
  protocol?: CalicoProtocol;
  notProtocol?: CalicoProtocol;
  icmp?: CalicoIcmp;
  notICMP?: CalicoIcmp;
  source?: CalicoEntityRule;
  destination?: CalicoEntityRule;
}

export interface CalicoNetworkPolicySpec {
  /** Lower first; absent = after every ordered policy ("infinite"). */
  order?: number;
  /** The Tier the policy belongs to; absent means default. */
  tier?: string;
  /** Endpoints the policy applies to; absent = all(). */
  selector?: string;
  serviceAccountSelector?: string;
  /** As written; see effectiveCalicoTypes for Calico's defaulting. */
  types?: CalicoPolicyType[];
  ingress?: CalicoRule[];
  egress?: CalicoRule[];
}

export interface GlobalNetworkPolicySpec extends CalicoNetworkPolicySpec {
  /** Restricts the policy to endpoints in matching namespaces. */
  namespaceSelector?: string;
}

export interface CalicoNetworkPolicy extends ResourceBase<'NetworkPolicy', CalicoNetworkPolicySpec> {
  apiVersion: 'projectcalico.org/v3';
}
export type GlobalNetworkPolicy = ResourceBase<'GlobalNetworkPolicy', GlobalNetworkPolicySpec>;

/**
 * Calico's default for `types` when it is absent or empty (globalnetworkpolicy reference):
 * no egress rules => [Ingress] (whether or not there are ingress rules); egress rules only =>
 * [Egress]; both => [Ingress, Egress]. A non-empty list is returned as written.
 */
export function effectiveCalicoTypes(spec: Pick<CalicoNetworkPolicySpec, 'types' | 'ingress' | 'egress'>): CalicoPolicyType[] {
  if (spec.types && spec.types.length > 0) return [...spec.types];
  const ingress = (spec.ingress ?? []).length > 0;
  const egress = (spec.egress ?? []).length > 0;
  if (egress && ingress) return ['Ingress', 'Egress'];
  return egress ? ['Egress'] : ['Ingress'];
}

/** Parses a Calico port: a number, "min:max" or a name; undefined when none of those. */
export function parseCalicoPort(p: CalicoPort): { min: number; max: number } | { name: string } | undefined {
  if (typeof p === 'number') return Number.isInteger(p) && p >= 1 && p <= 65535 ? { min: p, max: p } : undefined;
  const range = /^([0-9]+):([0-9]+)$/.exec(p);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    return min >= 1 && max <= 65535 && min <= max ? { min, max } : undefined;
  }
  if (/^[0-9]+$/.test(p)) return undefined;
  return /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(p) && p.length <= 128 ? { name: p } : undefined;
}

const PORT_PROTOCOLS: ReadonlyArray<CalicoProtocol> = ['TCP', 'UDP', 'SCTP', 'UDPLite', 6, 17, 132, 136];
const ICMP_PROTOCOLS: ReadonlyArray<CalicoProtocol> = ['ICMP', 'ICMPv6', 1, 58];

/** Reads a Calico selector string and parses it; errors point at the field and name the offset. */
export function readCalicoSelector(ctx: Ctx, f: Field, opts: { allowGlobal: boolean }): string | undefined {
  const text = readString(ctx, f);
  if (text === undefined) return undefined;
  const r = parseCalicoSelector(text);
  if (!r.ok) {
    ctx.error(INVALID_VALUE, f.at, f.path, `invalid selector ${JSON.stringify(text)}: ${r.message} (at character offset ${r.offset})`);
    return undefined;
  }
  if (!opts.allowGlobal && usesGlobal(r.ast)) {
    ctx.error(INVALID_VALUE, f.at, f.path, `invalid selector ${JSON.stringify(text)}: global() is only allowed in namespaceSelector`);
    return undefined;
  }
  return text;
}

function readProtocol(ctx: Ctx, f: Field): CalicoProtocol | undefined {
  const n = f.node;
  if (n.type === 'scalar' && typeof n.value === 'number') return readInt(ctx, f, 1, 255);
  return readEnum(ctx, f, CALICO_PROTOCOLS);
}

function readPorts(ctx: Ctx, f: Field): CalicoPort[] | undefined {
  const before = ctx.errorCount();
  const list = readList(ctx, f, (item): CalicoPort | undefined => {
    const n = item.node;
    let v: CalicoPort | undefined;
    if (n.type === 'scalar' && typeof n.value === 'number') v = n.value;
    else v = readString(ctx, item);
    if (v === undefined) return undefined;
    if (!parseCalicoPort(v)) {
      ctx.error(INVALID_VALUE, item.at, item.path, `must be a port number 1-65535, a range "min:max" with min <= max, or a port name, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  });
  return ctx.errorCount() === before ? list : undefined;
}

function readIcmp(ctx: Ctx, f: Field): CalicoIcmp | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, { type: 'read', code: 'read' });
  if (!obj) return undefined;
  const out: CalicoIcmp = {};
  const t = obj.get('type');
  const c = obj.get('code');
  const type = t ? readInt(ctx, t, 0, 254) : undefined;
  const code = c ? readInt(ctx, c, 0, 255) : undefined;
  if (c && !t) ctx.error(INVALID_VALUE, c.at, c.path, 'may only be set together with type');
  if (type !== undefined) out.type = type;
  if (code !== undefined) out.code = code;
  return ctx.errorCount() === before ? out : undefined;
}

const ENTITY_FIELDS: FieldTable = {
  nets: 'read', notNets: 'read', selector: 'read', notSelector: 'read', namespaceSelector: 'read',
  ports: 'read', notPorts: 'read', serviceAccounts: 'read', services: 'warn',
};

function readEntity(ctx: Ctx, f: Field, ipVersion: 4 | 6 | undefined): { rule: CalicoEntityRule; portsField?: Field } | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, ENTITY_FIELDS);
  if (!obj) return undefined;
  const rule: CalicoEntityRule = {};
  for (const key of ['nets', 'notNets'] as const) {
    const field = obj.get(key);
    const nets = field ? readCheckedList(ctx, field, ipOrCidrRule) : undefined;
    if (field && nets && ipVersion !== undefined) {
      nets.forEach((n, i) => {
        const family = parseCidr(n)?.family ?? parseIp(n)?.family;
        const item = field.node.type === 'seq' ? field.node.items[i] : undefined;
        if (family !== ipVersion) ctx.error(INVALID_VALUE, item?.at ?? field.at, `${field.path}[${i}]`, `must be an IPv${ipVersion} network (the rule has ipVersion ${ipVersion}), got ${JSON.stringify(n)}`);
      });
    }
    if (nets) rule[key] = nets;
  }
  for (const key of ['selector', 'notSelector', 'namespaceSelector'] as const) {
    const field = obj.get(key);
    const s = field ? readCalicoSelector(ctx, field, { allowGlobal: key === 'namespaceSelector' }) : undefined;
    if (s !== undefined) rule[key] = s;
  }
  for (const key of ['ports', 'notPorts'] as const) {
    const field = obj.get(key);
    const ports = field ? readPorts(ctx, field) : undefined;
    if (ports) rule[key] = ports;
  }
  const saField = obj.get('serviceAccounts');
  if (saField) {
    const sa = readObject(ctx, saField, { names: 'read', selector: 'read' });
    const out: CalicoServiceAccountMatch = {};
    const namesField = sa?.get('names');
    const names = namesField ? readCheckedList(ctx, namesField, dns1123Subdomain) : undefined;
    if (names) out.names = names;
    const selField = sa?.get('selector');
    const sel = selField ? readCalicoSelector(ctx, selField, { allowGlobal: false }) : undefined;
    if (sel !== undefined) out.selector = sel;
    rule.serviceAccounts = out;
  }
  const portsField = obj.get('ports') ?? obj.get('notPorts');
  if (ctx.errorCount() > before) return undefined;
  return portsField ? { rule, portsField } : { rule };
}

const RULE_FIELDS: FieldTable = {
  action: 'read', ipVersion: 'read', protocol: 'read', notProtocol: 'read', icmp: 'read', notICMP: 'read',
  source: 'read', destination: 'read', http: 'warn', metadata: 'ignore',
};

function readRule(ctx: Ctx, f: Field): CalicoRule | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, RULE_FIELDS);
  if (!obj) return undefined;
  const actionField = obj.require('action');
  const action = actionField ? readEnum(ctx, actionField, CALICO_ACTIONS) : undefined;
  const rule: CalicoRule = { action: action ?? 'Deny' };
  const ipField = obj.get('ipVersion');
  if (ipField) {
    const v = readInt(ctx, ipField, 4, 6);
    if (v === 5) ctx.error(INVALID_VALUE, ipField.at, ipField.path, 'must be 4 or 6, got 5');
    else if (v === 4 || v === 6) rule.ipVersion = v;
  }
  const protoField = obj.get('protocol');
  const protocol = protoField ? readProtocol(ctx, protoField) : undefined;
  if (protocol !== undefined) rule.protocol = protocol;
  const notProtoField = obj.get('notProtocol');
  const notProtocol = notProtoField ? readProtocol(ctx, notProtoField) : undefined;
  if (notProtocol !== undefined) rule.notProtocol = notProtocol;
  for (const key of ['icmp', 'notICMP'] as const) {
    const field = obj.get(key);
    if (!field) continue;
    const icmp = readIcmp(ctx, field);
    if (icmp) rule[key] = icmp;
    if (protoField && protocol !== undefined && !ICMP_PROTOCOLS.includes(protocol)) {
      ctx.error(INVALID_VALUE, field.at, field.path, `requires protocol ICMP or ICMPv6, got protocol ${String(protocol)}`);
    } else if (!protoField) {
      ctx.error(INVALID_VALUE, field.at, field.path, 'requires protocol ICMP or ICMPv6');
    } else if (rule.ipVersion !== undefined && (protocol === 'ICMP' || protocol === 1) !== (rule.ipVersion === 4)) {
      ctx.error(INVALID_VALUE, field.at, field.path, `protocol ${String(protocol)} does not match ipVersion ${rule.ipVersion}`);
    }
  }
  for (const key of ['source', 'destination'] as const) {
    const field = obj.get(key);
    if (!field) continue;
    const e = readEntity(ctx, field, rule.ipVersion);
    if (e) rule[key] = e.rule;
    if (e?.portsField && (protocol === undefined || !PORT_PROTOCOLS.includes(protocol))) {
      ctx.error(INVALID_VALUE, e.portsField.at, e.portsField.path, `requires protocol TCP, UDP, SCTP or UDPLite in the rule${protocol !== undefined ? `, got ${String(protocol)}` : ''}`);
    }
  }
  return ctx.errorCount() === before && action ? rule : undefined;
}

interface Flavour {
  global: boolean;
}

const NP_FIELDS: FieldTable = {
  order: 'read', tier: 'read', selector: 'read', serviceAccountSelector: 'read', types: 'read',
  ingress: 'read', egress: 'read', performanceHints: 'ignore',
};
const GNP_FIELDS: FieldTable = { ...NP_FIELDS, namespaceSelector: 'read', doNotTrack: 'read', preDNAT: 'read', applyOnForward: 'read' };

function readSpec(ctx: Ctx, f: Field | undefined, flavour: Flavour): GlobalNetworkPolicySpec | undefined {
  const spec: GlobalNetworkPolicySpec = {};
  if (!f) return spec;
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, flavour.global ? GNP_FIELDS : NP_FIELDS);
  if (!obj) return undefined;
  const orderField = obj.get('order');
  const order = orderField ? readNumber(ctx, orderField) : undefined;
  if (order !== undefined) spec.order = order;
  const tierField = obj.get('tier');
  const tier = tierField ? readString(ctx, tierField) : undefined;
  if (tierField && tier !== undefined) {
    const problem = dns1123Label(tier);
    if (problem === undefined) spec.tier = tier;
    else ctx.error(INVALID_VALUE, tierField.at, tierField.path, `must name a Tier: ${problem}, got ${JSON.stringify(tier)}`);
  }
  const selectors = flavour.global ? (['selector', 'serviceAccountSelector', 'namespaceSelector'] as const) : (['selector', 'serviceAccountSelector'] as const);
  for (const key of selectors) {
    const field = obj.get(key);
    const s = field ? readCalicoSelector(ctx, field, { allowGlobal: key === 'namespaceSelector' }) : undefined;
    if (s !== undefined) spec[key] = s;
  }
  const typesField = obj.get('types');
  if (typesField) {
    const types = readList(ctx, typesField, (item) => readEnum(ctx, item, ['Ingress', 'Egress'] as const));
    if (types && new Set(types).size !== types.length) ctx.error(INVALID_VALUE, typesField.at, typesField.path, 'must not list a type twice');
    if (types) spec.types = types;
  }
  for (const key of ['ingress', 'egress'] as const) {
    const field = obj.get(key);
    if (!field) continue;
    const rules = readList(ctx, field, (item) => readRule(ctx, item));
    if (rules) spec[key] = rules;
  }
  if (flavour.global) {
    const flags: Partial<Record<'doNotTrack' | 'preDNAT' | 'applyOnForward', boolean>> = {};
    for (const key of ['doNotTrack', 'preDNAT', 'applyOnForward'] as const) {
      const field = obj.get(key);
      if (!field) continue;
      const v = readBool(ctx, field);
      if (v !== undefined) flags[key] = v;
      if (v) ctx.warn(IGNORED_FIELD, field.at, field.path, 'is not supported (it only applies to host endpoints, which Ambit does not have); ignored');
    }
    const dnt = obj.get('doNotTrack');
    const pre = obj.get('preDNAT');
    if (flags.doNotTrack && flags.preDNAT && pre) ctx.error(INVALID_VALUE, pre.at, pre.path, 'must not be true together with doNotTrack');
    if ((flags.doNotTrack || flags.preDNAT) && !flags.applyOnForward) {
      const at = flags.doNotTrack ? dnt : pre;
      if (at) ctx.error(INVALID_VALUE, at.at, at.path, 'requires applyOnForward: true');
    }
    const egressField = obj.get('egress');
    if (flags.preDNAT && pre && egressField) ctx.error(INVALID_VALUE, egressField.at, egressField.path, 'must not be set in a preDNAT policy (preDNAT policies have ingress rules only)');
  }
  return ctx.errorCount() === before ? spec : undefined;
}

function encodeEntity(e: CalicoEntityRule | undefined): unknown {
  if (!e) return undefined;
  return compact({ ...e, serviceAccounts: e.serviceAccounts ? compact({ ...e.serviceAccounts }) : undefined });
}

function encodeSpec(spec: GlobalNetworkPolicySpec): Record<string, unknown> {
  const rules = (list: CalicoRule[] | undefined): unknown =>
    list?.map((r) => compact({ ...r, source: encodeEntity(r.source), destination: encodeEntity(r.destination) }));
  return { spec: compact({ ...spec, ingress: rules(spec.ingress), egress: rules(spec.egress) }) };
}

export const calicoNetworkPolicyKind: KindDef<CalicoNetworkPolicy> = {
  kind: 'NetworkPolicy',
  apiVersions: ['projectcalico.org/v3'],
  namespaced: true,
  keyKind: 'NetworkPolicy.projectcalico.org',
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec: (ctx, top) => readSpec(ctx, top.get('spec'), { global: false }),
  encode: encodeSpec,
};

export const globalNetworkPolicyKind: KindDef<GlobalNetworkPolicy> = {
  kind: 'GlobalNetworkPolicy',
  apiVersions: ['projectcalico.org/v3'],
  namespaced: false,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec: (ctx, top) => readSpec(ctx, top.get('spec'), { global: true }),
  encode: encodeSpec,
};

