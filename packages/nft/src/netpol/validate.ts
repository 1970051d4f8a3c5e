// Validation of the compiler's and the evaluator's input: every problem at once, nothing rendered
// or evaluated from a bad input (AMBIT_NFT_INVALID_POLICY_INPUT).
import { AmbitError } from '@ambit/core';
import { parseCalicoPort, parseCalicoSelector } from '@ambit/api';
import type { CalicoEntityRule, NetworkPolicy } from '@ambit/api';
import { NftErrorCode } from '../errors.ts';
import { calicoPolicyKey, DEFAULT_TIER, DEFAULT_TIER_ORDER, parseNet, protocolNumber } from './calico.ts';
import type { CalicoPolicy, CalicoTier } from './calico.ts';
import { parseCidr, parseIp } from './ip.ts';
import { portProtocol, policyKey, rulesOf } from './model.ts';
import type { Direction, PolicyPod } from './model.ts';

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;
const DIRECTIONS: readonly Direction[] = ['egress', 'ingress'];
/** Protocols whose rules may carry ports (Calico's validator: TCP, UDP, SCTP, UDPLite). */
const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);

export function validateNodeInput(localPods: PolicyPod[], allPods: PolicyPod[], policies: NetworkPolicy[], calicoPolicies: CalicoPolicy[], tiers: CalicoTier[]): void {
  const problems: string[] = [];
  const veths = new Map<string, string>();
  for (const pod of localPods) {
    checkPod(pod, 'localPods', problems);
    if (pod.hostVeth === undefined || !IFNAME.test(pod.hostVeth)) problems.push(`localPods ${pod.key}: hostVeth must be an interface name matching ${IFNAME.source}, got ${JSON.stringify(pod.hostVeth)}`);
    else if (veths.has(pod.hostVeth)) problems.push(`localPods ${pod.key}: hostVeth ${pod.hostVeth} is also the veth of ${veths.get(pod.hostVeth) ?? ''}`);
    else veths.set(pod.hostVeth, pod.key);
  }
  collect(allPods, policies, calicoPolicies, tiers, problems);
  fail(problems);
}

export function validatePolicies(allPods: PolicyPod[], policies: NetworkPolicy[], calicoPolicies: CalicoPolicy[], tiers: CalicoTier[]): void {
  const problems: string[] = [];
  collect(allPods, policies, calicoPolicies, tiers, problems);
  fail(problems);
}

function fail(problems: string[]): void {
  if (problems.length > 0) {
    throw new AmbitError(NftErrorCode.INVALID_POLICY_INPUT, `cannot compile NetworkPolicies: ${problems.join('; ')}`, { details: { problems } });
  }
}

function checkPod(pod: PolicyPod, where: string, problems: string[]): void {
  for (const ip of pod.ips) if (parseIp(ip) === undefined) problems.push(`${where} ${pod.key}: "${ip}" is not an IP address`);
  for (const np of pod.namedPorts) {
    if (!Number.isInteger(np.port) || np.port < 1 || np.port > 65535) problems.push(`${where} ${pod.key}: named port ${np.name} has port ${np.port}`);
    if (!PROTOCOLS.has(np.protocol)) problems.push(`${where} ${pod.key}: named port ${np.name} has protocol ${String(np.protocol)}`);
  }
}

function collect(allPods: PolicyPod[], policies: NetworkPolicy[], calicoPolicies: CalicoPolicy[], tiers: CalicoTier[], problems: string[]): void {
  for (const pod of allPods) checkPod(pod, 'allPods', problems);
  for (const np of policies) kubernetesProblems(np, problems);
  for (const t of tiers) {
    const name = t.metadata.name;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) problems.push(`tier "${name}": the name must be a DNS label`);
    if (name === DEFAULT_TIER && t.spec.order !== undefined && t.spec.order !== DEFAULT_TIER_ORDER) problems.push(`tier default: order is pinned to ${DEFAULT_TIER_ORDER}, got ${t.spec.order}`);
    if (t.spec.order !== undefined && !Number.isFinite(t.spec.order)) problems.push(`tier ${name}: order ${t.spec.order} is not a number`);
    if (t.spec.defaultAction !== undefined && t.spec.defaultAction !== 'Deny' && t.spec.defaultAction !== 'Pass') problems.push(`tier ${name}: defaultAction must be Deny or Pass, got ${String(t.spec.defaultAction)}`);
  }
  for (const p of calicoPolicies) calicoProblems(p, problems);
}

function kubernetesProblems(np: NetworkPolicy, problems: string[]): void {
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

function selectorProblem(where: string, field: string, text: string | undefined, problems: string[]): void {
  if (text === undefined) return;
  const r = parseCalicoSelector(text);
  if (!r.ok) problems.push(`${where}: ${field} ${JSON.stringify(text)} is not a Calico selector: ${r.message} (at character offset ${r.offset})`);
}

function calicoProblems(p: CalicoPolicy, problems: string[]): void {
  const key = calicoPolicyKey(p);
  const tier = p.spec.tier ?? DEFAULT_TIER;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(tier)) problems.push(`calico policy ${key}: tier ${JSON.stringify(tier)} is not a tier name`);
  if (p.spec.order !== undefined && !Number.isFinite(p.spec.order)) problems.push(`calico policy ${key}: order ${p.spec.order} is not a number`);
  selectorProblem(`calico policy ${key}`, 'selector', p.spec.selector, problems);
  selectorProblem(`calico policy ${key}`, 'serviceAccountSelector', p.spec.serviceAccountSelector, problems);
  if (p.kind === 'GlobalNetworkPolicy') selectorProblem(`calico policy ${key}`, 'namespaceSelector', p.spec.namespaceSelector, problems);
  for (const direction of DIRECTIONS) {
    const rules = (direction === 'ingress' ? p.spec.ingress : p.spec.egress) ?? [];
    for (const [i, rule] of rules.entries()) {
      const where = `calico policy ${key} ${direction}[${i}]`;
      if (!['Allow', 'Deny', 'Log', 'Pass'].includes(rule.action)) problems.push(`${where}: action ${String(rule.action)} is not Allow, Deny, Log or Pass`);
      for (const [field, proto] of [['protocol', rule.protocol], ['notProtocol', rule.notProtocol]] as const) {
        if (proto === undefined) continue;
        const n = protocolNumber(proto);
        if (n === undefined || !Number.isInteger(n) || n < 1 || n > 255) problems.push(`${where}: ${field} ${String(proto)} is not a protocol name or number 1-255`);
      }
      if (rule.notICMP?.code !== undefined) problems.push(`${where}: notICMP with a code is not supported`);
      const proto = rule.protocol === undefined ? undefined : protocolNumber(rule.protocol);
      for (const side of ['source', 'destination'] as const) {
        const e: CalicoEntityRule | undefined = rule[side];
        if (e === undefined) continue;
        for (const field of ['nets', 'notNets'] as const) {
          for (const n of e[field] ?? []) {
            const net = parseNet(n);
            if (net === undefined) problems.push(`${where}: ${side}.${field} "${n}" is not an IP address or CIDR`);
            else if (rule.ipVersion !== undefined && net.family !== rule.ipVersion) problems.push(`${where}: ${side}.${field} "${n}" is not IPv${rule.ipVersion}`);
          }
        }
        selectorProblem(where, `${side}.selector`, e.selector, problems);
        selectorProblem(where, `${side}.notSelector`, e.notSelector, problems);
        selectorProblem(where, `${side}.namespaceSelector`, e.namespaceSelector, problems);
        selectorProblem(where, `${side}.serviceAccounts.selector`, e.serviceAccounts?.selector, problems);
        for (const field of ['ports', 'notPorts'] as const) {
          const list = e[field];
          if (list === undefined) continue;
          if (side === 'source' && list.length > 0) problems.push(`${where}: source.${field} (source ports) is not supported`);
          for (const port of list) if (parseCalicoPort(port) === undefined) problems.push(`${where}: ${side}.${field} ${JSON.stringify(port)} is not a port number 1-65535, a range "min:max" or a port name`);
          if (list.length > 0 && (proto === undefined || !PORT_PROTOCOLS.has(proto))) problems.push(`${where}: ${side}.${field} requires protocol TCP, UDP, SCTP or UDPLite in the rule`);
        }
      }
    }
  }
}
