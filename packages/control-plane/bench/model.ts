// Benchmark (not a test): the mesh model at scale. Builds 10,000 pods (ambient, 100 namespaces),
// 2,000 Services and 1,000 AuthorizationPolicies as the config source would hand them over, then:
//   full generation: one apply of everything, encoded (time, resources, bytes)
//   heap per 1,000 workloads (heapUsed after GC, model loaded vs empty)
//   one pod change: time to rebuild and how many resources/bytes it announces (must be O(change))
//   one policy change: same
// Run: node_modules/node/bin/node --expose-gc packages/control-plane/bench/model.ts
import { parseResources, type Resource } from '@ambit/api';
import { silentLogger } from '@ambit/core';
import { encodeMessage } from '@ambit/xds-types';
import { ADDRESS_TYPE, AUTHORIZATION_TYPE, MeshModel, POLICY_WORKLOAD_TYPE, type ModelChange } from '../src/model/model.ts';
import { DEFAULT_MESH } from '../src/model/mesh.ts';

const PODS = 10_000;
const SERVICES = 2_000;
const POLICIES = 1_000;
const NAMESPACES = 100;

function yaml(): string {
  const docs: string[] = [];
  for (let n = 0; n < NAMESPACES; n++) docs.push(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ns-${n}, labels: { istio.io/dataplane-mode: ambient } }`);
  for (let i = 0; i < PODS; i++) {
    const ns = i % NAMESPACES;
    const app = i % (SERVICES / NAMESPACES);
    docs.push(`apiVersion: v1
kind: Pod
metadata: { name: pod-${i}, namespace: ns-${ns}, uid: uid-${i}, labels: { app: app-${app}, version: v1 } }
spec:
  nodeName: node-${(i % 50) + 1}
  serviceAccountName: sa-${app}
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
status:
  podIP: 10.${Math.floor(i / 65536) + 1}.${Math.floor(i / 256) % 256}.${i % 256}
  conditions: [{ type: Ready, status: "True" }]`);
  }
  for (let s = 0; s < SERVICES; s++) {
    const ns = s % NAMESPACES;
    const app = Math.floor(s / NAMESPACES);
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: svc-${s}, namespace: ns-${ns} }
spec:
  clusterIP: 10.96.${Math.floor(s / 256)}.${s % 256}
  selector: { app: app-${app} }
  ports: [{ name: http, port: 80, targetPort: http }]`);
  }
  for (let p = 0; p < POLICIES; p++) {
    const ns = p % NAMESPACES;
    docs.push(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: policy-${p}, namespace: ns-${ns} }
spec:
  selector: { matchLabels: { app: app-${p % (SERVICES / NAMESPACES)} } }
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/ns-${(ns + 1) % NAMESPACES}/sa/sa-1"] } }], to: [{ operation: { ports: ["8080"] } }] }]`);
  }
  return docs.join('\n---\n') + '\n';
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function bytesOf(model: MeshModel, changes: ModelChange[]): { resources: number; bytes: number } {
  let resources = 0;
  let bytes = 0;
  for (const c of changes) {
    for (const name of c.names) {
      resources++;
      bytes += model.resourcesOf(c.typeUrl).get(name)?.body.length ?? 0;
    }
  }
  return { resources, bytes };
}

const parseStart = performance.now();
const { resources, problems } = parseResources([{ path: 'bench.yaml', text: yaml() }]);
if (problems.some((p) => p.severity === 'error')) throw new Error(`bench input invalid: ${problems[0]?.message}`);
const parseMs = performance.now() - parseStart;

const empty = heap();
const model = new MeshModel(DEFAULT_MESH, (t, m) => encodeMessage(t, m), silentLogger);
const fullStart = performance.now();
const full = model.apply({ upserted: resources, deleted: [] });
const fullMs = performance.now() - fullStart;
const loaded = heap();
const fullSize = bytesOf(model, full);

const pod = resources.find((r): r is Extract<Resource, { kind: 'Pod' }> => r.kind === 'Pod' && r.metadata.name === 'pod-4242');
if (!pod) throw new Error('no pod-4242');
const times: number[] = [];
let one = { resources: 0, bytes: 0 };
for (let i = 0; i < 20; i++) {
  const changed = { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, version: `v${i + 2}` } } };
  const t = performance.now();
  const changes = model.apply({ upserted: [changed], deleted: [] });
  times.push(performance.now() - t);
  one = bytesOf(model, changes);
}
times.sort((a, b) => a - b);

const policy = resources.find((r) => r.kind === 'AuthorizationPolicy' && r.metadata.name === 'policy-7');
if (!policy || policy.kind !== 'AuthorizationPolicy') throw new Error('no policy-7');
const policyStart = performance.now();
const policyChanges = model.apply({ upserted: [{ ...policy, spec: { ...policy.spec, action: 'DENY' } }], deleted: [] });
const policyMs = performance.now() - policyStart;
const policySize = bytesOf(model, policyChanges);

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(`input: ${PODS} pods, ${SERVICES} services, ${POLICIES} policies in ${NAMESPACES} namespaces (YAML parse + validation ${(parseMs / 1000).toFixed(2)} s)`);
console.log('| measure | value |');
console.log('|---|---|');
console.log(`| full generation (model.apply of everything, encoded) | ${(fullMs / 1000).toFixed(2)} s, ${fullSize.resources} resources, ${mb(fullSize.bytes)} |`);
console.log(`| resources: Address / Authorization / PolicyWorkload | ${model.resourcesOf(ADDRESS_TYPE).size} / ${model.resourcesOf(AUTHORIZATION_TYPE).size} / ${model.resourcesOf(POLICY_WORKLOAD_TYPE).size} |`);
console.log(`| heap of the loaded model (inputs + generated) | ${mb(loaded - empty)}, ${((loaded - empty) / PODS / 1024).toFixed(1)} KB per workload, ${mb(((loaded - empty) / PODS) * 1000)} per 1,000 workloads |`);
console.log(`| one pod label change: rebuild p50 / max of 20 | ${times[10]?.toFixed(2)} ms / ${times[19]?.toFixed(2)} ms |`);
console.log(`| one pod label change: announced | ${one.resources} resources, ${one.bytes} bytes (full state ${mb(fullSize.bytes)}: ratio ${(fullSize.bytes / Math.max(1, one.bytes)).toFixed(0)}x) |`);
console.log(`| one policy change (ALLOW to DENY): rebuild, announced | ${policyMs.toFixed(1)} ms, ${policySize.resources} resources, ${policySize.bytes} bytes |`);
