// The expected-reachability DSL of the upstream Kubernetes network policy e2e tests
// (kubernetes/kubernetes test/e2e/network/netpol reachability.go + truthtable.go), for the x/y/z
// cluster with pods a/b/c: start all-true, then narrow with expectPeer / expectAllIngress /
// expectAllEgress / expect. Loopback cells (a pod to itself) are ignored, as upstream does.
// Pure: no I/O, used by the model test and the lab conformance run alike.

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
/** `ns/pod`, in the order of the grid rows and columns. */
export const PODS: readonly string[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));

export type Protocol = 'TCP' | 'UDP';
export interface PortProtocol {
  port: 80 | 81;
  protocol: Protocol;
}
export const PORT_PROTOCOLS: readonly PortProtocol[] = [
  { port: 80, protocol: 'TCP' },
  { port: 81, protocol: 'TCP' },
  { port: 80, protocol: 'UDP' },
  { port: 81, protocol: 'UDP' },
];
export const ppKey = (pp: PortProtocol): string => `${pp.protocol}/${pp.port}`;

/**
 * A set of pods: `'x/a'` one pod, `'x/*'` or `{ namespace: 'x' }` a namespace, `'*\/a'` or
 * `{ pod: 'a' }` pod a of every namespace, `'*'` or `{}` every pod (upstream `Peer{}` wildcards).
 */
export type Peer = string | { namespace?: string; pod?: string };

export function peerPods(peer: Peer): string[] {
  let namespace: string | undefined;
  let pod: string | undefined;
  if (typeof peer === 'string') {
    if (peer === '*') return [...PODS];
    const [ns, name, extra] = peer.split('/');
    if (ns === undefined || name === undefined || extra !== undefined) throw new Error(`peer "${peer}": expected NS/POD with * wildcards`);
    namespace = ns === '*' ? undefined : ns;
    pod = name === '*' ? undefined : name;
  } else {
    namespace = peer.namespace;
    pod = peer.pod;
  }
  const found = PODS.filter((key) => {
    const [ns, name] = key.split('/');
    return (namespace === undefined || ns === namespace) && (pod === undefined || name === pod);
  });
  if (found.length === 0) throw new Error(`peer ${JSON.stringify(peer)} names no pod of the x/y/z cluster`);
  return found;
}

/** The 9x9 expected (or observed) table of one (port, protocol); `from -> to`. */
export class Reachability {
  private readonly cells = new Map<string, boolean>();

  constructor(initial = true) {
    for (const from of PODS) for (const to of PODS) if (from !== to) this.cells.set(cellKey(from, to), initial);
  }

  /** Every pod of `from` to every pod of `to`. */
  expectPeer(from: Peer, to: Peer, allowed: boolean): this {
    for (const f of peerPods(from)) for (const t of peerPods(to)) this.set(f, t, allowed);
    return this;
  }

  /** Every pod to `pod` (a Peer, so `'x/*'` isolates a namespace). */
  expectAllIngress(pod: Peer, allowed: boolean): this {
    return this.expectPeer('*', pod, allowed);
  }

  /** `pod` to every pod. */
  expectAllEgress(pod: Peer, allowed: boolean): this {
    return this.expectPeer(pod, '*', allowed);
  }

  /** One cell. */
  expect(from: string, to: string, allowed: boolean): this {
    for (const f of peerPods(from)) for (const t of peerPods(to)) this.set(f, t, allowed);
    return this;
  }

  set(from: string, to: string, allowed: boolean): void {
    if (from === to) return; // loopback: ignored
    this.cells.set(cellKey(from, to), allowed);
  }

  /** `undefined` for loopback cells. */
  get(from: string, to: string): boolean | undefined {
    return this.cells.get(cellKey(from, to));
  }

  /** How many cells are allowed (72 when nothing is isolated). */
  allowedCount(): number {
    return [...this.cells.values()].filter(Boolean).length;
  }
}

const cellKey = (from: string, to: string): string => `${from}>${to}`;

export interface CellDiff {
  from: string;
  to: string;
  expected: boolean;
  observed: boolean;
}

export function diffCells(expected: Reachability, observed: Reachability): CellDiff[] {
  const diffs: CellDiff[] = [];
  for (const from of PODS) {
    for (const to of PODS) {
      const e = expected.get(from, to);
      const o = observed.get(from, to);
      if (e === undefined || o === undefined || e === o) continue;
      diffs.push({ from, to, expected: e, observed: o });
    }
  }
  return diffs;
}

/**
 * The upstream-style grid: rows are sources, columns destinations; `.` allowed as expected,
 * `X` denied as expected, `!` expected allowed but denied, `?` expected denied but allowed
 * (the dangerous one), `-` loopback. With `observed` absent it prints the expectation alone.
 */
export function formatGrid(title: string, expected: Reachability, observed?: Reachability): string {
  const header = `${'from\\to'.padEnd(8)}${PODS.map((p) => p.padStart(4)).join('')}`;
  const lines = [title, header];
  for (const from of PODS) {
    const cells = PODS.map((to) => {
      const e = expected.get(from, to);
      if (e === undefined) return '-';
      const o = observed === undefined ? e : observed.get(from, to);
      if (o === e) return e ? '.' : 'X';
      return e ? '!' : '?';
    });
    lines.push(`${from.padEnd(8)}${cells.map((c) => c.padStart(4)).join('')}`);
  }
  if (observed !== undefined) lines.push("legend: . allowed  X denied  ! expected allowed, was denied  ? expected denied, was allowed  - loopback");
  return lines.join('\n');
}
