import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as prom from 'prom-client';
import { createLogger } from '@ambit/core';
import type { NetworkPolicy } from '@ambit/api';
import type { ViewPod } from '@ambit/nft';
import { AgentMetrics } from './metrics.ts';
import { NetpolEnforcer } from './netpol.ts';

const logger = createLogger({ component: 'test', level: 'silent' });

function viewPod(name: string, ip: string, labels: Record<string, string> = { app: name }): ViewPod {
  return { uid: `uid-${name}`, key: `shop/${name}`, name, namespace: 'shop', node: 'node-1', serviceAccount: 'default', enrolled: false, meshed: false, labels, namespaceLabels: { 'kubernetes.io/metadata.name': 'shop' }, ips: [ip], addresses: [ip], namedPorts: [] };
}

const denyAll: NetworkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny', namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
} as NetworkPolicy;

/** An enforcer whose first view is `pods`, complete from the start. */
function enforcer(load: (ruleset: string) => Promise<void>, pods: ViewPod[]): NetpolEnforcer {
  const n = new NetpolEnforcer({ logger, metrics: new AgentMetrics(new prom.Registry()), load, retryMs: 5 });
  n.setClusterPods(pods);
  n.markSynced();
  return n;
}

test('nothing reaches the kernel before the first complete view (a restarted agent keeps the old table)', async () => {
  const loads: string[] = [];
  const n = new NetpolEnforcer({ logger, metrics: new AgentMetrics(new prom.Registry()), load: async (r) => void loads.push(r), retryMs: 5 });
  n.setLocalPods([{ uid: 'uid-web', namespace: 'shop', name: 'web', ips: ['10.244.1.5'], hostVeth: 'amb0000000001' }]);
  n.setClusterPods([viewPod('web', '10.244.1.5')]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(loads, []);
  assert.equal(n.debug().dirty, true);
  n.setNetworkPolicies([denyAll]);
  n.markSynced();
  await n.settled(2000);
  assert.equal(loads.length, 1, 'one load, from the complete view');
  assert.match(loads[0] ?? '', /amb0000000001/);
  n.stop();
});

test('changes are coalesced into one load, an unchanged ruleset is not loaded again, settled() waits for the kernel', async () => {
  const loads: string[] = [];
  let release: () => void = () => undefined;
  const n = enforcer(
    async (ruleset) => {
      loads.push(ruleset);
      await new Promise<void>((resolve) => (release = resolve));
    },
    [viewPod('web', '10.244.1.5'), viewPod('db', '10.244.1.6')],
  );
  const first = n.settled(2000);
  // While the first load runs, three more changes arrive: they become one more load.
  n.setLocalPods([{ uid: 'uid-web', namespace: 'shop', name: 'web', ips: ['10.244.1.5'], hostVeth: 'amb0000000001' }]);
  n.setNetworkPolicies([denyAll]);
  n.setLocalPods([{ uid: 'uid-web', namespace: 'shop', name: 'web', ips: ['10.244.1.5'], hostVeth: 'amb0000000001' }]);
  const second = n.settled(2000);
  assert.equal(n.debug().dirty, true);
  release();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await second;
  assert.equal(loads.length, 2, 'one load for the first input, one for the three changes after it');
  assert.match(loads[1] ?? '', /amb0000000001/, 'the isolated local pod is in the second ruleset');
  assert.equal(n.debug().dirty, false);
  // The same inputs again: nothing is loaded (idempotent).
  n.setNetworkPolicies([denyAll]);
  await n.settled(2000);
  assert.equal(loads.length, 2);
  n.stop();
});

test('a failed load keeps the previous rules, is retried, and settled() reports the error on timeout', async () => {
  let fail = true;
  const loads: string[] = [];
  const n = enforcer(async (ruleset) => {
    if (fail) throw new Error('nft: Operation not permitted');
    loads.push(ruleset);
  }, [viewPod('web', '10.244.1.5')]);
  await assert.rejects(n.settled(60), (e: Error) => /AMBIT_CNI_AGENT_NETPOL_NOT_APPLIED|not in the kernel/.test(`${(e as { code?: string }).code} ${e.message}`) && /Operation not permitted/.test(e.message));
  assert.equal(n.debug().lastError, 'nft: Operation not permitted');
  fail = false;
  await n.settled(2000);
  assert.equal(loads.length, 1);
  assert.equal(n.debug().lastError, undefined);
  n.stop();
});

test('explain answers from the compiled view: a pod selected by a default-deny policy refuses, others accept', async () => {
  const n = enforcer(async () => undefined, [viewPod('web', '10.244.1.5'), viewPod('db', '10.244.1.6')]);
  n.setNetworkPolicies([denyAll]);
  await n.settled(2000);
  const verdict = n.explain('10.244.1.6', '10.244.1.5', 80, 'TCP');
  assert.equal(verdict.allowed, false);
  assert.equal(verdict.to, 'shop/web');
  assert.equal(verdict.from, 'shop/db');
  assert.match(verdict.reason, /default deny/);
  assert.throws(() => n.explain('10.244.1.6', '10.9.9.9', 80, 'TCP'), /no pod has the address 10\.9\.9\.9/);
  n.stop();
});
