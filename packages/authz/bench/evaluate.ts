// Decisions per second with 100 applicable policies, one core. Not a test.
// Run: cd /work/main && node_modules/node/bin/node packages/authz/bench/evaluate.ts [seconds per scenario]
//
// Policies are built through the real boundary (encodeMessage -> decodeMessage -> policyFromResource)
// and gathered with applicablePolicies (cached lookup), as the ztunnel does per connection. Minor GCs
// per million decisions show how much the hot path allocates.
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeMessage, encodeMessage, type Init, type security } from '@ambit/xds-types';
import { PolicyStore, applicablePolicies, evaluate, policyFromResource, type ConnectionAttributes, type Identity, type WorkloadRef } from '../src/index.ts';

const seconds = Number(process.argv[2] ?? 2);
const ROOT = 'istio-system';

function add(store: PolicyStore, resource: Init<security.Authorization>): string {
  const bytes = encodeMessage('istio.security.Authorization', resource);
  const key = `${resource.namespace}/${resource.name}`;
  const result = policyFromResource(key, decodeMessage('istio.security.Authorization', bytes));
  if (!result.ok) throw new Error(result.error);
  store.upsert(result.policy);
  return key;
}

const v4 = (a: number, b: number, c: number, d: number): Buffer => Buffer.from([a, b, c, d]);
const store = new PolicyStore();
const listed: string[] = [];
// The STRICT conversion, a namespace DENY that never matches, and 98 ALLOW policies (selector scope,
// listed on the workload): each allows one service account on two ports from a /16, with a second
// rule by principal prefix and a third by IPv6 block. Only the last one admits the benchmark peer.
listed.push(add(store, { name: 'istio_converted_static_strict', namespace: ROOT, scope: 'WORKLOAD_SELECTOR', action: 'DENY', rules: [{ clauses: [{ matches: [{ not_principals: [{ presence: {} }] }] }] }] }));
add(store, { name: 'deny-legacy', namespace: 'shop', scope: 'NAMESPACE', action: 'DENY', rules: [{ clauses: [{ matches: [{ source_ips: [{ address: v4(192, 0, 2, 0), length: 24 }], not_destination_ports: [9090] }] }] }] });
for (let i = 0; i < 98; i++) {
  listed.push(
    add(store, {
      name: `allow-${i}`,
      namespace: 'shop',
      scope: 'WORKLOAD_SELECTOR',
      action: 'ALLOW',
      rules: [
        { clauses: [{ matches: [{ service_accounts: [{ namespace: 'shop', serviceAccount: `client-${i}` }], source_ips: [{ address: v4(10, i, 0, 0), length: 16 }] }] }, { matches: [{ destination_ports: [8080, 8443] }] }] },
        { clauses: [{ matches: [{ principals: [{ prefix: `cluster.local/ns/team-${i}/` }] }] }] },
        { clauses: [{ matches: [{ source_ips: [{ address: Buffer.from(`fd00${i.toString(16).padStart(4, '0')}000000000000000000000000`, 'hex'), length: 32 }] }] }] },
      ],
    }),
  );
}
const workload: WorkloadRef = { namespace: 'shop', authorizationPolicies: listed };
const policies = applicablePolicies(store, workload, ROOT);
if (policies.length !== 100) throw new Error(`expected 100 applicable policies, got ${policies.length}`);

const id = (ns: string, sa: string): Identity => ({ trustDomain: 'cluster.local', namespace: ns, serviceAccount: sa, uri: `spiffe://cluster.local/ns/${ns}/sa/${sa}` });
const scenarios: Array<[string, ConnectionAttributes, boolean]> = [
  ['allowed by the last of 98 ALLOW policies (worst case)', { source: id('shop', 'client-97'), sourceIp: '10.97.3.4', destinationIp: '10.200.0.9', destinationPort: 8080 }, true],
  ['allowed by the first ALLOW policy', { source: id('shop', 'client-0'), sourceIp: '10.0.3.4', destinationIp: '10.200.0.9', destinationPort: 8443 }, true],
  ['no ALLOW matches (every policy evaluated)', { source: id('shop', 'stranger'), sourceIp: '10.250.3.4', destinationIp: '10.200.0.9', destinationPort: 8080 }, false],
  ['IPv6 peer, no ALLOW matches', { source: id('shop', 'stranger'), sourceIp: 'fd99::1', destinationIp: 'fd00::9', destinationPort: 8080 }, false],
  ['plaintext, denied by STRICT (first DENY)', { sourceIp: '10.97.3.4', destinationIp: '10.200.0.9', destinationPort: 8080 }, false],
];

let gcs = 0;
const observer = new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const rows: string[][] = [];
for (const [name, conn, expected] of scenarios) {
  // Warm up (JIT) and check the scenario does what it says.
  for (let i = 0; i < 20_000; i++) if (evaluate(applicablePolicies(store, workload, ROOT), conn).allowed !== expected) throw new Error(`scenario ${name} decided wrong`);
  await flush();
  gcs = 0;
  let count = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1000; i++) evaluate(applicablePolicies(store, workload, ROOT), conn);
    count += 1000;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await flush();
  rows.push([name, (count / elapsed).toFixed(0), ((elapsed / count) * 1e9).toFixed(0), ((gcs / count) * 1e6).toFixed(1)]);
}
observer.disconnect();

console.log(`100 applicable policies, node ${process.version}, ${seconds}s per scenario, one core`);
console.log('| scenario | decisions/s | ns/decision | GCs per 1M decisions |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
