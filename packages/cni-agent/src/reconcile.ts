// The reconcile decision, pure: what the node should have (enrolled local pods whose netns the
// plugin told us) against what it has (rules installed, ztunnel acks), to the next step per pod.
// The agent runs the steps, records their outcome in `actual`, and plans again until nothing is
// left (or everything left waits for its backoff).
//
// Order per pod, as istio-cni's AddPodToMesh / RemovePodFromMesh:
//   enroll:  capture (in-pod rules) -> add (AddWorkload, wait for the ack)
//   leave:   del (DelWorkload, wait for the ack) -> uncapture (remove the rules)
// A new ztunnel connection starts in phase `replay`: every desired captured pod is added once, then
// `snapshot` (SnapshotSent) moves the connection to `live`.

/** An enrolled pod of this node with a known network namespace. */
export interface DesiredPod {
  uid: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  netns: string;
  /** Inode of `netns` when the plugin reported it (decimal string). */
  inode: string;
  ips: readonly string[];
}

/** What the agent did about a pod (kept until the pod is fully released). */
export interface ActualPod {
  uid: string;
  /** Where the rules were (or were being) installed. */
  netns: string;
  inode: string;
  ips: readonly string[];
  /** The in-pod rules are installed for netns/inode/ips. */
  captured: boolean;
  /** The current ztunnel connection acknowledged an AddWorkload for this pod. */
  acked: boolean;
  /** Failed attempts of the current step; reset when a step succeeds or the pod changes. */
  attempts: number;
  /** Epoch ms before which no step is tried (backoff after a failure). */
  notBefore: number;
  /** Last error, for /debug/pods. */
  lastError?: string;
}

export type HandoffPhase = 'down' | 'replay' | 'live';

export type Action =
  | { kind: 'capture'; pod: DesiredPod }
  | { kind: 'add'; pod: DesiredPod }
  | { kind: 'del'; uid: string }
  | { kind: 'uncapture'; uid: string; netns: string; inode: string }
  | { kind: 'snapshot' };

export interface PlanInput {
  desired: ReadonlyMap<string, DesiredPod>;
  actual: ReadonlyMap<string, ActualPod>;
  phase: HandoffPhase;
  now: number;
  /** A pod whose step failed this many times is parked until it changes or a ztunnel reconnects. */
  maxAttempts: number;
}

export interface Plan {
  actions: Action[];
  /** Earliest notBefore among pods waiting for their backoff, if any. */
  wakeAt?: number;
  /** Pods parked after maxAttempts failures. */
  parked: string[];
}

function sameTarget(d: DesiredPod, a: ActualPod): boolean {
  return d.netns === a.netns && d.inode === a.inode && d.ips.length === a.ips.length && d.ips.every((ip, i) => ip === a.ips[i]);
}

export function plan(input: PlanInput): Plan {
  const { desired, actual, phase, now, maxAttempts } = input;
  const actions: Action[] = [];
  const parked: string[] = [];
  let wakeAt: number | undefined;
  let adds = 0;
  const uids = new Set([...desired.keys(), ...actual.keys()]);
  for (const uid of [...uids].sort()) {
    const d = desired.get(uid);
    const a = actual.get(uid);
    if (a !== undefined && a.attempts >= maxAttempts) {
      parked.push(uid);
      continue;
    }
    if (a !== undefined && a.notBefore > now) {
      wakeAt = wakeAt === undefined ? a.notBefore : Math.min(wakeAt, a.notBefore);
      continue;
    }
    if (d !== undefined) {
      if (a === undefined || !a.captured || !sameTarget(d, a)) actions.push({ kind: 'capture', pod: d });
      else if (!a.acked && phase !== 'down') {
        actions.push({ kind: 'add', pod: d });
        adds++;
      }
    } else if (a !== undefined) {
      if (a.acked && phase !== 'down') actions.push({ kind: 'del', uid });
      else if (a.captured || a.acked) actions.push({ kind: 'uncapture', uid, netns: a.netns, inode: a.inode });
      else actions.push({ kind: 'uncapture', uid, netns: '', inode: '' });
    }
  }
  if (phase === 'replay' && adds === 0) actions.push({ kind: 'snapshot' });
  return { actions, parked, ...(wakeAt === undefined ? {} : { wakeAt }) };
}

/** Backoff before attempt `attempts + 1`: initialMs doubling, capped at maxMs. */
export function backoffMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}
