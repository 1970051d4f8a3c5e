// The compiled ruleset: golden files (reviewed by hand), structure, determinism, validation.
// After an intended change, regenerate the golden files with
//   AMBIT_UPDATE_GOLDEN=1 node_modules/node/bin/node --test packages/nft/src/netpol/compile.test.ts
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { AmbitError } from '@ambit/core';
import { compileNetworkPolicies } from './compile.ts';
import type { NodePolicyInput } from './compile.ts';
import { CLUSTER, LOCAL, cnp, gnp, policy, tier } from '../../test/netpol-fixtures.ts';

const GOLDEN = new URL('../../test/golden/', import.meta.url);
/** x/a and x/b (local) and y/b (remote) are enrolled in the ambient mesh. */
const meshed = (pods: typeof LOCAL): typeof LOCAL => pods.map((p) => (['x/a', 'x/b', 'y/b'].includes(p.key) ? { ...p, meshed: true } : p));
const dualStack = (pods: typeof LOCAL): typeof LOCAL => pods.map((p) => (p.key === 'x/a' ? { ...p, ips: [...p.ips, 'fd00:1::1'] } : p));

export const NETPOL_GOLDEN_CASES: Array<{ file: string; input: NodePolicyInput }> = [
  {
    file: 'netpol-default-deny',
    input: { localPods: LOCAL, allPods: CLUSTER, policies: [policy('x/default-deny', { podSelector: {}, policyTypes: ['Ingress'] })] },
  },
  {
    file: 'netpol-selectors',
    input: {
      localPods: LOCAL,
      allPods: CLUSTER,
      policies: [
        policy('x/web', {
          podSelector: { matchLabels: { pod: 'a' } },
          policyTypes: ['Ingress'],
          ingress: [
            // AND within one peer, then an OR-ed second peer
            { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }, { podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }] },
            { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'SCTP', port: 81 }] },
          ],
        }),
        policy('x/same-namespace', { podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] }, ingress: [{ from: [{ podSelector: {} }] }] }),
      ],
    },
  },
  {
    file: 'netpol-ipblock',
    input: {
      localPods: dualStack(LOCAL),
      allPods: dualStack(CLUSTER),
      policies: [
        policy('x/blocks', {
          podSelector: { matchLabels: { pod: 'a' } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.2.0.0/16', '10.2.0.128/25', '10.3.0.3/32'] } }, { ipBlock: { cidr: 'fd00::/16', except: ['fd00:2::/32'] } }] }],
          egress: [{ to: [{ ipBlock: { cidr: '192.168.1.77/24' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
        }),
      ],
    },
  },
  {
    file: 'netpol-named-ports',
    input: {
      localPods: LOCAL,
      allPods: CLUSTER,
      policies: [
        policy('x/named', {
          podSelector: {},
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ ports: [{ protocol: 'TCP', port: 'web' }] }],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ protocol: 'UDP', port: 'serve-81-udp' }, { protocol: 'TCP', port: 'web' }] }, { ports: [{ protocol: 'TCP', port: 'nowhere' }] }],
        }),
      ],
    },
  },
  {
    file: 'netpol-egress',
    input: {
      localPods: LOCAL,
      allPods: CLUSTER,
      policies: [
        policy('x/deny-egress', { podSelector: {}, policyTypes: ['Egress'] }),
        policy('x/allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'z' } }, podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] }),
        policy('x/allow-internet', { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] }),
        policy('y/unrelated', { podSelector: {}, policyTypes: ['Ingress'] }),
      ],
    },
  },
  {
    // upstream up-sctp-not-tcp / up-sctp-policy-isolates: a policy allowing only SCTP 80 isolates TCP and UDP
    file: 'netpol-sctp',
    input: {
      localPods: LOCAL,
      allPods: CLUSTER,
      policies: [policy('x/sctp-only', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] })],
    },
  },
  {
    // tier security (order 100) before default: Pass, Log, Deny with ports, an allow; in default a
    // Calico policy before the Kubernetes ones (order 500) and one after (order unset), an egress GNP
    file: 'netpol-calico',
    input: {
      localPods: LOCAL,
      allPods: CLUSTER.map((p) => (p.key === 'x/b' ? { ...p, serviceAccount: 'client' } : p)),
      tiers: [tier('security', 100)],
      policies: [policy('x/allow-y', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] })],
      calicoPolicies: [
        gnp('security.screen', {
          tier: 'security',
          order: 10,
          selector: "projectcalico.org/namespace == 'x'",
          types: ['Ingress'],
          ingress: [
            { action: 'Log', protocol: 'TCP', destination: { ports: [22] } },
            { action: 'Deny', protocol: 'TCP', destination: { ports: [22, '6000:6100'] } },
            { action: 'Pass', source: { namespaceSelector: "ns in {'y', 'z'}" } },
            { action: 'Allow', source: { serviceAccounts: { names: ['client'] } } },
          ],
        }),
        cnp('x/deny-zc', { order: 500, selector: "pod == 'a'", ingress: [{ action: 'Deny', source: { namespaceSelector: "ns == 'z'", selector: "pod == 'c'" } }] }),
        cnp('x/catch-all', { selector: "pod == 'a'", ingress: [{ action: 'Allow', protocol: 'UDP', source: { notNets: ['10.3.0.0/16'] }, destination: { notPorts: [81, 'serve-80-udp'] } }] }),
        gnp('egress-web', { selector: "has(pod) && pod != 'c'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['web'], nets: ['10.0.0.0/8'] } }, { action: 'Allow', protocol: 'UDP', destination: { ports: [53], notSelector: "pod == 'a'" } }] }),
      ],
    },
  },
  {
    // mesh-aware HBONE admission: x/a, x/b, y/b meshed; TCP port rules also admit TCP 15008 to them
    file: 'netpol-mesh',
    input: {
      localPods: meshed(LOCAL),
      allPods: meshed(CLUSTER),
      policies: [
        policy('x/web', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ protocol: 'TCP', port: 80 }] }, { from: [{ podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ protocol: 'UDP', port: 53 }] }] }),
        policy('x/out', { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 'web' }] }] }),
      ],
      calicoPolicies: [
        gnp('mesh-screen', {
          order: 100,
          selector: "pod == 'c' && projectcalico.org/namespace == 'x'",
          types: ['Ingress'],
          ingress: [
            { action: 'Deny', protocol: 'TCP', destination: { notPorts: [80] } },
            { action: 'Deny', protocol: 'TCP', destination: { ports: [22] } },
            { action: 'Pass', protocol: 'TCP', source: { selector: "pod == 'a'" }, destination: { ports: [443] } },
            { action: 'Allow', protocol: 'TCP', source: { selector: "pod == 'b'" }, destination: { ports: [80] } },
          ],
        }),
      ],
    },
  },
];

function golden(name: string, actual: string): void {
  const url = new URL(name, GOLDEN);
  if (process.env.AMBIT_UPDATE_GOLDEN === '1') writeFileSync(url, actual);
  assert.equal(actual, readFileSync(url, 'utf8'), `${name} differs from the golden file; review, then regenerate with AMBIT_UPDATE_GOLDEN=1`);
}

describe('compileNetworkPolicies', () => {
  for (const { file, input } of NETPOL_GOLDEN_CASES) {
    it(`matches test/golden/${file}.nft`, () => golden(`${file}.nft`, compileNetworkPolicies(input).ruleset));
  }

  it('replaces the table in one transaction, without destroy', () => {
    const lines = compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: [] }).ruleset.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(lines.slice(0, 3), ['table inet ambit-netpol {}', 'delete table inet ambit-netpol', 'table inet ambit-netpol {']);
    assert.ok(!/\bdestroy\b/.test(lines.join('\n')));
  });

  it('hook chains: conntrack first, then dispatch by veth (egress on iifname at 0, ingress on oifname at 10)', () => {
    const text = compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: [] }).ruleset;
    assert.match(text, /chain egress_hook \{\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tct state established,related accept\n\t\tct state invalid drop\n\t\tiifname vmap @pod_egress\n/);
    assert.match(text, /chain ingress_hook \{\n\t\ttype filter hook forward priority 10; policy accept;\n\t\tct state established,related accept\n\t\tct state invalid drop\n\t\toifname vmap @pod_ingress\n/);
  });

  it('non-isolated pods get no map element; isolated ones end in drop', () => {
    const text = compileNetworkPolicies({ localPods: LOCAL, allPods: CLUSTER, policies: [policy('x/p', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'] })] }).ruleset;
    assert.match(text, /"veth-xa" : jump pod_x_a_\w+_in/);
    assert.ok(!text.includes('"veth-xb"'));
    assert.ok(!/"veth-xa" : jump pod_x_a_\w+_eg/.test(text));
    assert.match(text, /counter name "drop_pod_x_a_[0-9a-f]{8}_in_default" drop comment "x\/a ingress: default deny, end of tier default"/);
  });

  it('is deterministic: input order does not matter, and compiling twice gives the same text', () => {
    for (const { input } of NETPOL_GOLDEN_CASES) {
      const once = compileNetworkPolicies(input).ruleset;
      const shuffled: NodePolicyInput = { localPods: [...input.localPods].reverse(), allPods: [...input.allPods].reverse(), policies: [...input.policies].reverse(), calicoPolicies: [...(input.calicoPolicies ?? [])].reverse(), tiers: [...(input.tiers ?? [])].reverse() };
      assert.equal(compileNetworkPolicies(shuffled).ruleset, once);
      assert.equal(compileNetworkPolicies(input).ruleset, once);
    }
  });

  it('rejects a bad input listing every problem', () => {
    const bad: NodePolicyInput = {
      localPods: [{ ...LOCAL[0]!, hostVeth: undefined as unknown as string }, { ...LOCAL[1]!, ips: ['10.1.0.300'] }],
      allPods: CLUSTER,
      policies: [policy('x/bad', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }], ports: [{ protocol: 'TCP', port: 'web', endPort: 90 }] }] })],
    };
    assert.throws(
      () => compileNetworkPolicies(bad),
      (error: unknown) => {
        assert.ok(error instanceof AmbitError);
        assert.equal(error.code, 'AMBIT_NFT_INVALID_POLICY_INPUT');
        for (const part of ['hostVeth', '10.1.0.300', '10.0.0.0/33', 'endPort 90']) assert.ok(error.message.includes(part), part);
        return true;
      },
    );
  });

  it('rejects two local pods on one veth', () => {
    assert.throws(() => compileNetworkPolicies({ localPods: [LOCAL[0]!, { ...LOCAL[1]!, hostVeth: LOCAL[0]!.hostVeth ?? '' }], allPods: CLUSTER, policies: [] }), /is also the veth of x\/a/);
  });
});
