// The nftables table for the pods of one node (cni-netpol.md 6.2), in Calico's model (4.3-4.4):
//
//   egress_hook / ingress_hook (forward, separate base chains: accept ends only its own chain)
//     -> vmap by veth -> pod_<pod>_<dir>: the tiers that apply to the pod in order
//        one tier:  the tier's body inline;  several: jump pod_<pod>_<dir>_t_<tier> each
//     tier body: jump to each policy chain in order; after a chain that can Pass,
//        "pass bit set -> clear it, return" (skips the rest of the tier); then, for defaultAction
//        Deny, the end-of-tier drop (a named counter per pod, direction and tier)
//   policy chains (shared by the pods they apply to): Allow = accept, Deny = named counter + drop
//     (final for the whole ruleset), Log = log and go on, Pass = set the pass bit and return.
//   Falling off the last tier returns to the base chain, whose policy accepts: the profile allow.
//
// Mesh-aware HBONE admission (README): for a meshed destination, a TCP Allow/Pass rule with a
// port restriction also admits TCP 15008 from the same peers; a Deny rule with a port restriction
// never matches HBONE (the ztunnel enforces it on the inner port).
import { createHash } from 'node:crypto';
import { formatSelector, parseCalicoPort } from '@ambit/api';
import type { CalicoEntityRule, CalicoRule, LabelSelector, NetworkPolicyPeer, NetworkPolicyPort } from '@ambit/api';
import { entityNeedsPod, entitySelectsPod, HBONE_PORT, notSelectorExcludes, parseNet, protocolName, protocolNumber } from './calico.ts';
import type { TieredPolicy, TieredRule } from './calico.ts';
import type { AppliedTier, PolicyIndex } from './evaluate.ts';
import { formatCidr, formatIp, parseCidr, parseIp } from './ip.ts';
import type { Family } from './ip.ts';
import { portProtocol, selectorPeerSelects } from './model.ts';
import type { Direction, PolicyPod, PolicyRule } from './model.ts';

export const NETPOL_TABLE = 'ambit-netpol';
/** Priorities of the two forward base chains: the source's egress first, then the destination's ingress. */
export const NETPOL_EGRESS_PRIORITY = 0;
export const NETPOL_INGRESS_PRIORITY = 10;
/** The packet-mark bit a Calico Pass sets for the tier chain to see; always cleared before the packet goes on. */
export const NETPOL_PASS_MARK = 0x00800000;

/** One named counter of the table: an end-of-tier drop of one pod, or one Calico Deny rule (shared by the pods it applies to). */
export interface NetpolCounter {
  name: string;
  /** The pod key for an end-of-tier drop; '' for a Deny rule (its policy chain is shared by the pods it applies to). */
  pod: string;
  direction: Direction;
  /** `default-deny` for an end-of-tier drop, the Calico policy key (`default.gnp-x`, `ns/default.np`) for a Deny rule. */
  policy: string;
  /** The tier of an end-of-tier drop; the rule index of a Deny rule. */
  tier?: string;
  rule?: number;
}

export interface Rendered {
  ruleset: string;
  counters: NetpolCounter[];
  ruleCount: number;
}

interface SetDef {
  comment: string;
  type: string;
  interval: boolean;
  elements: Set<string>;
}

interface Alternative {
  text: string;
  family?: Family;
}

const DIRECTIONS: readonly Direction[] = ['egress', 'ingress'];
const PASS = `0x${NETPOL_PASS_MARK.toString(16).padStart(8, '0')}`;
const KEEP = `0x${(~NETPOL_PASS_MARK >>> 0).toString(16).padStart(8, '0')}`;
// One collator for every sort: localeCompare builds one per call, which dominated large compiles.
const collator = new Intl.Collator('en', { numeric: true });
export const natural = (a: string, b: string): number => collator.compare(a, b);

class Table {
  readonly sets = new Map<string, SetDef>();
  readonly chains = new Map<string, string[]>();
  readonly counters: NetpolCounter[] = [];
  /** Policy chains that can Pass. */
  readonly passing = new Set<string>();
  /** Sets already made for a selector peer or a HBONE destination list, by identity: equal peers share a set, so select once. */
  private readonly memo = new Map<string, Array<{ set: string; family: Family }>>();

  readonly pods: PolicyPod[];
  readonly localPods: PolicyPod[];

  constructor(pods: PolicyPod[], localPods: PolicyPod[]) {
    this.pods = pods;
    this.localPods = localPods;
  }

  addSet(name: string, def: Omit<SetDef, 'elements'>, elements: Iterable<string>): void {
    const existing = this.sets.get(name);
    const target = existing ?? { ...def, elements: new Set<string>() };
    for (const e of elements) target.elements.add(e);
    if (existing === undefined) this.sets.set(name, target);
  }

  /** A set of the addresses of `pods` of one family; undefined when there are none. */
  podSet(prefix: string, id: string, family: Family, comment: string, pods: PolicyPod[]): string | undefined {
    const ips = pods.flatMap((pod) => pod.ips.map((ip) => parseIp(ip)).filter((ip) => ip?.family === family)).map((ip) => formatIp(family, ip?.value ?? 0n));
    if (ips.length === 0) return undefined;
    const name = `${prefix}_${id}_${suffix(family)}`;
    this.addSet(name, { comment, type: addrType(family), interval: false }, ips);
    return name;
  }

  /** The named-port set `<ip . proto . port>` of the destination candidates; undefined when no pod has the port. */
  namedPortSet(direction: Direction, portName: string, protocol: string, family: Family): string | undefined {
    const ingress = direction === 'ingress';
    const elements: string[] = [];
    for (const pod of ingress ? this.localPods : this.pods) {
      for (const np of pod.namedPorts) {
        if (np.name !== portName || np.protocol !== protocol) continue;
        for (const ip of pod.ips) {
          const parsed = parseIp(ip);
          if (parsed?.family === family) elements.push(`${formatIp(family, parsed.value)} . ${protocol.toLowerCase()} . ${np.port}`);
        }
      }
    }
    if (elements.length === 0) return undefined;
    const prefix = ingress ? 'npin' : 'np';
    const name = `${prefix}_${ident(portName)}_${protocol.toLowerCase()}_${suffix(family)}`;
    this.addSet(name, { comment: `named port ${portName}/${protocol} of every ${ingress ? 'pod of this node' : 'pod'} that has it`, type: `${addrType(family)} . inet_proto . inet_service`, interval: false }, elements);
    return name;
  }

  /** The per-family sets of the pods `select` picks, made once per `key` (the selection's identity). */
  podSets(key: string, prefix: string, id: string, comment: string, select: () => PolicyPod[]): Array<{ set: string; family: Family }> {
    let sets = this.memo.get(key);
    if (sets === undefined) {
      const selected = select();
      sets = [];
      for (const family of [4, 6] as const) {
        const set = this.podSet(prefix, id, family, comment, selected);
        if (set !== undefined) sets.push({ set, family });
      }
      this.memo.set(key, sets);
    }
    return sets;
  }

  /**
   * HBONE alternatives: `<daddr in meshed pods (with the TCP named port)> tcp dport 15008`, one per
   * family that has such pods.
   */
  hbone(portName: string | undefined): Alternative[] {
    const prefix = portName === undefined ? 'meshed' : `meshed_np_${ident(portName)}`;
    const comment = portName === undefined ? 'meshed pods (HBONE on TCP 15008)' : `meshed pods with the TCP named port ${portName} (HBONE on TCP 15008)`;
    const select = (): PolicyPod[] => this.pods.filter((p) => p.meshed === true && (portName === undefined || p.namedPorts.some((n) => n.name === portName && n.protocol === 'TCP')));
    return this.podSets(`hbone\u0000${portName ?? ''}`, prefix, 'tcp', comment, select).map(({ set, family }) => ({ text: `${kw(family)} daddr @${set} tcp dport ${HBONE_PORT}`, family }));
  }

  /** `NOT (daddr is a meshed pod AND tcp dport 15008)`, per family; [] when no pod is meshed. */
  notHbone(): Alternative[] {
    const meshed = this.pods.filter((p) => p.meshed === true);
    if (meshed.length === 0) return [];
    return ([4, 6] as const).map((family) => {
      const elements = meshed.flatMap((pod) => pod.ips.map((ip) => parseIp(ip)).filter((ip) => ip?.family === family)).map((ip) => `${formatIp(family, ip?.value ?? 0n)} . tcp . ${HBONE_PORT}`);
      if (elements.length === 0) return { text: `meta nfproto ${nfproto(family)}`, family };
      const name = `hbone_${suffix(family)}`;
      this.addSet(name, { comment: 'HBONE of meshed pods: Deny rules with ports never match it', type: `${addrType(family)} . inet_proto . inet_service`, interval: false }, elements);
      return { text: `${kw(family)} daddr . meta l4proto . th dport != @${name}`, family };
    });
  }
}

export function renderTable(index: PolicyIndex, localPods: PolicyPod[], pods: PolicyPod[]): Rendered {
  const t = new Table(pods, localPods);
  const maps: Record<Direction, Array<[string, string]>> = { egress: [], ingress: [] };
  const podChains: string[] = [];

  for (const pod of localPods) {
    for (const direction of DIRECTIONS) {
      const tiers = index.tiersFor(pod, direction);
      if (tiers.length === 0) continue; // not isolated: no map element, the vmap misses, accept
      const chain = podChainName(pod, direction);
      if (tiers.length === 1 && tiers[0] !== undefined) t.chains.set(chain, tierBody(t, tiers[0], pod, direction));
      else {
        const lines: string[] = [];
        for (const applied of tiers) {
          const tierChain = `${chain}_t_${ident(applied.tier.name)}`;
          t.chains.set(tierChain, tierBody(t, applied, pod, direction));
          podChains.push(tierChain);
          lines.push(`jump ${tierChain}`);
        }
        t.chains.set(chain, lines);
      }
      podChains.push(chain);
      maps[direction].push([pod.hostVeth ?? '', chain]);
    }
  }

  let ruleCount = 0;
  const out: string[] = [
    `# Generated by @ambit/nft compileNetworkPolicies: Kubernetes NetworkPolicy and Calico policy for the pods of one node.`,
    `# One transaction: create the table if missing, delete it, define it again.`,
    `table inet ${NETPOL_TABLE} {}`,
    `delete table inet ${NETPOL_TABLE}`,
    `table inet ${NETPOL_TABLE} {`,
  ];
  for (const c of [...t.counters].sort((a, b) => natural(a.name, b.name))) out.push(`\tcounter ${c.name} {}`);
  if (t.counters.length > 0) out.push('');
  for (const name of [...t.sets.keys()].sort(natural)) {
    const def = t.sets.get(name);
    if (def === undefined) continue;
    out.push(`\t# ${def.comment}`, `\tset ${name} {`, `\t\ttype ${def.type}`);
    if (def.interval) out.push('\t\tflags interval', '\t\tauto-merge');
    out.push(...elementLines([...def.elements].sort(natural)), '\t}', '');
  }
  const podChainSet = new Set(podChains);
  const policyChainNames = [...t.chains.keys()].filter((n) => !podChainSet.has(n)).sort(natural);
  for (const name of [...policyChainNames, ...[...podChainSet].sort(natural)]) {
    const lines = t.chains.get(name) ?? [];
    ruleCount += lines.filter((l) => !l.startsWith('#')).length;
    out.push(`\tchain ${name} {`, ...lines.map((l) => `\t\t${l}`), '\t}', '');
  }
  for (const direction of DIRECTIONS) {
    const elements = maps[direction].sort((a, b) => natural(a[0], b[0])).map(([veth, chain]) => `"${veth}" : jump ${chain}`);
    out.push(`\tmap pod_${direction} {`, '\t\ttype ifname : verdict', ...elementLines(elements), '\t}', '');
  }
  out.push(
    `\t# The SOURCE pod's egress policy: packets arriving from its host veth.`,
    `\tchain egress_hook {`,
    `\t\ttype filter hook forward priority ${NETPOL_EGRESS_PRIORITY}; policy accept;`,
    `\t\tct state established,related accept`,
    `\t\tct state invalid drop`,
    `\t\tiifname vmap @pod_egress`,
    `\t}`,
    '',
    `\t# The DESTINATION pod's ingress policy: packets leaving through its host veth. A separate base`,
    `\t# chain because an accept above ends only that chain.`,
    `\tchain ingress_hook {`,
    `\t\ttype filter hook forward priority ${NETPOL_INGRESS_PRIORITY}; policy accept;`,
    `\t\tct state established,related accept`,
    `\t\tct state invalid drop`,
    `\t\toifname vmap @pod_ingress`,
    `\t}`,
    '}',
    '',
  );
  ruleCount += 6;
  return { ruleset: out.join('\n'), counters: [...t.counters].sort((a, b) => natural(a.name, b.name)), ruleCount };
}

/** The rules of one tier for one pod: its policy chains in order, the pass-bit exit, the end-of-tier drop. */
function tierBody(t: Table, applied: AppliedTier, pod: PolicyPod, direction: Direction): string[] {
  const lines: string[] = [];
  for (const p of applied.policies) {
    const chain = policyChainName(p, direction);
    if (!t.chains.has(chain)) t.chains.set(chain, policyRules(t, p, direction));
    lines.push(`jump ${chain}`);
    if (t.passing.has(chain)) lines.push(`meta mark & ${PASS} == ${PASS} meta mark set meta mark & ${KEEP} return comment "Pass: next tier"`);
  }
  if (applied.tier.defaultAction === 'Deny') {
    const name = `drop_${podChainName(pod, direction)}_${ident(applied.tier.name)}`.slice(0, 250);
    t.counters.push({ name, pod: pod.key, direction, policy: 'default-deny', tier: applied.tier.name });
    lines.push(`counter name "${name}" drop comment "${quote(`${pod.key} ${direction}: default deny, end of tier ${applied.tier.name}`)}"`);
  }
  return lines;
}

function policyRules(t: Table, p: TieredPolicy, direction: Direction): string[] {
  const lines: string[] = [];
  const chain = policyChainName(p, direction);
  for (const rule of p.rules(direction)) {
    const where = `${p.key} ${direction}[${rule.index}]`;
    const alternatives = 'k8s' in rule ? kubernetesRule(t, rule.k8s, p.namespace ?? '', direction) : calicoRule(t, rule.calico, p.namespace, direction);
    const action = actionText(t, p, rule, direction, where);
    if (rule.action === 'Pass' && alternatives.length > 0) t.passing.add(chain);
    let emitted = 0;
    for (const a of alternatives) {
      const line = `${a.text === '' ? '' : `${a.text} `}${action}`;
      if (!lines.includes(line)) lines.push(line);
      emitted++;
    }
    if (emitted === 0) lines.push(`# ${where}: matches nothing (no pod selected, or no pod has the named port)`);
  }
  return lines;
}

function actionText(t: Table, p: TieredPolicy, rule: TieredRule, direction: Direction, where: string): string {
  const comment = `comment "${quote(where)}"`;
  switch (rule.action) {
    case 'Allow':
      return `accept ${comment}`;
    case 'Log':
      return `log prefix "${quote(`ambit-netpol ${where}: `).slice(0, 100)}" ${comment}`;
    case 'Pass':
      return `meta mark set meta mark | ${PASS} return ${comment}`;
    case 'Deny': {
      const name = `deny_${ident(p.key).slice(0, 80)}_${hash8(p.key)}_${direction === 'ingress' ? 'in' : 'eg'}_${rule.index}`;
      if (!t.counters.some((c) => c.name === name)) t.counters.push({ name, pod: '', direction, policy: p.key, rule: rule.index });
      return `counter name "${name}" drop ${comment}`;
    }
  }
}

/** Cross product of AND-ed parts, each a list of OR-ed alternatives; alternatives of different families don't combine. */
function combine(...parts: Alternative[][]): Alternative[] {
  let out: Alternative[] = [{ text: '' }];
  for (const part of parts) {
    const next: Alternative[] = [];
    for (const a of out) {
      for (const b of part) {
        if (a.family !== undefined && b.family !== undefined && a.family !== b.family) continue;
        const family = a.family ?? b.family;
        // a family test already present is not repeated
        const test = /meta nfproto ipv[46]/.exec(b.text)?.[0];
        const bText = test !== undefined && a.text.includes(test) ? b.text.replace(test, '').replace(/ {2,}/g, ' ').trim() : b.text;
        const text = [a.text, bText].filter((x) => x !== '').join(' ');
        next.push(family === undefined ? { text } : { text, family });
      }
    }
    out = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes rules: (OR of peers) AND (OR of ports), plus HBONE for meshed destinations.

function kubernetesRule(t: Table, rule: PolicyRule, ns: string, direction: Direction): Alternative[] {
  return combine(peerAlternatives(t, rule, ns, direction), portAlternatives(t, rule.ports, direction));
}

function peerAlternatives(t: Table, rule: PolicyRule, ns: string, direction: Direction): Alternative[] {
  if (rule.peers === undefined) return [{ text: '' }];
  const field = direction === 'ingress' ? 'saddr' : 'daddr';
  const out: Alternative[] = [];
  for (const peer of rule.peers) {
    if (peer.ipBlock !== undefined) {
      const cidr = parseCidr(peer.ipBlock.cidr);
      if (cidr === undefined) continue; // rejected by validate()
      const except = (peer.ipBlock.except ?? []).map((e) => parseCidr(e)).filter((e) => e !== undefined && e.family === cidr.family).map((e) => (e === undefined ? '' : formatCidr(e)));
      const id = hash8(JSON.stringify([formatCidr(cidr), [...except].sort(natural)]));
      const v = suffix(cidr.family);
      const type = addrType(cidr.family);
      t.addSet(`cidr_${id}_${v}`, { comment: `ipBlock ${formatCidr(cidr)}`, type, interval: true }, [formatCidr(cidr)]);
      let text = `${kw(cidr.family)} ${field} @cidr_${id}_${v}`;
      if (except.length > 0) {
        t.addSet(`exc_${id}_${v}`, { comment: `ipBlock ${formatCidr(cidr)} except`, type, interval: true }, except);
        text = `${kw(cidr.family)} ${field} != @exc_${id}_${v} ${text}`;
      }
      out.push({ text, family: cidr.family });
      continue;
    }
    const identity = JSON.stringify(peerIdentity(peer, ns));
    const id = hash8(identity);
    for (const { set, family } of t.podSets(`peer\u0000${identity}`, 'pods', id, describePeer(peer, ns), () => t.pods.filter((pod) => selectorPeerSelects(peer, ns, pod)))) {
      out.push({ text: `${kw(family)} ${field} @${set}`, family });
    }
  }
  return out;
}

function portAlternatives(t: Table, ports: NetworkPolicyPort[], direction: Direction): Alternative[] {
  if (ports.length === 0) return [{ text: '' }];
  const out: Alternative[] = [];
  const wholeProtocols = new Set<string>();
  const numbered = new Set<string>();
  const named = new Set<string>();
  for (const entry of ports) {
    const proto = portProtocol(entry).toLowerCase();
    if (entry.port === undefined) wholeProtocols.add(proto);
    else if (typeof entry.port === 'number') numbered.add(`${proto} . ${entry.endPort === undefined || entry.endPort === entry.port ? entry.port : `${entry.port}-${entry.endPort}`}`);
    else named.add(`${entry.port}\u0000${portProtocol(entry)}`);
  }
  if (wholeProtocols.size === 1) out.push({ text: `meta l4proto ${[...wholeProtocols][0] ?? ''}` });
  else if (wholeProtocols.size > 1) out.push({ text: `meta l4proto { ${[...wholeProtocols].sort().join(', ')} }` });
  if (numbered.size > 0) out.push({ text: `meta l4proto . th dport { ${[...numbered].sort(natural).join(', ')} }` });
  for (const item of [...named].sort(natural)) {
    const [portName = '', protocol = ''] = item.split('\u0000');
    for (const family of [4, 6] as const) {
      const set = t.namedPortSet(direction, portName, protocol, family);
      if (set !== undefined) out.push({ text: `${kw(family)} daddr . meta l4proto . th dport @${set}`, family });
    }
  }
  // HBONE: a rule admitting some TCP port to a meshed destination admits its TCP 15008 (unless all of TCP is already in)
  if (!wholeProtocols.has('tcp')) {
    if ([...numbered].some((n) => n.startsWith('tcp '))) out.push(...t.hbone(undefined));
    for (const item of [...named].sort(natural)) {
      const [portName = '', protocol = ''] = item.split('\u0000');
      if (protocol === 'TCP') out.push(...t.hbone(portName));
    }
  }
  return out;
}

/** Equal selections share a set: podSelector alone is scoped to the policy's namespace. */
function peerIdentity(peer: NetworkPolicyPeer, ns: string): unknown {
  return {
    namespace: peer.namespaceSelector === undefined ? ns : null,
    namespaceSelector: peer.namespaceSelector === undefined ? null : canonicalSelector(peer.namespaceSelector),
    podSelector: peer.podSelector === undefined ? null : canonicalSelector(peer.podSelector),
  };
}

function canonicalSelector(s: LabelSelector): unknown {
  const labels = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => natural(a, b));
  const expressions = (s.matchExpressions ?? []).map((e) => [e.key, e.operator, [...(e.values ?? [])].sort(natural)]).sort((a, b) => natural(JSON.stringify(a), JSON.stringify(b)));
  return [labels, expressions];
}

function describePeer(peer: NetworkPolicyPeer, ns: string): string {
  const pods = peer.podSelector === undefined ? 'all pods' : `pods {${formatSelector(peer.podSelector)}}`;
  const namespaces = peer.namespaceSelector === undefined ? `namespace ${ns}` : `namespaces {${formatSelector(peer.namespaceSelector)}}`;
  return `${pods} in ${namespaces}`;
}

// ---------------------------------------------------------------------------------------------
// Calico rules: every present field AND-ed.

const NFT_PROTOCOLS: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 1: 'icmp', 58: 'ipv6-icmp', 136: 'udplite' };

function calicoRule(t: Table, rule: CalicoRule, policyNs: string | undefined, direction: Direction): Alternative[] {
  const parts: Alternative[][] = [];
  if (rule.ipVersion !== undefined) parts.push([{ text: `meta nfproto ${nfproto(rule.ipVersion)}`, family: rule.ipVersion }]);
  const proto = rule.protocol === undefined ? undefined : protocolNumber(rule.protocol);
  if (proto !== undefined) parts.push([{ text: `meta l4proto ${NFT_PROTOCOLS[proto] ?? proto}` }]);
  if (rule.notProtocol !== undefined) {
    const n = protocolNumber(rule.notProtocol);
    parts.push([{ text: `meta l4proto != ${n === undefined ? '' : (NFT_PROTOCOLS[n] ?? n)}` }]);
  }
  const icmpKw = proto === 58 ? 'icmpv6' : 'icmp';
  if (rule.icmp !== undefined) {
    const text = [rule.icmp.type === undefined ? '' : `${icmpKw} type ${rule.icmp.type}`, rule.icmp.code === undefined ? '' : `${icmpKw} code ${rule.icmp.code}`].filter((x) => x !== '').join(' ');
    parts.push([{ text }]);
  }
  if (rule.notICMP?.type !== undefined) parts.push([{ text: `${icmpKw} type != ${rule.notICMP.type}` }]);
  if (rule.source !== undefined) parts.push(entityAddresses(t, rule.source, policyNs, 'saddr'));
  const d = rule.destination;
  if (d !== undefined) {
    parts.push(entityAddresses(t, d, policyNs, 'daddr'));
    const hasPorts = (d.ports ?? []).length > 0 || (d.notPorts ?? []).length > 0;
    if (hasPorts) {
      const protoName = rule.protocol === undefined ? 'TCP' : protocolName(rule.protocol);
      const ports = combine(destinationPorts(t, d.ports ?? [], protoName, direction), destinationNotPorts(t, d.notPorts ?? [], protoName, direction));
      if (proto === 6 && (rule.action === 'Allow' || rule.action === 'Pass')) ports.push(...t.hbone(undefined));
      parts.push(ports);
      if (proto === 6 && rule.action === 'Deny' && mayMatchHbone(t, d)) parts.push(t.notHbone());
    }
  }
  return combine(...parts);
}

/** Whether a destination's port match could admit TCP 15008 of a meshed pod (only then a Deny needs the HBONE guard). */
function mayMatchHbone(t: Table, d: CalicoEntityRule): boolean {
  if ((d.notPorts ?? []).length > 0) return true;
  return (d.ports ?? []).some((p) => {
    const parsed = parseCalicoPort(p);
    if (parsed === undefined) return false;
    if ('name' in parsed) return t.pods.some((pod) => pod.meshed === true && pod.namedPorts.some((n) => n.name === parsed.name && n.protocol === 'TCP' && n.port === HBONE_PORT));
    return parsed.min <= HBONE_PORT && parsed.max >= HBONE_PORT;
  });
}

function portList(ports: Array<number | string>): { numbers: string[]; names: string[] } {
  const numbers: string[] = [];
  const names: string[] = [];
  for (const p of ports) {
    const parsed = parseCalicoPort(p);
    if (parsed === undefined) continue;
    if ('name' in parsed) names.push(parsed.name);
    else numbers.push(parsed.min === parsed.max ? String(parsed.min) : `${parsed.min}-${parsed.max}`);
  }
  return { numbers: [...new Set(numbers)].sort(natural), names: [...new Set(names)].sort(natural) };
}

function destinationPorts(t: Table, ports: Array<number | string>, protocol: string, direction: Direction): Alternative[] {
  if (ports.length === 0) return [{ text: '' }];
  const { numbers, names } = portList(ports);
  const out: Alternative[] = [];
  if (numbers.length > 0) out.push({ text: `th dport { ${numbers.join(', ')} }` });
  for (const name of names) {
    for (const family of [4, 6] as const) {
      const set = t.namedPortSet(direction, name, protocol, family);
      if (set !== undefined) out.push({ text: `${kw(family)} daddr . meta l4proto . th dport @${set}`, family });
    }
  }
  return out;
}

function destinationNotPorts(t: Table, ports: Array<number | string>, protocol: string, direction: Direction): Alternative[] {
  if (ports.length === 0) return [{ text: '' }];
  const { numbers, names } = portList(ports);
  let parts: Alternative[] = numbers.length > 0 ? [{ text: `th dport != { ${numbers.join(', ')} }` }] : [{ text: '' }];
  for (const name of names) {
    const alternatives = ([4, 6] as const).map((family) => {
      const set = t.namedPortSet(direction, name, protocol, family);
      return { text: set === undefined ? `meta nfproto ${nfproto(family)}` : `${kw(family)} daddr . meta l4proto . th dport != @${set}`, family };
    });
    parts = combine(parts, alternatives);
  }
  return parts;
}

/** nets, notNets, selector/namespaceSelector/serviceAccounts (a set of pod addresses), notSelector. */
function entityAddresses(t: Table, e: CalicoEntityRule, policyNs: string | undefined, field: 'saddr' | 'daddr'): Alternative[] {
  const parts: Alternative[][] = [];
  if (e.nets !== undefined && e.nets.length > 0) parts.push(netAlternatives(t, e.nets, field, false));
  if (e.notNets !== undefined && e.notNets.length > 0) parts.push(netAlternatives(t, e.notNets, field, true));
  const identity = JSON.stringify([policyNs ?? null, e.selector ?? null, e.namespaceSelector ?? null, e.serviceAccounts ?? null, e.notSelector ?? null]);
  const id = hash8(identity);
  const describe = `calico ${[e.selector === undefined ? '' : `selector ${e.selector}`, e.namespaceSelector === undefined ? '' : `namespaceSelector ${e.namespaceSelector}`, e.serviceAccounts === undefined ? '' : `serviceAccounts${e.serviceAccounts.names === undefined ? '' : ` names ${e.serviceAccounts.names.join(',')}`}${e.serviceAccounts.selector === undefined ? '' : ` selector ${e.serviceAccounts.selector}`}`, e.notSelector === undefined ? '' : `notSelector ${e.notSelector}`, policyNs === undefined ? '' : `(policy namespace ${policyNs})`].filter((x) => x !== '').join(' ')}`;
  if (entityNeedsPod(e, policyNs)) {
    const sets = t.podSets(`cal\u0000${identity}`, 'cal', id, quote(describe), () => t.pods.filter((pod) => entitySelectsPod(e, policyNs, pod) && !notSelectorExcludes(e, pod)));
    parts.push(sets.map(({ set, family }) => ({ text: `${kw(family)} ${field} @${set}`, family })));
  } else if (e.notSelector !== undefined) {
    const excluded = t.pods.filter((pod) => notSelectorExcludes(e, pod));
    const alternatives = ([4, 6] as const).map((family) => {
      const set = t.podSet('calnot', id, family, quote(describe), excluded);
      return { text: set === undefined ? `meta nfproto ${nfproto(family)}` : `${kw(family)} ${field} != @${set}`, family };
    });
    parts.push(alternatives);
  }
  return combine(...parts);
}

function netAlternatives(t: Table, nets: string[], field: 'saddr' | 'daddr', negated: boolean): Alternative[] {
  const out: Alternative[] = [];
  for (const family of [4, 6] as const) {
    const cidrs = nets.map(parseNet).filter((c) => c?.family === family).map((c) => (c === undefined ? '' : formatCidr(c)));
    if (cidrs.length === 0) {
      if (negated) out.push({ text: `meta nfproto ${nfproto(family)}`, family });
      continue;
    }
    const unique = [...new Set(cidrs)].sort(natural);
    const name = `net_${hash8(JSON.stringify(unique))}_${suffix(family)}`;
    t.addSet(name, { comment: `calico nets ${unique.join(', ').slice(0, 100)}`, type: addrType(family), interval: true }, unique);
    out.push({ text: `${kw(family)} ${field} ${negated ? '!= ' : ''}@${name}`, family });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function elementLines(elements: string[]): string[] {
  if (elements.length === 0) return [];
  return ['\t\telements = {', ...elements.map((e, i) => `\t\t\t${e}${i < elements.length - 1 ? ',' : ''}`), '\t\t}'];
}

function policyChainName(p: TieredPolicy, direction: Direction): string {
  const dir = direction === 'ingress' ? 'in' : 'eg';
  if ('k8s' in p.source) {
    const np = p.source.k8s;
    return `pol_${ident(p.namespace ?? '').slice(0, 40)}_${ident(np.metadata.name).slice(0, 60)}_${hash8(p.key)}_${dir}`;
  }
  return `cal_${ident(p.key).slice(0, 100)}_${hash8(p.key)}_${dir}`;
}

function podChainName(pod: PolicyPod, direction: Direction): string {
  const [ns = '', name = ''] = pod.key.split('/');
  return `pod_${ident(ns).slice(0, 40)}_${ident(name).slice(0, 60)}_${hash8(pod.key)}_${direction === 'ingress' ? 'in' : 'eg'}`;
}

const ident = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '_');
const hash8 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);
const suffix = (family: Family): string => (family === 4 ? 'v4' : 'v6');
const kw = (family: Family): string => (family === 4 ? 'ip' : 'ip6');
const nfproto = (family: Family): string => (family === 4 ? 'ipv4' : 'ipv6');
const addrType = (family: Family): string => `${family === 4 ? 'ipv4' : 'ipv6'}_addr`;
const quote = (text: string): string => text.replace(/["\\]/g, '_').slice(0, 120);
