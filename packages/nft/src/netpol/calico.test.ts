// Calico policy semantics (cni-netpol.md 4.1-4.3) through explain and the evaluator. Every expected
// verdict below was written by hand from the upstream rules named in its case, on the cluster of
// test/netpol-fixtures.ts (x/a = 10.1.0.1 ... z/c = 10.3.0.3, labels pod=<name>, namespace labels
// ns=<ns>; "web" is TCP 80 on every pod except y/b where it is 8080).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AmbitError } from '@ambit/core';
import type { CalicoNetworkPolicy, GlobalNetworkPolicy, NetworkPolicy, Tier } from '@ambit/api';
import { compileNetworkPolicies } from './compile.ts';
import { createPolicyEvaluator } from './evaluate.ts';
import type { PolicyPod } from './model.ts';
import { CLUSTER, LOCAL, cnp, gnp, policy, tier } from '../../test/netpol-fixtures.ts';

interface Case {
  name: string;
  policies?: NetworkPolicy[];
  calico: Array<GlobalNetworkPolicy | CalicoNetworkPolicy>;
  tiers?: Tier[];
  /** Changes to the cluster's pods (extra labels, service accounts). */
  pods?: Record<string, Partial<PolicyPod>>;
  /** [from (pod key or bare IP), to (pod key), port, protocol, allowed, reason must match] */
  probes: Array<[string, string, number, string, boolean, RegExp?]>;
}

const toXa = { selector: "pod == 'a' && projectcalico.org/namespace == 'x'", types: ['Ingress' as const] };
const allowAll = { action: 'Allow' as const };
const ALL_SOURCES = ['x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'];

const CASES: Case[] = [
  {
    name: 'order: the lower order decides first (Deny at 10 before Allow at 20)',
    calico: [gnp('deny-yb', { ...toXa, order: 10, ingress: [{ action: 'Deny', source: { selector: "pod == 'b' && projectcalico.org/namespace == 'y'" } }] }), gnp('allow-all', { ...toXa, order: 20, ingress: [allowAll] })],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', false, /ingress of x\/a: Deny by default\.deny-yb ingress\[0\]/],
      ['y/a', 'x/a', 80, 'TCP', true, /ingress of x\/a: allowed by default\.allow-all ingress\[0\]/],
    ],
  },
  {
    name: 'order: an Allow ordered first wins over a later Deny',
    calico: [gnp('deny-yb', { ...toXa, order: 30, ingress: [{ action: 'Deny', source: { selector: "pod == 'b'" } }] }), gnp('allow-all', { ...toXa, order: 20, ingress: [allowAll] })],
    probes: [['y/b', 'x/a', 80, 'TCP', true, /allowed by default\.allow-all ingress\[0\]/]],
  },
  {
    name: 'order: equal orders are broken by name; an omitted order is last',
    calico: [
      gnp('b-allow', { ...toXa, order: 10, ingress: [allowAll] }),
      gnp('a-deny', { ...toXa, order: 10, ingress: [{ action: 'Deny', source: { selector: "pod == 'c'" } }] }),
      gnp('0-unordered-deny', { ...toXa, ingress: [{ action: 'Deny' }] }),
    ],
    probes: [
      ['y/c', 'x/a', 80, 'TCP', false, /Deny by default\.a-deny ingress\[0\]/],
      ['y/b', 'x/a', 80, 'TCP', true, /allowed by default\.b-allow ingress\[0\]/],
    ],
  },
  {
    name: 'rules in list order: Deny before Allow inside one policy',
    calico: [gnp('p', { ...toXa, ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [81] } }, allowAll] })],
    probes: [
      ['y/b', 'x/a', 81, 'TCP', false, /Deny by default\.p ingress\[0\]/],
      ['y/b', 'x/a', 80, 'TCP', true, /allowed by default\.p ingress\[1\]/],
      ['y/b', 'x/a', 81, 'UDP', true, /allowed by default\.p ingress\[1\]/],
    ],
  },
  {
    name: 'Log logs and goes on with the next rule; nothing allowing = end of tier drop',
    calico: [gnp('p', { ...toXa, ingress: [{ action: 'Log' }, { action: 'Allow', source: { namespaceSelector: "ns == 'y'" } }] })],
    probes: [
      ['y/c', 'x/a', 80, 'TCP', true, /allowed by default\.p ingress\[1\]/],
      ['z/a', 'x/a', 80, 'TCP', false, /ingress of x\/a: default deny \(isolated by default\.p; no rule allows it; end of tier default\)/],
    ],
  },
  {
    name: 'Pass skips the rest of the tier and continues at the next tier (the Kubernetes policies of tier default)',
    tiers: [tier('security', 100)],
    calico: [gnp('security.screen', { ...toXa, tier: 'security', ingress: [{ action: 'Pass', source: { namespaceSelector: "ns == 'y'" } }, { action: 'Deny' }] })],
    policies: [policy('x/allow-yb', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] })],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', true, /ingress of x\/a: allowed by x\/allow-yb ingress\[0\]/],
      ['y/b', 'x/a', 81, 'TCP', false, /default deny \(isolated by x\/allow-yb; no rule allows it; end of tier default\)/],
      ['y/a', 'x/a', 80, 'TCP', false, /end of tier default/],
      ['z/a', 'x/a', 80, 'TCP', false, /Deny by security\.screen ingress\[1\]/],
      ['x/b', 'x/a', 80, 'TCP', false, /Deny by security\.screen ingress\[1\]/],
    ],
  },
  {
    name: 'Pass inside tier default skips the Kubernetes policies after it: no later tier, the profile allows',
    calico: [gnp('early', { ...toXa, order: 500, ingress: [{ action: 'Pass', source: { namespaceSelector: "ns == 'y'" } }] })],
    policies: [policy('x/deny-all', { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', true, /Pass by default\.early ingress\[0\]; no later tier applies, the profile allows/],
      ['z/b', 'x/a', 80, 'TCP', false, /isolated by default\.early, x\/deny-all; no rule allows it; end of tier default/],
      ['z/b', 'x/b', 80, 'TCP', false, /isolated by x\/deny-all/],
    ],
  },
  {
    name: 'a Calico Deny ordered before the Kubernetes policies (order < 1000) overrides their allow; after them (> 1000) it does not',
    calico: [
      gnp('deny-before', { ...toXa, order: 999, ingress: [{ action: 'Deny', source: { selector: "pod == 'b'" } }] }),
      gnp('deny-after', { ...toXa, order: 1001, ingress: [{ action: 'Deny', source: { selector: "pod == 'c'" } }] }),
    ],
    policies: [policy('x/allow-all', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] })],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', false, /Deny by default\.deny-before ingress\[0\]/],
      ['y/c', 'x/a', 80, 'TCP', true, /allowed by x\/allow-all ingress\[0\]/],
    ],
  },
  {
    name: 'end-of-tier drop: a tier whose policies take no action drops, even with an allowing later tier',
    tiers: [tier('security', 100)],
    calico: [gnp('security.log-only', { ...toXa, tier: 'security', ingress: [{ action: 'Log' }] }), gnp('allow', { ...toXa, ingress: [allowAll] })],
    probes: [['y/b', 'x/a', 80, 'TCP', false, /isolated by security\.log-only; no rule allows it; end of tier security/]],
  },
  {
    name: 'tier defaultAction Pass: the next tier decides, or the profile when none applies',
    tiers: [tier('security', 100, 'Pass')],
    calico: [gnp('security.log-only', { ...toXa, tier: 'security', ingress: [{ action: 'Log' }] }), gnp('security.log-xb', { selector: "pod == 'b' && projectcalico.org/namespace == 'x'", tier: 'security', ingress: [{ action: 'Log' }] })],
    policies: [policy('x/only-y', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', true, /allowed by x\/only-y ingress\[0\]/],
      ['z/b', 'x/a', 80, 'TCP', false, /end of tier default/],
      ['z/b', 'x/b', 80, 'TCP', true, /tier security passes by default; no later tier applies, the profile allows/],
    ],
  },
  {
    name: 'tiers in tier order (ties by name), whatever the policy orders',
    tiers: [tier('bbb', 100), tier('aaa', 100), tier('ccc', 50)],
    calico: [
      gnp('bbb.allow', { ...toXa, tier: 'bbb', order: 1, ingress: [allowAll] }),
      gnp('aaa.deny-b', { ...toXa, tier: 'aaa', order: 900, ingress: [{ action: 'Deny', source: { selector: "pod == 'b'" } }, { action: 'Pass' }] }),
      gnp('ccc.deny-c', { ...toXa, tier: 'ccc', order: 900, ingress: [{ action: 'Deny', source: { selector: "pod == 'c'" } }, { action: 'Pass' }] }),
    ],
    probes: [
      ['y/b', 'x/a', 80, 'TCP', false, /Deny by aaa\.deny-b ingress\[0\]/],
      ['y/c', 'x/a', 80, 'TCP', false, /Deny by ccc\.deny-c ingress\[0\]/],
      ['y/a', 'x/a', 80, 'TCP', true, /allowed by bbb\.allow ingress\[0\]/],
    ],
  },
  {
    name: 'policy namespaceSelector (GNP) and a namespaced Calico policy select only their endpoints',
    calico: [
      gnp('y-deny', { namespaceSelector: "ns == 'y'", types: ['Ingress'], ingress: [{ action: 'Deny' }] }),
      cnp('z/deny-b', { selector: "pod == 'b'", ingress: [{ action: 'Deny' }] }),
    ],
    probes: [
      ['x/a', 'y/c', 80, 'TCP', false, /Deny by default\.y-deny ingress\[0\]/],
      ['x/a', 'z/b', 80, 'TCP', false, /Deny by z\/default\.deny-b ingress\[0\]/],
      ['x/a', 'z/a', 80, 'TCP', true, /ingress of z\/a: not isolated/],
      ['y/a', 'x/b', 80, 'TCP', true, /not isolated/],
    ],
  },
  {
    name: 'rule namespaceSelector: explicit selects namespaces; absent in a namespaced policy = its own namespace, in a GNP = all',
    calico: [
      cnp('x/own', { selector: "pod == 'a'", ingress: [{ action: 'Allow', source: { selector: "pod == 'b'" } }, { action: 'Allow', protocol: 'UDP', source: { namespaceSelector: "projectcalico.org/name == 'z'", selector: "pod == 'c'" } }, { action: 'Allow', protocol: 'SCTP', source: { nets: ['10.2.0.0/16'] } }] }),
      gnp('any-ns', { selector: "pod == 'b' && projectcalico.org/namespace == 'x'", ingress: [{ action: 'Allow', source: { selector: "pod == 'c'" } }] }),
    ],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true, /allowed by x\/default\.own ingress\[0\]/],
      ['y/b', 'x/a', 80, 'TCP', false],
      ['z/c', 'x/a', 80, 'UDP', true, /ingress\[1\]/],
      ['x/c', 'x/a', 80, 'UDP', false],
      ['y/a', 'x/a', 80, 'SCTP', true, /ingress\[2\]/],
      ['192.168.7.7', 'x/a', 80, 'SCTP', false],
      ['z/c', 'x/b', 80, 'TCP', true, /allowed by default\.any-ns ingress\[0\]/],
      ['x/c', 'x/b', 80, 'TCP', true],
      ['y/a', 'x/b', 80, 'TCP', false],
    ],
  },
  {
    name: 'serviceAccountSelector on the policy and serviceAccounts on a rule (names, and selector over projectcalico.org/name)',
    pods: { 'x/a': { serviceAccount: 'web' }, 'x/b': { serviceAccount: 'client' }, 'y/b': { serviceAccount: 'client' }, 'y/c': { serviceAccount: 'batch' } },
    calico: [
      gnp('web-sa', { serviceAccountSelector: "projectcalico.org/name == 'web'", ingress: [{ action: 'Allow', source: { serviceAccounts: { names: ['client'] } } }, { action: 'Allow', protocol: 'UDP', source: { serviceAccounts: { selector: "projectcalico.org/name in {'batch'}" } } }] }),
      cnp('x/local-sa', { selector: "pod == 'c'", ingress: [{ action: 'Allow', source: { serviceAccounts: { names: ['client'] } } }] }),
    ],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true, /allowed by default\.web-sa ingress\[0\]/],
      ['y/b', 'x/a', 80, 'TCP', true],
      ['y/a', 'x/a', 80, 'TCP', false],
      ['y/c', 'x/a', 80, 'UDP', true, /ingress\[1\]/],
      ['y/c', 'x/a', 80, 'TCP', false],
      ['y/a', 'x/b', 80, 'TCP', true, /not isolated/],
      // a namespaced policy's serviceAccounts match is scoped to its namespace
      ['x/b', 'x/c', 80, 'TCP', true],
      ['y/b', 'x/c', 80, 'TCP', false],
    ],
  },
  {
    name: 'notNets, notPorts, notSelector',
    calico: [gnp('p', { ...toXa, ingress: [{ action: 'Allow', protocol: 'TCP', source: { notNets: ['10.2.0.0/16'], notSelector: "pod == 'c'" }, destination: { notPorts: [81, '8000:8100'] } }] })],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 81, 'TCP', false],
      ['x/b', 'x/a', 8050, 'TCP', false],
      ['x/b', 'x/a', 8101, 'TCP', true],
      ['y/a', 'x/a', 80, 'TCP', false],
      ['z/c', 'x/a', 80, 'TCP', false],
      ['192.168.7.7', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 80, 'UDP', false],
    ],
  },
  {
    name: 'global default deny (both directions, order last) with an allow-list ordered before it',
    calico: [
      gnp('default-deny', { selector: 'all()', types: ['Ingress', 'Egress'] }),
      gnp('allow-web', { order: 100, selector: "pod == 'a'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "pod == 'b'" }, destination: { ports: ['web'] } }] }),
      gnp('allow-egress-web', { order: 100, selector: "pod == 'b'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80, 8080] } }] }),
    ],
    probes: [
      ['x/b', 'x/a', 80, 'TCP', true, /egress of x\/b: allowed by default\.allow-egress-web egress\[0\]; ingress of x\/a: allowed by default\.allow-web ingress\[0\]/],
      ['z/b', 'y/a', 80, 'TCP', true],
      ['x/b', 'x/a', 81, 'TCP', false, /egress of x\/b: default deny \(isolated by default\.allow-egress-web, default\.default-deny/],
      ['x/c', 'x/a', 80, 'TCP', false, /egress of x\/c: default deny \(isolated by default\.default-deny; no rule allows it; end of tier default\)/],
      ['x/b', 'x/c', 80, 'TCP', false, /ingress of x\/c: default deny/],
      ['192.168.7.7', 'x/a', 80, 'TCP', false],
    ],
  },
  {
    name: 'named port on the destination pod ("web" is 8080 on y/b, 80 elsewhere)',
    calico: [gnp('p', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['web'] } }] })],
    probes: [
      ['x/a', 'y/b', 8080, 'TCP', true],
      ['x/a', 'y/b', 80, 'TCP', false],
      ['x/b', 'x/a', 80, 'TCP', true],
      ['x/b', 'x/a', 8080, 'TCP', false],
    ],
  },
  {
    name: 'protocol by name and number, notProtocol, ipVersion',
    calico: [gnp('p', { ...toXa, ingress: [{ action: 'Deny', notProtocol: 'TCP', source: { selector: "pod == 'c'" } }, { action: 'Allow', protocol: 17 }, { action: 'Allow', ipVersion: 6 }, { action: 'Allow', protocol: 'SCTP', ipVersion: 4 }] })],
    probes: [
      ['y/c', 'x/a', 53, 'UDP', false, /Deny by default\.p ingress\[0\]/],
      ['y/b', 'x/a', 53, 'UDP', true, /ingress\[1\]/],
      ['y/c', 'x/a', 80, 'TCP', false, /end of tier default/],
      ['y/b', 'x/a', 80, 'SCTP', true, /ingress\[3\]/],
    ],
  },
  {
    name: 'egress rules: destination selector and nets; a non-pod destination matches nets only',
    calico: [cnp('x/out', { selector: "pod == 'a'", types: ['Egress'], egress: [{ action: 'Allow', destination: { selector: "pod == 'b'", namespaceSelector: 'all()' } }, { action: 'Allow', destination: { nets: ['192.168.0.0/16'] } }] })],
    probes: [
      ['x/a', 'y/b', 80, 'TCP', true, /egress of x\/a: allowed by x\/default\.out egress\[0\]/],
      ['x/a', 'y/a', 80, 'TCP', false, /egress of x\/a: default deny/],
    ],
  },
];

/** Calico selector expressions, as a source selector into x/a: which of the eight other pods they pick (y/c has role=db). */
const SELECTORS: Array<[string, string[]]> = [
  ['all()', ALL_SOURCES],
  ["pod in {'b', 'c'}", ['x/b', 'x/c', 'y/b', 'y/c', 'z/b', 'z/c']],
  ["pod not in {'b'}", ['x/c', 'y/a', 'y/c', 'z/a', 'z/c']],
  ["pod != 'a'", ['x/b', 'x/c', 'y/b', 'y/c', 'z/b', 'z/c']],
  ['has(role)', ['y/c']],
  ['!has(role)', ['x/b', 'x/c', 'y/a', 'y/b', 'z/a', 'z/b', 'z/c']],
  ["role not in {'web'}", ALL_SOURCES],
  ["role in {'db'} || pod == 'b' && projectcalico.org/namespace == 'z'", ['y/c', 'z/b']],
  ["(pod == 'b' || pod == 'c') && projectcalico.org/namespace == 'z'", ['z/b', 'z/c']],
  ["pod == 'b' || pod == 'c' && projectcalico.org/namespace == 'z'", ['x/b', 'y/b', 'z/b', 'z/c']],
  ["!(pod == 'a') && !has(role)", ['x/b', 'x/c', 'y/b', 'z/b', 'z/c']],
  ["pcns.ns == 'y'", ['y/a', 'y/b', 'y/c']],
  ["projectcalico.org/orchestrator == 'k8s' && pod starts with 'c'", ['x/c', 'y/c', 'z/c']],
];

function clusterWith(changes: Record<string, Partial<PolicyPod>> | undefined): { all: PolicyPod[]; local: PolicyPod[] } {
  const patch = (p: PolicyPod): PolicyPod => ({ ...p, ...(changes?.[p.key] ?? {}) });
  return { all: CLUSTER.map(patch), local: LOCAL.map(patch) };
}

function run(c: Case): void {
  const { all, local } = clusterWith(c.pods);
  const input = { localPods: local, allPods: all, policies: c.policies ?? [], calicoPolicies: c.calico, tiers: c.tiers ?? [] };
  const { explain } = compileNetworkPolicies(input);
  const find = (key: string): PolicyPod => all.find((p) => p.key === key) ?? assert.fail(`no pod ${key}`);
  for (const [from, to, port, protocol, allowed, reason] of c.probes) {
    const ip = from.includes('/') ? (find(from).ips[0] ?? '') : from;
    const verdict = explain({ ip }, find(to), port, protocol);
    assert.equal(verdict.allowed, allowed, `${from} -> ${to}:${port}/${protocol}: ${verdict.reason}`);
    if (reason !== undefined) assert.match(verdict.reason, reason);
  }
}

describe('Calico policy semantics (explain)', () => {
  for (const c of CASES) it(c.name, () => run(c));

  for (const [selector, picked] of SELECTORS) {
    it(`selector ${selector}`, () => {
      const probes: Case['probes'] = ALL_SOURCES.map((from) => [from, 'x/a', 80, 'TCP', picked.includes(from)]);
      probes.push(['192.168.7.7', 'x/a', 80, 'TCP', false]);
      run({ name: selector, pods: { 'y/c': { labels: { pod: 'c', role: 'db' } } }, calico: [gnp('p', { ...toXa, ingress: [{ action: 'Allow', source: { selector } }] })], probes });
    });
  }

  it('the evaluator answers as explain, one direction at a time (every pair, ports, protocols, every case above)', () => {
    for (const c of CASES) {
      const { all, local } = clusterWith(c.pods);
      const input = { localPods: local, allPods: all, policies: c.policies ?? [], calicoPolicies: c.calico, tiers: c.tiers ?? [] };
      const { explain } = compileNetworkPolicies(input);
      const { evaluate } = createPolicyEvaluator(input);
      for (const from of all) {
        for (const to of all) {
          if (from === to) continue;
          for (const [port, protocol] of [[80, 'TCP'], [81, 'UDP'], [8080, 'tcp'], [80, 'SCTP']] as const) {
            const ex = explain({ ip: from.ips[0] ?? '' }, to, port, protocol);
            const eg = evaluate({ direction: 'egress', podIp: from.ips[0] ?? '', remoteIp: to.ips[0] ?? '', port, protocol });
            const ing = evaluate({ direction: 'ingress', podIp: to.ips[0] ?? '', remoteIp: from.ips[0] ?? '', port, protocol });
            assert.equal(eg.allowed && ing.allowed, ex.allowed, `${c.name}: ${from.key} -> ${to.key}:${port}/${protocol}`);
            assert.equal(`${eg.reason}; ${ing.reason}`, ex.reason);
          }
        }
      }
    }
  });

  it('the evaluator: a non-pod address is not isolated; reasons name policy and rule', () => {
    const { evaluate } = createPolicyEvaluator({ allPods: CLUSTER, policies: [], calicoPolicies: [gnp('gnp-x', { ...toXa, ingress: [allowAll, allowAll, { action: 'Deny' }] })] });
    assert.deepEqual(evaluate({ direction: 'ingress', podIp: '192.168.1.1', remoteIp: '10.1.0.1', port: 80, protocol: 'TCP' }), { allowed: true, reason: 'ingress: 192.168.1.1 is not a pod, no policy applies' });
    assert.equal(evaluate({ direction: 'ingress', podIp: '10.1.0.1', remoteIp: '10.2.0.1', port: 80, protocol: 'TCP' }).reason, 'ingress of x/a: allowed by default.gnp-x ingress[0]');
    assert.equal(evaluate({ direction: 'egress', podIp: '10.1.0.1', remoteIp: '10.2.0.1', port: 80, protocol: 'TCP' }).reason, 'egress of x/a: not isolated');
  });

  it('a tier the input does not define comes after every known tier, with defaultAction Deny (fail closed)', () => {
    run({
      name: 'unknown tier',
      tiers: [tier('late', 5_000_000, 'Pass')],
      calico: [gnp('missing.p', { ...toXa, tier: 'missing', ingress: [{ action: 'Log' }] }), gnp('late.p', { ...toXa, tier: 'late', ingress: [{ action: 'Allow', source: { selector: "pod == 'b'" } }] })],
      probes: [
        ['y/b', 'x/a', 80, 'TCP', true, /allowed by late\.p ingress\[0\]/],
        ['y/c', 'x/a', 80, 'TCP', false, /end of tier missing/],
      ],
    });
  });

  it('validation lists every problem and renders nothing', () => {
    const bad = [
      gnp('bad', {
        selector: "pod == 'a' &&",
        tier: 'No_Tier',
        ingress: [{ action: 'Allow', protocol: 'TCP', source: { nets: ['10.0.0.0/33'], selector: 'has(' }, destination: { ports: ['99999', 'x:y'] } }],
      }),
    ];
    assert.throws(
      () => compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: [], calicoPolicies: bad, tiers: [tier('default', 5)] }),
      (err: unknown) => {
        assert.ok(err instanceof AmbitError);
        assert.equal(err.code, 'AMBIT_NFT_INVALID_POLICY_INPUT');
        const problems = (err.details as { problems: string[] }).problems;
        for (const needle of ['tier default: order is pinned', 'tier "No_Tier" is not a tier name', 'selector "pod == \'a\' &&"', 'source.nets "10.0.0.0/33"', 'source.selector "has("', 'destination.ports "99999"', 'destination.ports "x:y"']) {
          assert.ok(problems.some((p) => p.includes(needle)), `no problem mentions ${needle}: ${problems.join(' | ')}`);
        }
        return true;
      },
    );
    assert.throws(() => createPolicyEvaluator({ allPods: CLUSTER, policies: [], calicoPolicies: bad }), AmbitError);
  });
});
