// The benchmark's lab: two nodes, three namespaces holding the same two pods (client on node-2,
// server on node-1, as in test/bench/ztunnel.ts). `direct` is not enrolled (paths a and d), `mesh`
// is (path b: client pod -> node-2 ztunnel -> HBONE -> node-1 ztunnel -> server pod), and `l7` is
// enrolled and bound to a waypoint (path c: client pod -> node-2 ztunnel -> HBONE -> waypoint,
// HTTP/1.1 at L7 -> HBONE -> node-1 ztunnel -> server pod), reached through the Service `server`.
// Started and stopped through the real CLI, like the other benchmarks and the end-to-end suites.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ambit, ambitJson } from '../../e2e/helpers.ts';
import { ORIGIN_PORT } from './peer.ts';

export type Namespace = 'direct' | 'mesh' | 'l7';

function pods(ns: Namespace): string {
  // Only the workload server's port 80 is declared: the lab waits for declared ports to be bound
  // at `lab up`, and the origin on 8080 is started by the harness afterwards.
  return ['client', 'server']
    .map(
      (name) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${ns}, labels: { app: ${name} } }
spec: { nodeName: ${name === 'server' ? 'node-1' : 'node-2'}, serviceAccountName: ${name}, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 80 }] }] }`,
    )
    .join('\n---\n');
}

/** The three namespaces, their pods, the l7 Service and its waypoint; test/bench/ztunnel.ts uses the same cluster. */
export const BENCH_CLUSTER = `apiVersion: v1
kind: Namespace
metadata: { name: direct }
---
apiVersion: v1
kind: Namespace
metadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Namespace
metadata: { name: l7, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
${pods('direct')}
---
${pods('mesh')}
---
${pods('l7')}
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: l7 }
spec: { selector: { app: server }, ports: [{ name: http, port: ${ORIGIN_PORT}, targetPort: ${ORIGIN_PORT} }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: l7, labels: { istio.io/waypoint-for: service } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
`;

export interface Component {
  kind: string;
  node: string | null;
  pid: number;
}

export interface Waypoint {
  /** pod name (the lab names it after its Deployment) */
  pod: string;
  node: string;
  pid: number;
  /** netns of the waypoint pod, where its metrics port answers on 127.0.0.1 */
  netns: string;
}

export interface BenchLab {
  name: string;
  /** netns of a pod */
  netns(ns: Namespace, pod: 'client' | 'server'): string;
  serverIp(ns: Namespace): string;
  /** ClusterIP of the l7 Service `server` (path c goes to it, so the client ztunnel sends it to the waypoint) */
  l7ServiceIp: string;
  waypoint: Waypoint;
  components: Component[];
}

export interface Status {
  pods: Array<{ namespace: string; name: string; ip: string | null; ready: boolean; enrolled: boolean; netns: string }>;
  services: Array<{ namespace: string; name: string; clusterIP: string }>;
  components: Array<{ kind: string; node: string | null; pid: number | null; namespace?: string; name?: string }>;
}

/** `ambit lab up`; the caller must call `stopLab(name)` in `finally`, also when this throws. */
export async function startLab(name: string, dir: string): Promise<BenchLab> {
  const file = join(dir, 'cluster.yaml');
  await writeFile(file, BENCH_CLUSTER);
  const up = await ambit(['lab', 'up', '--name', name, '--nodes', '2', '-f', file], 300_000);
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}): ${up.stderr}`);
  const status = await ambitJson<Status>(['lab', 'status', '--name', name, '-o', 'json']);
  return benchLab(name, status);
}

/** What the harness needs from `lab status -o json`, checked: an error names the missing or wrong part. */
export function benchLab(name: string, status: Status): BenchLab {
  const ips = new Map(status.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip]));
  for (const ns of ['direct', 'mesh', 'l7'] as const) {
    const enrolled = status.pods.find((p) => p.namespace === ns && p.name === 'server')?.enrolled;
    if (enrolled !== (ns !== 'direct')) throw new Error(`lab ${name}: pod ${ns}/server: enrolled is ${String(enrolled)}, expected ${ns !== 'direct'}`);
  }
  const service = status.services.find((s) => s.namespace === 'l7' && s.name === 'server');
  if (!service?.clusterIP) throw new Error(`lab ${name}: lab status lists no ClusterIP for Service l7/server`);
  const waypoints = status.components.filter((c) => c.kind === 'waypoint' && c.namespace === 'l7');
  const component = waypoints[0];
  if (waypoints.length !== 1 || !component) throw new Error(`lab ${name}: expected 1 waypoint component in namespace l7, lab status lists ${waypoints.length}`);
  if (typeof component.pid !== 'number' || !component.name || !component.node) {
    throw new Error(`lab ${name}: waypoint component ${component.name ?? '(unnamed)'} has no ${typeof component.pid !== 'number' ? 'pid' : !component.name ? 'pod name' : 'node'} in lab status`);
  }
  const pod = status.pods.find((p) => p.namespace === 'l7' && p.name === component.name);
  if (!pod) throw new Error(`lab ${name}: waypoint pod l7/${component.name} is not among the pods of lab status`);
  return {
    name,
    netns: (ns, pod) => `ambit-${name}.p.${ns}.${pod}`,
    serverIp: (ns) => {
      const ip = ips.get(`${ns}/server`);
      if (!ip) throw new Error(`lab ${name} has no pod ${ns}/server`);
      return ip;
    },
    l7ServiceIp: service.clusterIP,
    waypoint: { pod: component.name, node: component.node, pid: component.pid, netns: pod.netns },
    components: status.components.flatMap((c) => (typeof c.pid === 'number' ? [{ kind: c.kind, node: c.node, pid: c.pid }] : [])),
  };
}

export async function stopLab(name: string): Promise<void> {
  const down = await ambit(['lab', 'down', '--name', name], 120_000);
  if (down.code !== 0) console.error(`bench: lab down --name ${name} exited ${down.code}: ${down.stderr}`);
}
