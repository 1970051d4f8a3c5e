// The policy routing that returns the app's replies to the ztunnel's transparent sockets:
//   ip rule  fwmark <connMark>/0xfff lookup 100 priority 32764
//   ip route local default dev lo table 100
// A reply whose mark was restored from the connmark (mangle-output) is routed by table 100, whose
// only route says "every address is local": the packet loops back through lo and is delivered to
// the transparent socket bound to the original client's address.
//
// Rendering is pure; applying is a plan computed from what `ip -j` reports, so that applying twice
// changes nothing (the kernel happily keeps duplicate rules at different times, and `rule add`
// of an existing one fails).
import { AmbitError } from '@ambit/core';
import { hex, MARK_MASK, resolveInpodConfig, ROUTE_TABLE, RULE_PRIORITY, type InpodConfig, type ResolvedInpodConfig } from './config.ts';
import { NftErrorCode } from './errors.ts';

export type IpFamily = 4 | 6;
const FAMILIES: readonly IpFamily[] = [4, 6];
const DEFAULT_PREFIX: Record<IpFamily, string> = { 4: '0.0.0.0/0', 6: '::/0' };

function ruleSelector(connMark: number): string {
  return `fwmark ${hex(connMark)}/${hex(MARK_MASK)} lookup ${ROUTE_TABLE} priority ${RULE_PRIORITY}`;
}
function routeSpec(family: IpFamily): string {
  return `local ${DEFAULT_PREFIX[family]} dev lo table ${ROUTE_TABLE}`;
}

/**
 * The `ip` commands that set the policy routing up in a clean namespace, one per line, each
 * starting with its family option (`-4`/`-6`): `ip -batch` lines cannot carry options, so a family's
 * lines go, without it, to `ip -4 -batch -` or `ip -6 -batch -` (what applyInpod does).
 */
export function renderInpodRouting(input: InpodConfig): string[] {
  const config = resolveInpodConfig(input);
  return FAMILIES.filter((f) => wants(config, f)).flatMap((f) => [`-${f} rule add ${ruleSelector(config.connMark)}`, `-${f} route add ${routeSpec(f)}`]);
}

function wants(config: ResolvedInpodConfig | undefined, family: IpFamily): config is ResolvedInpodConfig {
  return config !== undefined && (family === 4 ? config.podIps.v4 : config.podIps.v6).length > 0;
}

/** An `ip rule` entry as `ip -j rule show` prints it (the fields we look at). */
export interface IpRule {
  priority: number;
  table: string;
  fwmark?: string;
  fwmask?: string;
  /** Any selector other than fwmark (from, to, iif, ...): such a rule is never ours. */
  otherSelectors: string[];
}

export interface FamilyRoutingState {
  /** Rules at our priority that look up our table. */
  rules: IpRule[];
  /** Table 100 holds `local default dev lo`. */
  hasLocalDefault: boolean;
  /** Table 100 holds some other default route (then `replace`, not `add`). */
  hasOtherDefault: boolean;
}

export type RoutingState = Record<IpFamily, FamilyRoutingState>;

/** Parses `ip -j -<f> rule show` and `ip -j -<f> route show table 100` output (unknown JSON). */
export function parseRoutingState(rulesJson: string, routesJson: string): FamilyRoutingState {
  const rules = parseArray(rulesJson, 'ip -j rule show').flatMap((entry): IpRule[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const r = entry as Record<string, unknown>;
    if (r.priority !== RULE_PRIORITY || String(r.table) !== String(ROUTE_TABLE)) return [];
    const otherSelectors = Object.keys(r).filter(
      (k) => !['priority', 'table', 'fwmark', 'fwmask', 'src', 'protocol'].includes(k) || (k === 'src' && r.src !== 'all'),
    );
    return [
      {
        priority: r.priority,
        table: String(r.table),
        ...(typeof r.fwmark === 'string' ? { fwmark: r.fwmark } : {}),
        ...(typeof r.fwmask === 'string' ? { fwmask: r.fwmask } : {}),
        otherSelectors,
      },
    ];
  });
  let hasLocalDefault = false;
  let hasOtherDefault = false;
  for (const entry of parseArray(routesJson, `ip -j route show table ${ROUTE_TABLE}`)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const r = entry as Record<string, unknown>;
    if (r.dst !== 'default') continue;
    if (r.type === 'local' && r.dev === 'lo') hasLocalDefault = true;
    else hasOtherDefault = true;
  }
  return { rules, hasLocalDefault, hasOtherDefault };
}

function parseArray(text: string, what: string): unknown[] {
  let value: unknown;
  try {
    value = text.trim() === '' ? [] : JSON.parse(text);
  } catch (error) {
    throw new AmbitError(NftErrorCode.ROUTING_FAILED, `${what} printed something that is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
  if (!Array.isArray(value)) throw new AmbitError(NftErrorCode.ROUTING_FAILED, `${what} printed ${typeof value}, expected a JSON array`);
  return value;
}

export interface RoutingBatch {
  family: IpFamily;
  /** Lines for `ip -<family> -batch -`. */
  lines: string[];
}

/**
 * What to run so that the namespace's policy routing becomes exactly `desired` (undefined: none of
 * ours). Our rules are those at priority 32764 looking up table 100; duplicates and rules with
 * another mark are deleted, a missing rule or route is added, nothing else is touched.
 */
export function planRouting(desired: ResolvedInpodConfig | undefined, state: RoutingState): RoutingBatch[] {
  const batches: RoutingBatch[] = [];
  for (const family of FAMILIES) {
    const current = state[family];
    const lines: string[] = [];
    const want = wants(desired, family);
    const mark = want ? hex(desired.connMark) : undefined;
    const exact = (r: IpRule): boolean => r.fwmark === mark && r.fwmask === hex(MARK_MASK) && r.otherSelectors.length === 0;
    let keeper = want ? current.rules.find(exact) : undefined;
    const stale = current.rules.filter((r) => r !== keeper);
    // A deletion names the rule by priority, table and mark. A stale rule without a mark cannot be
    // named apart from the keeper, so then the keeper goes too and is added again.
    if (stale.some((r) => r.fwmark === undefined)) keeper = undefined;
    for (const r of current.rules) {
      if (r === keeper) continue;
      const markPart = r.fwmark === undefined ? '' : ` fwmark ${r.fwmark}${r.fwmask === undefined ? '' : `/${r.fwmask}`}`;
      lines.push(`rule del${markPart} lookup ${ROUTE_TABLE} priority ${RULE_PRIORITY}`);
    }
    if (want && keeper === undefined) lines.push(`rule add ${ruleSelector(desired.connMark)}`);
    if (want && !current.hasLocalDefault) lines.push(`route ${current.hasOtherDefault ? 'replace' : 'add'} ${routeSpec(family)}`);
    if (!want && current.hasLocalDefault) lines.push(`route del ${routeSpec(family)}`);
    if (lines.length > 0) batches.push({ family, lines });
  }
  return batches;
}

/** True when the rule and the route of our policy routing are both in place for this family. */
export function routingComplete(state: FamilyRoutingState): boolean {
  return state.hasLocalDefault && state.rules.some((r) => r.fwmark !== undefined && r.otherSelectors.length === 0);
}
