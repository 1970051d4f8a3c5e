// Mesh-aware HBONE admission (README "Mesh-aware HBONE admission"): for a meshed destination, a TCP
// Allow (or Pass) rule with a port restriction also admits TCP 15008 from the same peers; rules
// without a port restriction already do; UDP/SCTP-only rules never do; Deny rules with ports never
// match HBONE. Checked on the rules of the policy chain each case renders (x/a, x/b, y/b meshed).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CalicoRule, NetworkPolicyIngressRule } from '@ambit/api';
import { compileNetworkPolicies } from './compile.ts';
import type { NodePolicyInput } from './compile.ts';
import { CLUSTER, LOCAL, gnp, policy } from '../../test/netpol-fixtures.ts';
import type { PolicyPod } from './model.ts';

const MESHED = new Set(['x/a', 'x/b', 'y/b']);
const mesh = (pods: PolicyPod[], on: boolean): PolicyPod[] => pods.map((p) => ({ ...p, meshed: on && MESHED.has(p.key) }));

/** The rules of the one policy chain of the ruleset. */
function policyChain(input: NodePolicyInput): string[] {
  const m = /\tchain (?:pol|cal)_\w+ \{\n([\s\S]*?)\n\t\}/.exec(compileNetworkPolicies(input).ruleset);
  return (m?.[1] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

const k8s = (rule: NetworkPolicyIngressRule, meshed = true): NodePolicyInput => ({
  localPods: mesh(LOCAL, meshed),
  allPods: mesh(CLUSTER, meshed),
  policies: [policy('x/p', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [rule] })],
});
const calico = (rule: CalicoRule): NodePolicyInput => ({ localPods: mesh(LOCAL, true), allPods: mesh(CLUSTER, true), policies: [], calicoPolicies: [gnp('p', { selector: "pod == 'a'", ingress: [rule] })] });

const fromB = [{ podSelector: { matchLabels: { pod: 'b' } } }];
const cases: Array<{ name: string; input: NodePolicyInput; hbone: RegExp[]; none?: boolean }> = [
  { name: 'Kubernetes TCP port: + peer AND meshed destination AND tcp dport 15008', input: k8s({ from: fromB, ports: [{ protocol: 'TCP', port: 80 }] }), hbone: [/^ip saddr @pods_\w+_v4 ip daddr @meshed_tcp_v4 tcp dport 15008 accept/] },
  { name: 'Kubernetes TCP range (endPort)', input: k8s({ from: fromB, ports: [{ protocol: 'TCP', port: 8000, endPort: 8100 }] }), hbone: [/ip daddr @meshed_tcp_v4 tcp dport 15008 accept/] },
  { name: 'Kubernetes TCP named port: only meshed pods that have it', input: k8s({ from: fromB, ports: [{ protocol: 'TCP', port: 'web' }] }), hbone: [/ip daddr @meshed_np_web_tcp_v4 tcp dport 15008 accept/] },
  { name: 'Kubernetes UDP/SCTP only: no HBONE', input: k8s({ from: fromB, ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 80 }] }), hbone: [], none: true },
  { name: 'Kubernetes whole TCP: already admits 15008, nothing added', input: k8s({ from: fromB, ports: [{ protocol: 'TCP' }, { protocol: 'TCP', port: 80 }] }), hbone: [], none: true },
  { name: 'Kubernetes no ports: already admits everything, nothing added', input: k8s({ from: fromB }), hbone: [], none: true },
  { name: 'no meshed pod: nothing added', input: k8s({ from: fromB, ports: [{ protocol: 'TCP', port: 80 }] }, false), hbone: [], none: true },
  { name: 'Calico Allow TCP ports', input: calico({ action: 'Allow', protocol: 'TCP', source: { selector: "pod == 'b'" }, destination: { ports: [80] } }), hbone: [/^meta l4proto tcp ip saddr @cal_\w+_v4 ip daddr @meshed_tcp_v4 tcp dport 15008 accept/] },
  { name: 'Calico Allow TCP notPorts', input: calico({ action: 'Allow', protocol: 'TCP', destination: { notPorts: [15008] } }), hbone: [/^meta l4proto tcp ip daddr @meshed_tcp_v4 tcp dport 15008 accept/] },
  { name: 'Calico Pass TCP ports: passes HBONE on too (over-approximation)', input: calico({ action: 'Pass', protocol: 'TCP', destination: { ports: [443] } }), hbone: [/^meta l4proto tcp ip daddr @meshed_tcp_v4 tcp dport 15008 meta mark set meta mark \| 0x00800000 return/] },
  { name: 'Calico Allow UDP ports: no HBONE', input: calico({ action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }), hbone: [], none: true },
  { name: 'Calico Deny TCP notPorts: never matches a meshed pod\'s 15008', input: calico({ action: 'Deny', protocol: 'TCP', destination: { notPorts: [80] } }), hbone: [/^meta l4proto tcp th dport != \{ 80 \} ip daddr \. meta l4proto \. th dport != @hbone_v4 counter name "deny_\w+" drop/] },
  { name: 'Calico Deny TCP range covering 15008: guarded', input: calico({ action: 'Deny', protocol: 'TCP', destination: { ports: ['15000:15100'] } }), hbone: [/th dport \{ 15000-15100 \} ip daddr \. meta l4proto \. th dport != @hbone_v4 counter/] },
  { name: 'Calico Deny TCP port 22: cannot match 15008, no guard', input: calico({ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }), hbone: [], none: true },
  { name: 'Calico Deny without ports: matches as written', input: calico({ action: 'Deny', source: { selector: "pod == 'c'" } }), hbone: [], none: true },
];

describe('HBONE (TCP 15008) admission for meshed destinations', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rules = policyChain(c.input);
      assert.ok(rules.length > 0, 'the policy chain has rules');
      for (const pattern of c.hbone) assert.ok(rules.some((r) => pattern.test(r)), `no rule matches ${pattern}:\n${rules.join('\n')}`);
      if (c.none === true) assert.ok(!rules.some((r) => r.includes('15008') || r.includes('@hbone')), rules.join('\n'));
    });
  }

  it('explain answers for the inner connection, never for 15008: y/c reaches x/a on 80 only through the rule, not via HBONE', () => {
    const { explain } = compileNetworkPolicies(k8s({ from: fromB, ports: [{ protocol: 'TCP', port: 80 }] }));
    const xa = mesh(CLUSTER, true).find((p) => p.key === 'x/a');
    assert.ok(xa !== undefined);
    assert.equal(explain({ ip: '10.1.0.2' }, xa, 80, 'TCP').allowed, true);
    assert.equal(explain({ ip: '10.1.0.2' }, xa, 15008, 'TCP').allowed, false, 'the inner port 15008 is not allowed by the rule');
  });
});
