// parseNftCounters on nft's JSON, and the counters and rule count compileNetworkPolicies reports.
// test/nft-counters-sample.json was captured on a test machine (nft 1.0.6): test/golden/netpol-calico.nft
// loaded in a node netns, then a pod on veth-xb opened two TCP connections to 10.1.0.1:22 and :6001,
// which x/b's egress policy (default.egress-web) does not allow: 2 SYNs each, 60 bytes apiece.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AmbitError } from '@ambit/core';
import { compileNetworkPolicies } from './compile.ts';
import { parseNftCounters } from './counters.ts';
import { CLUSTER, LOCAL, gnp, policy } from '../../test/netpol-fixtures.ts';

const SAMPLE = readFileSync(new URL('../../test/nft-counters-sample.json', import.meta.url), 'utf8');

describe('parseNftCounters', () => {
  const cases: Array<{ name: string; json: string; expect: Record<string, [number, number]> | RegExp }> = [
    {
      name: 'the captured sample: every counter of the table, packets and bytes',
      json: SAMPLE,
      expect: {
        deny_security_screen_ede937f0_in_1: [0, 0],
        deny_x_default_deny_zc_18bc90dc_in_0: [0, 0],
        drop_pod_x_a_5356176b_eg_default: [0, 0],
        drop_pod_x_a_5356176b_in_default: [0, 0],
        drop_pod_x_a_5356176b_in_security: [0, 0],
        drop_pod_x_b_b68ad6bd_eg_default: [4, 240],
        drop_pod_x_b_b68ad6bd_in_security: [0, 0],
        drop_pod_x_c_bcd1a78c_in_security: [0, 0],
      },
    },
    { name: 'no counters (metainfo only)', json: '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}', expect: {} },
    {
      name: 'counters of other tables are skipped',
      json: '{"nftables": [{"counter": {"family": "inet", "name": "c", "table": "other", "handle": 1, "packets": 9, "bytes": 9}}, {"counter": {"family": "inet", "name": "c", "table": "ambit-netpol", "handle": 2, "packets": 1, "bytes": 2}}]}',
      expect: { c: [1, 2] },
    },
    { name: 'not JSON', json: 'Error: No such file or directory', expect: /not JSON/ },
    { name: 'not the nftables schema', json: '{"counters": []}', expect: /expected \{"nftables": \[\.\.\.\]\}/ },
    { name: 'a counter without numbers', json: '{"nftables": [{"counter": {"name": "c", "table": "ambit-netpol", "packets": "1"}}]}', expect: /numeric packets/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.expect instanceof RegExp) {
        const pattern = c.expect;
        assert.throws(() => parseNftCounters(c.json), (err: unknown) => err instanceof AmbitError && err.code === 'AMBIT_NFT_LIST_FAILED' && pattern.test(err.message));
        return;
      }
      const parsed = parseNftCounters(c.json);
      assert.deepEqual(Object.fromEntries([...parsed].map(([k, v]) => [k, [v.packets, v.bytes]])), c.expect);
    });
  }
});

describe('compiled counters and rule count', () => {
  const compiled = compileNetworkPolicies({
    localPods: LOCAL,
    allPods: CLUSTER,
    policies: [policy('x/deny', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'] })],
    calicoPolicies: [gnp('no-ssh', { selector: "pod == 'b'", ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }, { action: 'Allow' }] })],
  });

  it('one counter per end-of-tier drop (per pod) and per Calico Deny rule, each declared and used once by name', () => {
    assert.deepEqual(
      compiled.counters.map((c) => ({ ...c, name: c.name.replace(/[0-9a-f]{8}/, 'H') })),
      [
        { name: 'deny_default_no_ssh_H_in_0', pod: '', direction: 'ingress', policy: 'default.no-ssh', rule: 0 },
        { name: 'drop_pod_x_a_H_in_default', pod: 'x/a', direction: 'ingress', policy: 'default-deny', tier: 'default' },
        // no-ssh ends in Allow, but a tier with a policy applying to x/b still ends in its drop
        { name: 'drop_pod_x_b_H_in_default', pod: 'x/b', direction: 'ingress', policy: 'default-deny', tier: 'default' },
      ],
    );
    for (const c of compiled.counters) {
      assert.ok(compiled.ruleset.includes(`\tcounter ${c.name} {}\n`), `${c.name} declared`);
      assert.ok(compiled.ruleset.includes(`counter name "${c.name}" drop`), `${c.name} used`);
    }
    // every drop in a pod or policy chain counts into a named counter
    const drops = compiled.ruleset.split('\n').filter((l) => /\bdrop\b/.test(l) && !l.includes('ct state invalid drop'));
    assert.ok(drops.length > 0 && drops.every((l) => /counter name "[^"]+" drop/.test(l)), drops.join('\n'));
  });

  it('ruleCount counts the rules of every chain (base chains included)', () => {
    const inChains = compiled.ruleset.split('\n').filter((l) => /^\t\t[a-z]/.test(l) && !/^\t\t(type|elements|flags|auto-merge)\b/.test(l) && !/^\t\t\t/.test(l));
    assert.equal(compiled.ruleCount, inChains.length);
    // egress_hook 3 + ingress_hook 3, pod x/a in: jump + drop, pod x/b in: jump + drop, policy x/deny: 0, no-ssh: 2
    assert.equal(compiled.ruleCount, 12);
  });
});
