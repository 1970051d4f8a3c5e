// Calico Tier validation: order and defaultAction, the built-in tiers' pinned orders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';
import { resourceKey } from '../order.ts';
import { toYaml } from '../to-yaml.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'a tier with order and defaultAction; one without spec; default with its own order',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: security}
      spec: {order: 100.5, defaultAction: Pass}
      ---
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: platform}
      ---
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: default}
      spec: {order: 1000000}
    `,
    problems: [],
  },
  {
    name: 'Calico pins the built-in tiers: default at 1,000,000, kube-admin at 1,000, kube-baseline at 10,000,000',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: default}
      spec: {order: 10}
      ---
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: kube-admin}
      spec: {order: 1000}
      ---
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: kube-baseline}
      spec: {order: 5}
    `,
    problems: ['4:8 spec.order AMBIT_API_INVALID_VALUE', '14:8 spec.order AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'defaultAction is Deny or Pass (case-sensitive), order a number, the name a DNS label, no other fields',
    text: yaml`
      apiVersion: projectcalico.org/v3
      kind: Tier
      metadata: {name: Security}
      spec:
        order: high
        defaultAction: pass
        selector: all()
    `,
    problems: ['3:12 metadata.name AMBIT_API_INVALID_VALUE', '5:3 spec.order AMBIT_API_INVALID_TYPE', '6:3 spec.defaultAction AMBIT_API_INVALID_VALUE', '7:3 spec.selector AMBIT_API_UNKNOWN_FIELD'],
  },
];

for (const c of cases) {
  test(`Tier: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('Tier: cluster-scoped, keyed Tier/<name>, written back as read', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: security, namespace: ignored}
    spec: {order: 100, defaultAction: Pass}
  `);
  assert.equal(problems.filter((p) => p.severity === 'error').length, 0);
  const tier = resources[0];
  assert.equal(tier?.kind, 'Tier');
  if (tier?.kind !== 'Tier') return;
  assert.deepEqual(tier.spec, { order: 100, defaultAction: 'Pass' });
  assert.equal(resourceKey(tier), 'Tier/security');
  assert.match(toYaml(tier), /kind: Tier\n[\s\S]*order: 100\n\s+defaultAction: Pass/);
});

test('Tier: the default-tier pin message names the pinned order', () => {
  const { problems } = parseOne('apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 7}\n');
  assert.match(problems[0]?.message ?? '', /built-in tier default has order 1000000, got 7/);
});
