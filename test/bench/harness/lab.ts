// The benchmark's lab: two nodes, two namespaces holding the same two pods (client on node-2,
// server on node-1, as in test/bench/ztunnel.ts). `direct` is not enrolled (paths a and d), `mesh`
// is (path b: client pod -> node-2 ztunnel -> HBONE -> node-1 ztunnel -> server pod). Started and
// stopped through the real CLI, like the other benchmarks and the end-to-end suites.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ambit, ambitJson } from '../../e2e/helpers.ts';

export type Namespace = 'direct' | 'mesh';

function pods(ns: Namespace): string {
  return ['client', 'server']
    .map(
      (name) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${ns}, labels: { app: ${name} } }
spec: { nodeName: ${name === 'server' ? 'node-1' : 'node-2'}, serviceAccountName: ${name}, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }`,
    )
    .join('\n---\n');
}

/** The two namespaces and their pods; test/bench/ztunnel.ts uses the same cluster. */
export const BENCH_CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: direct }
---
apiVersion: v1
kind: Namespace
metadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }
---
${pods('direct')}
---
${pods('mesh')}
`;

export interface Component {
  kind: string;
  node: string | null;
  pid: number;
}

export interface BenchLab {
  name: string;
  /** netns of a pod */
  netns(ns: Namespace, pod: 'client' | 'server'): string;
  serverIp(ns: Namespace): string;
  components: Component[];
}

interface Status {
  pods: Array<{ namespace: string; name: string; ip: string; ready: boolean; enrolled: boolean }>;
  components: Array<{ kind: string; node: string | null; pid: number | null }>;
}

/** `ambit lab up`; the caller must call `stopLab(name)` in `finally`, also when this throws. */
export async function startLab(name: string, dir: string): Promise<BenchLab> {
  const file = join(dir, 'cluster.yaml');
  await writeFile(file, BENCH_CLUSTER);
  const up = await ambit(['lab', 'up', '--name', name, '--nodes', '2', '-f', file], 300_000);
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}): ${up.stderr}`);
  const status = await ambitJson<Status>(['lab', 'status', '--name', name, '-o', 'json']);
  const ips = new Map(status.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip]));
  for (const ns of ['direct', 'mesh'] as const) {
    const enrolled = status.pods.find((p) => p.namespace === ns && p.name === 'server')?.enrolled;
    if (enrolled !== (ns === 'mesh')) throw new Error(`pod ${ns}/server: enrolled is ${String(enrolled)}, expected ${ns === 'mesh'}`);
  }
  return {
    name,
    netns: (ns, pod) => `ambit-${name}.p.${ns}.${pod}`,
    serverIp: (ns) => {
      const ip = ips.get(`${ns}/server`);
      if (!ip) throw new Error(`lab ${name} has no pod ${ns}/server`);
      return ip;
    },
    components: status.components.filter((c): c is Component => typeof c.pid === 'number'),
  };
}

export async function stopLab(name: string): Promise<void> {
  const down = await ambit(['lab', 'down', '--name', name], 120_000);
  if (down.code !== 0) console.error(`bench: lab down --name ${name} exited ${down.code}: ${down.stderr}`);
}
