// Every conformance case (cases.ts) against the compiler's semantics engine, without root and in
// well under a second: the case YAML is parsed by @ambit/api exactly as `ambit lab apply` reads
// it, the resulting objects are fed to compileNetworkPolicies, and its `explain` answers the 9x9
// table for TCP/UDP x 80/81, compared with the hand-written expectation. A failure prints the
// upstream-style grid of the differing cells with the compiler's reasons.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type CalicoNetworkPolicy, type GlobalNetworkPolicy, type NetworkPolicy, type Resource, type Tier } from '@ambit/api';
import { formatProblem } from '@ambit/core';
import { compileNetworkPolicies, type NodePolicyInput, type PolicyPod } from '@ambit/nft';
import { CASES, type CaseEnv, type NetpolCase } from './cases.ts';
import { PODS, PORT_PROTOCOLS, Reachability, diffCells, formatGrid, ppKey } from './truth-table.ts';

/**
 * The lab's addressing (packages/lab/src/addresses.ts): node-1 pods in 10.244.1.0/24, node-2 in
 * 10.244.2.0/24; the lab schedules each pod on the node with the fewest, so the pods of
 * examples/xyz/cluster.yaml alternate node-1, node-2 in file order.
 */
function syntheticIp(pod: string): string {
  const index = PODS.indexOf(pod);
  if (index < 0) throw new Error(`no pod ${pod}`);
  return `10.244.${(index % 2) + 1}.${10 + Math.floor(index / 2)}`;
}
const ENV: CaseEnv = { ip: syntheticIp };

function basePods(): Map<string, PolicyPod> {
  const pods = new Map<string, PolicyPod>();
  for (const key of PODS) {
    const [ns = '', name = ''] = key.split('/');
    pods.set(key, {
      key,
      namespace: ns,
      labels: { pod: name },
      namespaceLabels: { ns, 'kubernetes.io/metadata.name': ns },
      ips: [syntheticIp(key)],
      namedPorts: [
        { name: 'serve-80-tcp', port: 80, protocol: 'TCP' },
        { name: 'serve-80-udp', port: 80, protocol: 'UDP' },
        { name: 'serve-81-tcp', port: 81, protocol: 'TCP' },
        { name: 'serve-81-udp', port: 81, protocol: 'UDP' },
      ],
      hostVeth: `veth${PODS.indexOf(key)}`,
    });
  }
  return pods;
}

function parse(what: string, yaml: string): Resource[] {
  const { resources, problems } = parseResources([{ path: what, text: yaml }]);
  const errors = problems.filter((p) => p.severity === 'error').map(formatProblem);
  assert.deepEqual(errors, [], `${what}: the case YAML does not parse:\n${yaml}`);
  return resources;
}

const objectKey = (r: Resource): string => `${r.apiVersion}/${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;

/** The cluster state a case builds up step by step: policies by key, labels of pods and namespaces. */
class ModelState {
  readonly pods = basePods();
  readonly objects = new Map<string, Resource>();

  apply(resources: Resource[]): void {
    for (const r of resources) {
      if (r.kind === 'Namespace') {
        for (const pod of this.pods.values()) if (pod.namespace === r.metadata.name) pod.namespaceLabels = { ...r.metadata.labels, 'kubernetes.io/metadata.name': r.metadata.name };
      } else if (r.kind === 'Pod') {
        const pod = this.pods.get(`${r.metadata.namespace ?? 'default'}/${r.metadata.name}`);
        assert.ok(pod, `relabelled pod ${r.metadata.name} is not in the x/y/z cluster`);
        pod.labels = { ...r.metadata.labels };
      } else {
        this.objects.set(objectKey(r), r);
      }
    }
  }

  delete(resources: Resource[]): void {
    for (const r of resources) assert.ok(this.objects.delete(objectKey(r)), `delete of ${objectKey(r)}, which the case never applied`);
  }

  table(port: number, protocol: string): { observed: Reachability; reasons: Map<string, string> } {
    const all = [...this.objects.values()];
    const input: NodePolicyInput = {
      localPods: [...this.pods.values()],
      allPods: [...this.pods.values()],
      policies: all.filter((r): r is NetworkPolicy => r.kind === 'NetworkPolicy' && r.apiVersion === 'networking.k8s.io/v1'),
      calicoPolicies: all.filter((r): r is CalicoNetworkPolicy | GlobalNetworkPolicy => r.kind === 'GlobalNetworkPolicy' || (r.kind === 'NetworkPolicy' && r.apiVersion === 'projectcalico.org/v3')),
      tiers: all.filter((r): r is Tier => r.kind === 'Tier'),
    };
    const compiled = compileNetworkPolicies(input);
    const observed = new Reachability();
    const reasons = new Map<string, string>();
    for (const from of PODS) {
      for (const to of PODS) {
        if (from === to) continue;
        const source = this.pods.get(from);
        const destination = this.pods.get(to);
        assert.ok(source && destination);
        const verdict = compiled.explain({ ip: source.ips[0] ?? '' }, destination, port, protocol);
        observed.set(from, to, verdict.allowed);
        reasons.set(`${from}>${to}`, verdict.reason);
      }
    }
    return { observed, reasons };
  }
}

function runCase(c: NetpolCase): void {
  const state = new ModelState();
  const failures: string[] = [];
  for (const [i, step] of c.steps.entries()) {
    const where = `${c.name} step ${i + 1} (${step.name})`;
    if (step.apply) state.apply(parse(`${where}.apply.yaml`, step.apply(ENV)));
    if (step.delete) state.delete(parse(`${where}.delete.yaml`, step.delete(ENV)));
    for (const pp of PORT_PROTOCOLS) {
      const expected = new Reachability();
      step.expect(expected, pp);
      const { observed, reasons } = state.table(pp.port, pp.protocol);
      const diffs = diffCells(expected, observed);
      if (diffs.length === 0) continue;
      failures.push(
        [
          formatGrid(`${where} ${ppKey(pp)}: ${diffs.length} wrong cell(s)`, expected, observed),
          ...diffs.slice(0, 6).map((d) => `  ${d.from} -> ${d.to}: expected ${d.expected ? 'allowed' : 'denied'}; compiler: ${reasons.get(`${d.from}>${d.to}`) ?? '?'}`),
        ].join('\n'),
      );
    }
  }
  if (failures.length > 0) assert.fail(`\n${failures.join('\n\n')}`);
}

describe('NetworkPolicy conformance cases against the compiler semantics (explain)', () => {
  test('the case list: at least 40 Kubernetes cases with distinct names, Calico cases, every step with an action or the baseline', () => {
    const names = CASES.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'case names are distinct');
    assert.ok(CASES.filter((c) => c.kind === 'kubernetes').length >= 40);
    assert.ok(CASES.filter((c) => c.kind === 'calico').length >= 8);
    for (const c of CASES) assert.ok(c.upstream.length > 0 && c.steps.length > 0, c.name);
  });

  for (const c of CASES) {
    test(`${c.kind}: ${c.name}`, () => runCase(c));
  }
});
