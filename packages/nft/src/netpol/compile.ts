// Kubernetes NetworkPolicies + the cluster's pods -> one nftables table for one node
// (cni-netpol.md section 6.2), and `explain`, the same semantics answered for one connection.
import { createHash } from 'node:crypto';
import { AmbitError } from '@ambit/core';
import { formatSelector } from '@ambit/api';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '@ambit/api';
import { NftErrorCode } from '../errors.ts';
import { formatCidr, formatIp, parseCidr, parseIp } from './ip.ts';
import type { Family } from './ip.ts';
import { appliesTo, peerMatchesAddress, policyKey, policyNamespace, portMatches, portProtocol, rulesOf, selectorPeerSelects } from './model.ts';
import type { Direction, PolicyPod, PolicyRule } from './model.ts';

export const NETPOL_TABLE = 'ambit-netpol';
/** Priorities of the two forward base chains: the source's egress first, then the destination's ingress. */
export const NETPOL_EGRESS_PRIORITY = 0;
export const NETPOL_INGRESS_PRIORITY = 10;

export interface NodePolicyInput {
  /** The pods of this node, each with its host-side veth. */
  localPods: PolicyPod[];
  /** Every pod of the cluster (the local ones may be repeated here). */
  allPods: PolicyPod[];
  policies: NetworkPolicy[];
}

export interface Verdict {
  allowed: boolean;
  /** Egress side, then ingress side: which policy and rule allowed it, default deny, or not isolated. */
  reason: string;
}

export interface CompiledNetworkPolicies {
  /** One nft script that replaces `table inet ambit-netpol` in one transaction. */
  ruleset: string;
  /** What the policies decide for a new connection from `from.ip` to `to` on `port`/`protocol`. */
  explain: (from: { ip: string }, to: PolicyPod, port: number, protocol: string) => Verdict;
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;
const DIRECTIONS: readonly Direction[] = ['egress', 'ingress'];
const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

export function compileNetworkPolicies(input: NodePolicyInput): CompiledNetworkPolicies {
  validate(input);
  const pods = unionPods(input);
  const policies = [...input.policies].sort((a, b) => natural(policyKey(a), policyKey(b)));
  const localPods = [...input.localPods].sort((a, b) => natural(a.key, b.key));
  const byIp = new Map<string, PolicyPod>();
  for (const pod of pods) for (const ip of pod.ips) byIp.set(normalizeIp(ip), pod);
  const owner = (ip: string): PolicyPod | undefined => byIp.get(normalizeIp(ip));

  const explain = (from: { ip: string }, to: PolicyPod, port: number, anyCaseProtocol: string): Verdict => {
    const protocol = anyCaseProtocol.toUpperCase();
    const source = owner(from.ip);
    const sourceFamily = parseIp(from.ip)?.family;
    const toIp = to.ips.find((ip) => parseIp(ip)?.family === sourceFamily) ?? to.ips[0] ?? '';
    const egress: Verdict =
      source === undefined
        ? { allowed: true, reason: `egress: ${from.ip} is not a pod, no egress policy applies` }
        : decide(policies, 'egress', source, toIp, to, port, protocol, to);
    const ingress = decide(policies, 'ingress', to, from.ip, source, port, protocol, to);
    return { allowed: egress.allowed && ingress.allowed, reason: `${egress.reason}; ${ingress.reason}` };
  };

  return { ruleset: render(policies, localPods, pods), explain };
}

function decide(policies: NetworkPolicy[], direction: Direction, subject: PolicyPod, remoteIp: string, remote: PolicyPod | undefined, port: number, protocol: string, destination: PolicyPod): Verdict {
  const applying = policies.filter((np) => appliesTo(np, subject, direction));
  if (applying.length === 0) return { allowed: true, reason: `${direction} of ${subject.key}: not isolated` };
  for (const np of applying) {
    const rules = rulesOf(np, direction);
    for (const [i, rule] of rules.entries()) {
      const peerOk = rule.peers === undefined || rule.peers.some((peer) => peerMatchesAddress(peer, policyNamespace(np), remoteIp, remote));
      const portOk = rule.ports.length === 0 || rule.ports.some((entry) => portMatches(entry, protocol, port, destination));
      if (peerOk && portOk) return { allowed: true, reason: `${direction} of ${subject.key}: allowed by ${policyKey(np)} ${direction}[${i}]` };
    }
  }
  return { allowed: false, reason: `${direction} of ${subject.key}: default deny (isolated by ${applying.map(policyKey).join(', ')}; no rule allows it)` };
}

// ---------------------------------------------------------------------------------------------
// Rendering

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

function render(policies: NetworkPolicy[], localPods: PolicyPod[], pods: PolicyPod[]): string {
  const sets = new Map<string, SetDef>();
  const addSet = (name: string, def: Omit<SetDef, 'elements'>, elements: Iterable<string>): void => {
    const existing = sets.get(name);
    const target = existing ?? { ...def, elements: new Set<string>() };
    for (const e of elements) target.elements.add(e);
    if (existing === undefined) sets.set(name, target);
  };

  const policyChains = new Map<string, string[]>();
  const podChains = new Map<string, string[]>();
  const maps: Record<Direction, Array<[string, string]>> = { egress: [], ingress: [] };

  for (const pod of localPods) {
    for (const direction of DIRECTIONS) {
      const applying = policies.filter((np) => appliesTo(np, pod, direction));
      if (applying.length === 0) continue; // not isolated: no map element, the vmap misses, accept
      const lines: string[] = [];
      for (const np of applying) {
        const name = policyChainName(np, direction);
        if (!policyChains.has(name)) policyChains.set(name, policyRules(np, direction, pods, localPods, addSet));
        lines.push(`jump ${name}`);
      }
      lines.push(`counter drop comment "${quote(`${pod.key} ${direction}: default deny`)}"`);
      const chain = podChainName(pod, direction);
      podChains.set(chain, lines);
      maps[direction].push([pod.hostVeth ?? '', chain]);
    }
  }

  const out: string[] = [
    `# Generated by @ambit/nft compileNetworkPolicies: Kubernetes NetworkPolicy for the pods of one node.`,
    `# One transaction: create the table if missing, delete it, define it again.`,
    `table inet ${NETPOL_TABLE} {}`,
    `delete table inet ${NETPOL_TABLE}`,
    `table inet ${NETPOL_TABLE} {`,
  ];
  for (const name of [...sets.keys()].sort(natural)) {
    const def = sets.get(name);
    if (def === undefined) continue;
    out.push(`\t# ${def.comment}`, `\tset ${name} {`, `\t\ttype ${def.type}`);
    if (def.interval) out.push('\t\tflags interval', '\t\tauto-merge');
    out.push(...elementLines([...def.elements].sort(natural)), '\t}', '');
  }
  for (const name of [...policyChains.keys()].sort(natural)) {
    out.push(`\tchain ${name} {`, ...(policyChains.get(name) ?? []).map((l) => `\t\t${l}`), '\t}', '');
  }
  for (const name of [...podChains.keys()].sort(natural)) {
    out.push(`\tchain ${name} {`, ...(podChains.get(name) ?? []).map((l) => `\t\t${l}`), '\t}', '');
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
  return out.join('\n');
}

function elementLines(elements: string[]): string[] {
  if (elements.length === 0) return [];
  return ['\t\telements = {', ...elements.map((e, i) => `\t\t\t${e}${i < elements.length - 1 ? ',' : ''}`), '\t\t}'];
}

/** The rules of one policy chain: each rule = (OR of peers) AND (OR of ports), one nft rule per pair. */
function policyRules(np: NetworkPolicy, direction: Direction, pods: PolicyPod[], localPods: PolicyPod[], addSet: (name: string, def: Omit<SetDef, 'elements'>, elements: Iterable<string>) => void): string[] {
  const key = policyKey(np);
  const ns = policyNamespace(np);
  const lines: string[] = [];
  for (const [i, rule] of rulesOf(np, direction).entries()) {
    const where = `${key} ${direction}[${i}]`;
    const addresses = addressAlternatives(rule, ns, direction, pods, addSet);
    // Named ports are looked up on the destination: for ingress that is one of this node's pods.
    const ports = portAlternatives(rule.ports, direction === 'ingress' ? localPods : pods, direction === 'ingress' ? 'npin' : 'np', addSet);
    let emitted = 0;
    for (const a of addresses) {
      for (const p of ports) {
        if (a.family !== undefined && p.family !== undefined && a.family !== p.family) continue;
        const line = `${[a.text, p.text].filter((t) => t !== '').join(' ')}${a.text === '' && p.text === '' ? '' : ' '}accept comment "${quote(where)}"`;
        if (!lines.includes(line)) lines.push(line);
        emitted++;
      }
    }
    if (emitted === 0) lines.push(`# ${where}: matches nothing (no pod selected, or no pod has the named port)`);
  }
  return lines;
}

function addressAlternatives(rule: PolicyRule, ns: string, direction: Direction, pods: PolicyPod[], addSet: (name: string, def: Omit<SetDef, 'elements'>, elements: Iterable<string>) => void): Alternative[] {
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
      const type = `${cidr.family === 4 ? 'ipv4' : 'ipv6'}_addr`;
      const kw = cidr.family === 4 ? 'ip' : 'ip6';
      addSet(`cidr_${id}_${v}`, { comment: `ipBlock ${formatCidr(cidr)}`, type, interval: true }, [formatCidr(cidr)]);
      let text = `${kw} ${field} @cidr_${id}_${v}`;
      if (except.length > 0) {
        addSet(`exc_${id}_${v}`, { comment: `ipBlock ${formatCidr(cidr)} except`, type, interval: true }, except);
        text = `${kw} ${field} != @exc_${id}_${v} ${text}`;
      }
      out.push({ text, family: cidr.family });
      continue;
    }
    const selected = pods.filter((pod) => selectorPeerSelects(peer, ns, pod));
    const id = hash8(JSON.stringify(peerIdentity(peer, ns)));
    for (const family of [4, 6] as const) {
      const ips = selected.flatMap((pod) => pod.ips.map((ip) => parseIp(ip)).filter((ip) => ip?.family === family)).map((ip) => formatIp(family, ip?.value ?? 0n));
      if (ips.length === 0) continue;
      const name = `pods_${id}_${suffix(family)}`;
      addSet(name, { comment: describePeer(peer, ns), type: `${family === 4 ? 'ipv4' : 'ipv6'}_addr`, interval: false }, ips);
      out.push({ text: `${family === 4 ? 'ip' : 'ip6'} ${field} @${name}`, family });
    }
  }
  return out;
}

function portAlternatives(ports: NetworkPolicyPort[], pods: PolicyPod[], prefix: string, addSet: (name: string, def: Omit<SetDef, 'elements'>, elements: Iterable<string>) => void): Alternative[] {
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
      const elements: string[] = [];
      for (const pod of pods) {
        for (const np of pod.namedPorts) {
          if (np.name !== portName || np.protocol !== protocol) continue;
          for (const ip of pod.ips) {
            const parsed = parseIp(ip);
            if (parsed?.family === family) elements.push(`${formatIp(family, parsed.value)} . ${protocol.toLowerCase()} . ${np.port}`);
          }
        }
      }
      if (elements.length === 0) continue;
      const name = `${prefix}_${ident(portName)}_${protocol.toLowerCase()}_${suffix(family)}`;
      addSet(name, { comment: `named port ${portName}/${protocol} of every ${prefix === 'npin' ? 'pod of this node' : 'pod'} that has it`, type: `${family === 4 ? 'ipv4' : 'ipv6'}_addr . inet_proto . inet_service`, interval: false }, elements);
      out.push({ text: `${family === 4 ? 'ip' : 'ip6'} daddr . meta l4proto . th dport @${name}`, family });
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

function policyChainName(np: NetworkPolicy, direction: Direction): string {
  return `pol_${ident(policyNamespace(np)).slice(0, 40)}_${ident(np.metadata.name).slice(0, 60)}_${hash8(policyKey(np))}_${direction === 'ingress' ? 'in' : 'eg'}`;
}

function podChainName(pod: PolicyPod, direction: Direction): string {
  const [ns = '', name = ''] = pod.key.split('/');
  return `pod_${ident(ns).slice(0, 40)}_${ident(name).slice(0, 60)}_${hash8(pod.key)}_${direction === 'ingress' ? 'in' : 'eg'}`;
}

const ident = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '_');
const hash8 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);
const suffix = (family: Family): string => (family === 4 ? 'v4' : 'v6');
const quote = (text: string): string => text.replace(/["\\]/g, '_').slice(0, 120);

function normalizeIp(ip: string): string {
  const parsed = parseIp(ip);
  return parsed === undefined ? ip : formatIp(parsed.family, parsed.value);
}

function unionPods(input: NodePolicyInput): PolicyPod[] {
  const byKey = new Map<string, PolicyPod>();
  for (const pod of [...input.allPods, ...input.localPods]) if (!byKey.has(pod.key)) byKey.set(pod.key, pod);
  return [...byKey.values()].sort((a, b) => natural(a.key, b.key));
}

// ---------------------------------------------------------------------------------------------
// Validation: every problem at once, nothing rendered from a bad input.

function validate(input: NodePolicyInput): void {
  const problems: string[] = [];
  const veths = new Map<string, string>();
  const checkPod = (pod: PolicyPod, where: string): void => {
    for (const ip of pod.ips) if (parseIp(ip) === undefined) problems.push(`${where} ${pod.key}: "${ip}" is not an IP address`);
    for (const np of pod.namedPorts) {
      if (!Number.isInteger(np.port) || np.port < 1 || np.port > 65535) problems.push(`${where} ${pod.key}: named port ${np.name} has port ${np.port}`);
      if (!PROTOCOLS.has(np.protocol)) problems.push(`${where} ${pod.key}: named port ${np.name} has protocol ${String(np.protocol)}`);
    }
  };
  for (const pod of input.allPods) checkPod(pod, 'allPods');
  for (const pod of input.localPods) {
    checkPod(pod, 'localPods');
    if (pod.hostVeth === undefined || !IFNAME.test(pod.hostVeth)) problems.push(`localPods ${pod.key}: hostVeth must be an interface name matching ${IFNAME.source}, got ${JSON.stringify(pod.hostVeth)}`);
    else if (veths.has(pod.hostVeth)) problems.push(`localPods ${pod.key}: hostVeth ${pod.hostVeth} is also the veth of ${veths.get(pod.hostVeth) ?? ''}`);
    else veths.set(pod.hostVeth, pod.key);
  }
  for (const np of input.policies) {
    const key = policyKey(np);
    for (const direction of DIRECTIONS) {
      for (const [i, rule] of rulesOf(np, direction).entries()) {
        const where = `policy ${key} ${direction}[${i}]`;
        for (const peer of rule.peers ?? []) {
          if (peer.ipBlock === undefined) continue;
          const cidr = parseCidr(peer.ipBlock.cidr);
          if (cidr === undefined) problems.push(`${where}: ipBlock.cidr "${peer.ipBlock.cidr}" is not a CIDR`);
          for (const e of peer.ipBlock.except ?? []) {
            const inner = parseCidr(e);
            if (inner === undefined) problems.push(`${where}: ipBlock.except "${e}" is not a CIDR`);
            else if (cidr !== undefined && inner.family !== cidr.family) problems.push(`${where}: ipBlock.except "${e}" is not of the family of ${peer.ipBlock.cidr}`);
          }
        }
        for (const entry of rule.ports) {
          if (!PROTOCOLS.has(portProtocol(entry))) problems.push(`${where}: protocol ${String(entry.protocol)} is not TCP, UDP or SCTP`);
          if (typeof entry.port === 'number' && (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535)) problems.push(`${where}: port ${entry.port} is out of range`);
          if (typeof entry.port === 'string' && !/^[a-z0-9-]{1,15}$/.test(entry.port)) problems.push(`${where}: named port "${entry.port}" is not a port name`);
          if (entry.endPort !== undefined && (typeof entry.port !== 'number' || !Number.isInteger(entry.endPort) || entry.endPort < entry.port || entry.endPort > 65535)) {
            problems.push(`${where}: endPort ${entry.endPort} needs a numeric port <= endPort <= 65535`);
          }
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new AmbitError(NftErrorCode.INVALID_POLICY_INPUT, `cannot compile NetworkPolicies: ${problems.join('; ')}`, { details: { problems } });
  }
}
