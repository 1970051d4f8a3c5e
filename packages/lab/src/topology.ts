// The lab's network: one root namespace with the underlay bridge, and one namespace per node
// attached to it. No link ever reaches the host namespace and no namespace gets a default route,
// so nothing the lab runs can talk to the outside world.
import { ipBatch, run } from './exec.ts';
import { CONTROL_PLANE_IP, nodePlan, UNDERLAY_PREFIX } from './addresses.ts';
import type { LabNames } from './names.ts';

export interface LabNode {
  name: string;
  index: number;
  ip: string;
  podCIDR: string;
  gateway: string;
  netns: string;
}

export function planNodes(names: LabNames, count: number): LabNode[] {
  return Array.from({ length: count }, (_, i) => {
    const plan = nodePlan(i + 1);
    return { ...plan, index: i + 1, netns: names.nodeNetns(plan.name) };
  });
}

async function sysctl(netns: string, settings: Record<string, string>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  await run('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', ...args]);
}

export async function createUnderlay(names: LabNames, nodes: readonly LabNode[]): Promise<void> {
  await run('ip', ['netns', 'add', names.rootNetns]);
  await ipBatch(names.rootNetns, ['link set lo up', 'link add br0 type bridge', 'link set br0 up']);
  for (const node of nodes) await addNode(names, node, nodes);
}

async function addNode(names: LabNames, node: LabNode, all: readonly LabNode[]): Promise<void> {
  await run('ip', ['netns', 'add', node.netns]);
  // The underlay port in the root namespace is named after the node index (<= 15 chars).
  const port = `n${node.index}`;
  await ipBatch(names.rootNetns, [
    `link add ${port} type veth peer name eth0 netns ${node.netns}`,
    `link set ${port} master br0`,
    `link set ${port} up`,
  ]);
  const routes = all.filter((n) => n !== node).map((n) => `route add ${n.podCIDR} via ${n.ip} dev eth0`);
  await ipBatch(node.netns, ['link set lo up', `addr add ${node.ip}/${UNDERLAY_PREFIX} dev eth0`, 'link set eth0 up', ...routes]);
  await sysctl(node.netns, {
    'net.ipv4.ip_forward': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
  });
}

/**
 * The control plane's own namespace on the underlay (DESIGN.md: it runs in its own namespace),
 * reachable from every node at CONTROL_PLANE_IP and from nowhere else. Routes back to each node's
 * pod CIDR let pods that talk to it themselves (waypoints: xDS and CA on 15012) get answers, as
 * a cluster's pod network reaches istiod; they stay inside the lab.
 */
export async function addControlPlaneNetns(names: LabNames, nodes: readonly LabNode[]): Promise<string> {
  const netns = names.controlPlaneNetns;
  await run('ip', ['netns', 'add', netns]);
  await ipBatch(names.rootNetns, ['link add cp type veth peer name eth0 netns ' + netns, 'link set cp master br0', 'link set cp up']);
  const routes = nodes.map((n) => `route add ${n.podCIDR} via ${n.ip} dev eth0`);
  await ipBatch(netns, ['link set lo up', `addr add ${CONTROL_PLANE_IP}/${UNDERLAY_PREFIX} dev eth0`, 'link set eth0 up', ...routes]);
  return netns;
}

/** Network namespaces currently present whose names satisfy `match`. */
export async function listNetns(match: (name: string) => boolean): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0 && match(name));
}

/** Pids of processes living in a network namespace (`ip netns pids`). */
export async function netnsPids(netns: string): Promise<number[]> {
  const { stdout } = await run('ip', ['netns', 'pids', netns], { okCodes: [1] });
  return stdout
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

export async function deleteNetns(netns: string): Promise<void> {
  await run('ip', ['netns', 'delete', netns], { okCodes: [1] });
}
