// The policy view's wire form round-trips: what users write (parsed by @ambit/api), built into
// ambit.policy.v1 messages by the control plane, encoded, and decoded by the decoder the CNI agent
// and the ztunnel use (@ambit/nft), is the same policy again, with the API server's defaulting
// applied (policyTypes, TCP, Calico types and selector all()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type Resource } from '@ambit/api';
import { encodeMessage } from '@ambit/xds-types';
import { decodeCalicoPolicy, decodeCalicoTier, decodeNetworkPolicy } from '@ambit/nft';
import { buildCalicoPolicy, buildCalicoTier, buildNetworkPolicy, calicoPolicyName, isCalicoPolicy, isCalicoTier, isKubernetesNetworkPolicy } from '../src/model/policy-view.ts';

function parse(text: string): Resource {
  const { resources, problems } = parseResources([{ path: 'wire.yaml', text }]);
  assert.deepEqual(problems, []);
  assert.equal(resources.length, 1);
  return resources[0] as Resource;
}

test('Kubernetes NetworkPolicy: selectors (absent vs empty), ipBlock except, named/numbered/endPort ports survive the wire', () => {
  const r = parse(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: shop }
spec:
  podSelector: { matchLabels: { app: web }, matchExpressions: [{ key: tier, operator: NotIn, values: [db] }] }
  ingress:
    - from: [{ podSelector: {}, namespaceSelector: { matchLabels: { team: a } } }, { ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16] } }]
      ports: [{ port: http }, { protocol: UDP, port: 53 }, { port: 8000, endPort: 8100 }]
    - {}
  egress:
    - to: [{ namespaceSelector: {} }]
`);
  assert.ok(isKubernetesNetworkPolicy(r));
  const decoded = decodeNetworkPolicy('shop/web', encodeMessage('ambit.policy.v1.NetworkPolicy', buildNetworkPolicy(r)));
  assert.deepEqual(decoded.spec, {
    podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
    // Defaulted as the API server does: Ingress always, Egress because egress rules exist.
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [{ podSelector: {}, namespaceSelector: { matchLabels: { team: 'a' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
        ports: [{ protocol: 'TCP', port: 'http' }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 8000, endPort: 8100 }],
      },
      {},
    ],
    egress: [{ to: [{ namespaceSelector: {} }] }],
  });
  assert.throws(() => decodeNetworkPolicy('shop/other', encodeMessage('ambit.policy.v1.NetworkPolicy', buildNetworkPolicy(r))), /differs from the resource name/);
});

test('Calico GlobalNetworkPolicy and Tier survive the wire: order, tier, actions, entity rules, port ranges', () => {
  const r = parse(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: security.gate }
spec:
  tier: security
  order: 10.5
  namespaceSelector: "team == 'a'"
  ingress:
    - action: Deny
      protocol: TCP
      source: { nets: [192.0.2.0/24], notSelector: "has(trusted)" }
      destination: { ports: [22, "8000:8100", http] }
    - action: Pass
    - action: Log
      ipVersion: 4
      notProtocol: UDP
  egress:
    - action: Allow
      protocol: TCP
      destination: { selector: "app in {'db', 'cache'}", namespaceSelector: all(), notPorts: [9000] }
`);
  assert.ok(isCalicoPolicy(r));
  const decoded = decodeCalicoPolicy(calicoPolicyName(r), encodeMessage('ambit.policy.v1.CalicoPolicy', buildCalicoPolicy(r)));
  assert.equal(decoded.kind, 'GlobalNetworkPolicy');
  assert.deepEqual(decoded.spec, {
    tier: 'security',
    order: 10.5,
    selector: 'all()',
    types: ['Ingress', 'Egress'],
    namespaceSelector: "team == 'a'",
    ingress: [
      { action: 'Deny', protocol: 'TCP', source: { nets: ['192.0.2.0/24'], notSelector: 'has(trusted)' }, destination: { ports: [22, '8000:8100', 'http'] } },
      { action: 'Pass' },
      { action: 'Log', ipVersion: 4, notProtocol: 'UDP' },
    ],
    egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: "app in {'db', 'cache'}", namespaceSelector: 'all()', notPorts: [9000] } }],
  });

  const tier = parse(`apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: security }
spec: { order: 100, defaultAction: Pass }
`);
  assert.ok(isCalicoTier(tier));
  assert.deepEqual(decodeCalicoTier('security', encodeMessage('ambit.policy.v1.CalicoTier', buildCalicoTier(tier))).spec, { order: 100, defaultAction: 'Pass' });
});
