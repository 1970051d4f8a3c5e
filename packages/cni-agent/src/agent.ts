// The node agent: what the CNI plugin says about local pods (netns, IPs) + what the control plane
// says about enrollment (PolicyWorkload) -> in-pod capture rules and the hand-off to the ztunnel.
//
// One reconcile worker (never two steps at once): plan() decides the next step per pod, the
// worker runs the steps, records their outcome and plans again. Every input (plugin request,
// view change, ztunnel connect/disconnect, backoff expiry) just kicks the worker.
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage, type Logger } from '@ambit/core';
import { netnsInode } from '@ambit/netns';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';
import type { HandoffServer } from './handoff-server.ts';
import type { AgentMetrics } from './metrics.ts';
import type { PluginPod, PluginRequest, PluginResponse } from './plugin-protocol.ts';
import { backoffMs, plan, type Action, type ActualPod, type DesiredPod, type HandoffPhase } from './reconcile.ts';
import type { NetpolEnforcer } from './netpol.ts';
import { ipToBytes, type ViewPod } from './view.ts';

/** The in-pod capture, as @ambit/nft provides it (an interface so tests can count calls). */
export interface InpodRules {
  apply(netns: string, podIps: readonly string[]): Promise<void>;
  remove(netns: string): Promise<void>;
  installed(netns: string): Promise<boolean>;
}

export interface AgentOptions {
  nodeName: string;
  logger: Logger;
  metrics: AgentMetrics;
  handoff: HandoffServer;
  inpod: InpodRules;
  /** How long a plugin ADD of an enrolled pod (and a DEL) waits. Default 10000. */
  addTimeoutMs?: number;
  /** Steps tried this many times are parked until the pod changes or a ztunnel reconnects. Default 10. */
  maxAttempts?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Known pods are saved here (and loaded by start()); '' or absent = no persistence. */
  stateFile?: string;
  /** Inode of a netns path (decimal string); netnsInode by default. */
  inodeOf?: (path: string) => string;
  /**
   * NetworkPolicy for this node's pods. When set, a plugin ADD returns only once the pod is in
   * the control plane's view and the node's rules covering it are in the kernel, so a pod that
   * policy isolates is isolated before its first process runs.
   */
  netpol?: NetpolEnforcer;
}

/** A pod the plugin reported, with the inode of its netns then. */
export interface KnownPod extends PluginPod {
  inode: string;
}

interface Waiter {
  uid: string;
  op: 'add' | 'del';
  done(response: PluginResponse): void;
  timer: NodeJS.Timeout;
}

export interface PodDebug {
  uid: string;
  name: string;
  namespace: string;
  netns?: string;
  inode?: string;
  ips: readonly string[];
  known: boolean;
  inView: boolean;
  enrolled: boolean;
  captured: boolean;
  acked: boolean;
  attempts: number;
  lastError?: string;
}

const STATE_VERSION = 1;

export class CniAgent {
  private readonly nodeName: string;
  private readonly logger: Logger;
  private readonly metrics: AgentMetrics;
  private readonly handoff: HandoffServer;
  private readonly inpod: InpodRules;
  private readonly addTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly stateFile: string;
  private readonly inodeOf: (path: string) => string;
  private readonly netpol: NetpolEnforcer | undefined;
  private readonly viewWaiters = new Set<() => void>();

  private readonly known = new Map<string, KnownPod>();
  private view = new Map<string, ViewPod>();
  private viewByName = new Map<string, ViewPod>();
  private readonly actual = new Map<string, ActualPod>();
  private readonly waiters = new Set<Waiter>();
  private phase: HandoffPhase = 'down';
  private connectionId = 0;
  private running = false;
  private again = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly onConnected = (id: number) => this.connected(id);
  private readonly onDisconnected = (id: number) => this.disconnected(id);

  constructor(options: AgentOptions) {
    this.nodeName = options.nodeName;
    this.logger = options.logger.child({ scope: 'agent' });
    this.metrics = options.metrics;
    this.handoff = options.handoff;
    this.inpod = options.inpod;
    this.addTimeoutMs = options.addTimeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoffInitialMs = options.backoffInitialMs ?? 200;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.stateFile = options.stateFile ?? '';
    this.inodeOf = options.inodeOf ?? ((path) => netnsInode(path).toString());
    this.netpol = options.netpol;
  }

  /** Loads saved pods (checking each netns is still the same), subscribes to hand-off events. */
  async start(): Promise<void> {
    this.handoff.on('connected', this.onConnected);
    this.handoff.on('disconnected', this.onDisconnected);
    for (const pod of this.loadState()) {
      this.known.set(pod.uid, pod);
      let captured = false;
      try {
        captured = await this.inpod.installed(pod.netns);
      } catch (error) {
        this.logger.warn({ uid: pod.uid, err: errorMessage(error) }, 'cannot tell whether a saved pod is captured; assuming not');
      }
      if (captured) this.actual.set(pod.uid, { uid: pod.uid, netns: pod.netns, inode: pod.inode, ips: pod.ips, captured, acked: false, attempts: 0, notBefore: 0 });
    }
    this.syncLocalPods();
    if (this.handoff.connected) this.connected(this.handoff.connectionId);
    this.kick();
  }

  /** Stops the worker and answers every waiting plugin request with SHUTTING_DOWN (rules stay). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.handoff.off('connected', this.onConnected);
    this.handoff.off('disconnected', this.onDisconnected);
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    for (const waiter of [...this.waiters]) {
      this.finish(waiter, { ok: false, code: CNI_AGENT_ERROR_CODES.SHUTTING_DOWN, error: 'the cni-agent is shutting down', retry: true });
    }
    await this.idle;
  }

  /** Replaces the control plane's view (every PolicyWorkload held). */
  setView(pods: Iterable<ViewPod>): void {
    const before = new Map([...this.known.keys()].map((uid) => [uid, this.enrolled(uid)]));
    this.view = new Map();
    this.viewByName = new Map();
    for (const p of pods) {
      this.view.set(p.uid, p);
      this.viewByName.set(`${p.namespace}/${p.name}`, p);
    }
    for (const [uid, was] of before) if (this.enrolled(uid) !== was) this.resetAttempts(uid);
    for (const wake of [...this.viewWaiters]) wake();
    this.kick();
  }

  /** Serves one plugin request; never throws. */
  handle(request: PluginRequest): Promise<PluginResponse> {
    if (this.stopped) return Promise.resolve({ ok: false, code: CNI_AGENT_ERROR_CODES.SHUTTING_DOWN, error: 'the cni-agent is shutting down', retry: true });
    return request.op === 'add' ? this.pluginAdd(request.pod) : this.pluginDel(request.pod.uid, request.pod.namespace, request.pod.name);
  }

  /** True once a ztunnel has a complete snapshot (phase live). */
  get live(): boolean {
    return this.phase === 'live';
  }

  debugPods(): PodDebug[] {
    const uids = new Set([...this.known.keys(), ...this.actual.keys()]);
    for (const p of this.view.values()) if (p.node === this.nodeName) uids.add(p.uid);
    return [...uids].sort().map((uid) => {
      const k = this.known.get(uid);
      const v = this.viewOf(uid);
      const a = this.actual.get(uid);
      return {
        uid,
        name: k?.name ?? v?.name ?? '',
        namespace: k?.namespace ?? v?.namespace ?? '',
        ...(k === undefined ? {} : { netns: k.netns, inode: k.inode }),
        ips: k?.ips ?? v?.addresses ?? [],
        known: k !== undefined,
        inView: v !== undefined,
        enrolled: this.enrolled(uid),
        captured: a?.captured ?? false,
        acked: a?.acked ?? false,
        attempts: a?.attempts ?? 0,
        ...(a?.lastError === undefined ? {} : { lastError: a.lastError }),
      };
    });
  }

  get handoffPhase(): HandoffPhase {
    return this.phase;
  }

  // --- plugin requests ------------------------------------------------------------------------

  private async pluginAdd(pod: PluginPod): Promise<PluginResponse> {
    let inode: string;
    try {
      inode = this.inodeOf(pod.netns);
    } catch (error) {
      return { ok: false, code: CNI_AGENT_ERROR_CODES.NETNS_GONE, error: `pod ${pod.namespace}/${pod.name}: ${errorMessage(error)}`, retry: true };
    }
    this.known.set(pod.uid, { ...pod, inode });
    // Every ADD is a new attempt (the runtime retries a failed one): parked steps start over.
    this.resetAttempts(pod.uid);
    this.saveState();
    this.syncLocalPods();
    this.logger.info({ uid: pod.uid, pod: `${pod.namespace}/${pod.name}`, netns: pod.netns, ips: pod.ips, hostIfname: pod.hostIfname, enrolled: this.enrolled(pod.uid) }, 'pod reported by the CNI plugin');
    this.kick();
    if (this.netpol !== undefined) {
      const refused = await this.policyGate(this.netpol, pod);
      if (refused !== undefined) return refused;
    }
    this.kick();
    const immediate = this.addOutcome(pod.uid);
    if (immediate !== undefined) return immediate;
    return this.wait(pod.uid, 'add');
  }

  private async pluginDel(uid: string, namespace: string | undefined, name: string | undefined): Promise<PluginResponse> {
    let key = uid;
    if (!this.known.has(uid) && !this.actual.has(uid) && namespace !== undefined && name !== undefined) {
      key = [...this.known.values()].find((p) => p.namespace === namespace && p.name === name)?.uid ?? uid;
    }
    const had = this.known.delete(key);
    this.resetAttempts(key);
    if (had) {
      this.saveState();
      this.syncLocalPods();
    }
    this.logger.info({ uid: key, known: had }, 'pod deleted by the CNI plugin');
    this.kick();
    if (!this.actual.has(key)) return { ok: true, enrolled: false, captured: false };
    return this.wait(key, 'del');
  }

  /**
   * An ADD waits until the view knows the pod (its labels decide whether policy isolates it) and
   * the node's NetworkPolicy table covering it is in the kernel; undefined = go on.
   */
  private async policyGate(netpol: NetpolEnforcer, pod: PluginPod): Promise<PluginResponse | undefined> {
    const deadline = Date.now() + this.addTimeoutMs;
    const where = `pod ${pod.namespace}/${pod.name}`;
    if (pod.hostIfname === undefined) {
      this.logger.warn({ uid: pod.uid }, 'the plugin did not name the host veth (chained mode): NetworkPolicy is not enforced for this pod on this node');
    }
    while (!netpol.knows(pod.uid, pod.namespace, pod.name)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.stopped) {
        return { ok: false, code: CNI_AGENT_ERROR_CODES.POD_UNKNOWN, error: `${where} is not in the control plane's policy view after ${this.addTimeoutMs}ms: cannot tell whether policy isolates it`, retry: true };
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.viewWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.viewWaiters.add(wake);
      });
    }
    try {
      await netpol.settled(Math.max(1, deadline - Date.now()));
    } catch (error) {
      return { ok: false, code: CNI_AGENT_ERROR_CODES.NETPOL_NOT_APPLIED, error: `${where}: ${errorMessage(error)}`, retry: true };
    }
    if (!this.known.has(pod.uid)) return { ok: false, code: CNI_AGENT_ERROR_CODES.NETNS_GONE, error: `${where} was deleted while its ADD waited`, retry: true };
    return undefined;
  }

  /** The pods wired here, as NetworkPolicy needs them (host veth and addresses). */
  private syncLocalPods(): void {
    this.netpol?.setLocalPods([...this.known.values()].map((k) => ({ uid: k.uid, namespace: k.namespace, name: k.name, ips: k.ips, ...(k.hostIfname === undefined ? {} : { hostVeth: k.hostIfname }) })));
  }

  private wait(uid: string, op: 'add' | 'del'): Promise<PluginResponse> {
    return new Promise<PluginResponse>((resolve) => {
      const waiter: Waiter = {
        uid,
        op,
        done: resolve,
        timer: setTimeout(() => this.finish(waiter, this.timeoutOutcome(uid, op)), this.addTimeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private finish(waiter: Waiter, response: PluginResponse): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.done(response);
  }

  /** The answer for an ADD if it is decided now; undefined = keep waiting. */
  private addOutcome(uid: string): PluginResponse | undefined {
    if (!this.known.has(uid)) return { ok: false, code: CNI_AGENT_ERROR_CODES.NETNS_GONE, error: `pod ${uid} was deleted while its ADD waited`, retry: true };
    if (!this.enrolled(uid)) return { ok: true, enrolled: false, captured: false };
    const a = this.actual.get(uid);
    if (a?.acked === true) return { ok: true, enrolled: true, captured: true };
    return undefined;
  }

  private timeoutOutcome(uid: string, op: 'add' | 'del'): PluginResponse {
    const a = this.actual.get(uid);
    const last = a?.lastError === undefined ? '' : ` (last error: ${a.lastError})`;
    if (op === 'del') {
      return { ok: false, code: CNI_AGENT_ERROR_CODES.CAPTURE_FAILED, error: `pod ${uid}: the in-pod rules were not removed within ${this.addTimeoutMs}ms${last}`, retry: true };
    }
    if (a?.captured !== true) {
      return { ok: false, code: CNI_AGENT_ERROR_CODES.CAPTURE_FAILED, error: `pod ${uid} is enrolled but its in-pod rules were not installed within ${this.addTimeoutMs}ms${last}`, retry: true };
    }
    return {
      ok: false,
      code: CNI_AGENT_ERROR_CODES.NO_ZTUNNEL,
      error: `pod ${uid} is enrolled and captured but no ztunnel acknowledged it within ${this.addTimeoutMs}ms (${this.handoff.connected ? 'a ztunnel is connected' : 'no ztunnel connected'})${last}`,
      retry: true,
    };
  }

  private settleWaiters(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.op === 'add') {
        const outcome = this.addOutcome(waiter.uid);
        if (outcome !== undefined) this.finish(waiter, outcome);
      } else if (!this.actual.has(waiter.uid) || this.known.has(waiter.uid)) {
        this.finish(waiter, { ok: true, enrolled: false, captured: false });
      }
    }
  }

  // --- view -----------------------------------------------------------------------------------

  private viewOf(uid: string): ViewPod | undefined {
    const k = this.known.get(uid);
    return this.view.get(uid) ?? (k === undefined ? undefined : this.viewByName.get(`${k.namespace}/${k.name}`));
  }

  private enrolled(uid: string): boolean {
    const v = this.viewOf(uid);
    return v !== undefined && v.enrolled && v.node === this.nodeName;
  }

  private desired(): Map<string, DesiredPod> {
    const desired = new Map<string, DesiredPod>();
    for (const k of this.known.values()) {
      if (!this.enrolled(k.uid)) continue;
      const v = this.viewOf(k.uid);
      desired.set(k.uid, {
        uid: k.uid,
        name: k.name,
        namespace: k.namespace,
        serviceAccount: k.serviceAccount ?? v?.serviceAccount ?? 'default',
        netns: k.netns,
        inode: k.inode,
        ips: k.ips,
      });
    }
    return desired;
  }

  // --- hand-off events --------------------------------------------------------------------------

  private connected(id: number): void {
    this.connectionId = id;
    this.phase = 'replay';
    for (const a of this.actual.values()) {
      a.acked = false;
      a.attempts = 0;
      a.notBefore = 0;
    }
    this.metrics.handoffConnected.set(1);
    this.metrics.handoffConnections.inc();
    this.kick();
  }

  private disconnected(id: number): void {
    if (id !== this.connectionId) return;
    this.connectionId = 0;
    this.phase = 'down';
    for (const a of this.actual.values()) a.acked = false;
    this.metrics.handoffConnected.set(0);
    this.kick();
  }

  private resetAttempts(uid: string): void {
    const a = this.actual.get(uid);
    if (a !== undefined) {
      a.attempts = 0;
      a.notBefore = 0;
    }
  }

  // --- the worker -------------------------------------------------------------------------------

  /** Asks the worker to plan again (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.run().finally(() => {
      this.running = false;
    });
  }

  private async run(): Promise<void> {
    for (let round = 0; !this.stopped; round++) {
      this.again = false;
      const desired = this.desired();
      const result = plan({ desired, actual: this.actual, phase: this.phase, now: Date.now(), maxAttempts: this.maxAttempts });
      this.updateGauges(desired.size);
      for (const uid of result.parked) {
        const a = this.actual.get(uid);
        if (a !== undefined && a.attempts === this.maxAttempts) {
          this.logger.error({ uid, attempts: a.attempts, err: a.lastError }, 'giving up on this pod until it changes or a ztunnel reconnects');
          a.attempts++;
        }
      }
      for (const action of result.actions) {
        if (this.stopped) return;
        await this.execute(action);
        this.settleWaiters();
      }
      this.settleWaiters();
      if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      if (result.actions.length === 0 && !this.again) {
        if (result.wakeAt !== undefined) {
          this.wakeTimer = setTimeout(() => this.kick(), Math.max(1, result.wakeAt - Date.now()));
        }
        return;
      }
      // Yield to I/O between rounds so socket events (acks, plugin requests) are not starved.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private updateGauges(desired: number): void {
    this.metrics.enrolledPods.set(desired);
    this.metrics.knownPods.set(this.known.size);
    let captured = 0;
    for (const a of this.actual.values()) if (a.captured) captured++;
    this.metrics.capturedPods.set(captured);
  }

  private async execute(action: Action): Promise<void> {
    const log = this.logger.child({ action: action.kind, ...(action.kind === 'snapshot' ? {} : { uid: action.kind === 'capture' || action.kind === 'add' ? action.pod.uid : action.uid }) });
    try {
      switch (action.kind) {
        case 'capture':
          await this.capture(action.pod);
          break;
        case 'add':
          await this.add(action.pod);
          break;
        case 'del':
          await this.del(action.uid);
          break;
        case 'uncapture':
          await this.uncapture(action.uid, action.netns, action.inode);
          break;
        case 'snapshot':
          await this.snapshot();
          break;
      }
      this.metrics.actions.inc({ action: action.kind, result: 'ok' });
      log.debug({}, 'done');
    } catch (error) {
      this.metrics.actions.inc({ action: action.kind, result: 'error' });
      const message = errorMessage(error);
      if (action.kind === 'snapshot') {
        log.warn({ err: message }, 'SnapshotSent failed');
        return;
      }
      const uid = action.kind === 'capture' || action.kind === 'add' ? action.pod.uid : action.uid;
      const a = this.actual.get(uid);
      if (a === undefined) return;
      // A request lost with its connection is not the pod's fault: the next connection replays it.
      const lostConnection = error instanceof Error && 'code' in error && error.code === CNI_AGENT_ERROR_CODES.HANDOFF_CLOSED;
      a.lastError = message;
      if (!lostConnection) {
        a.attempts++;
        a.notBefore = Date.now() + backoffMs(a.attempts, this.backoffInitialMs, this.backoffMaxMs);
      }
      log.warn({ err: message, attempts: a.attempts }, `${action.kind} failed`);
    }
  }

  private entry(pod: DesiredPod): ActualPod {
    let a = this.actual.get(pod.uid);
    if (a === undefined) {
      a = { uid: pod.uid, netns: pod.netns, inode: pod.inode, ips: pod.ips, captured: false, acked: false, attempts: 0, notBefore: 0 };
      this.actual.set(pod.uid, a);
    }
    return a;
  }

  private async capture(pod: DesiredPod): Promise<void> {
    const a = this.entry(pod);
    if (a.captured && (a.netns !== pod.netns || a.inode !== pod.inode)) {
      // The pod got a new sandbox: the old netns keeps its rules until it dies with them.
      a.captured = false;
    }
    a.netns = pod.netns;
    a.inode = pod.inode;
    a.ips = pod.ips;
    a.acked = false;
    this.checkInode(pod.netns, pod.inode);
    await this.inpod.apply(pod.netns, pod.ips);
    a.captured = true;
    a.attempts = 0;
    delete a.lastError;
    this.logger.info({ uid: pod.uid, netns: pod.netns, ips: pod.ips }, 'in-pod capture installed');
  }

  private async add(pod: DesiredPod): Promise<void> {
    const a = this.entry(pod);
    const connection = this.connectionId;
    const error = await this.request(
      {
        add: {
          uid: pod.uid,
          name: pod.name,
          namespace: pod.namespace,
          service_account: pod.serviceAccount,
          netns_path: pod.netns,
          netns_inode: pod.inode,
          addresses: pod.ips.map(ipToBytes),
        },
      },
      `AddWorkload ${pod.uid}`,
    );
    if (error !== '') throw agentError(CNI_AGENT_ERROR_CODES.ZTUNNEL_REJECTED, `the ztunnel refused pod ${pod.namespace}/${pod.name}: ${error}`);
    // An ack from a connection that has since been replaced means nothing to the new ztunnel.
    if (connection !== this.connectionId || this.actual.get(pod.uid) !== a) return;
    a.acked = true;
    a.attempts = 0;
    delete a.lastError;
    this.logger.info({ uid: pod.uid, pod: `${pod.namespace}/${pod.name}` }, 'ztunnel acknowledged the pod');
  }

  private async del(uid: string): Promise<void> {
    const a = this.actual.get(uid);
    const error = await this.request({ del: { uid } }, `DelWorkload ${uid}`);
    if (error !== '') throw agentError(CNI_AGENT_ERROR_CODES.ZTUNNEL_REJECTED, `the ztunnel refused to delete pod ${uid}: ${error}`);
    if (a !== undefined) {
      a.acked = false;
      a.attempts = 0;
    }
    this.logger.info({ uid }, 'ztunnel released the pod');
  }

  private async uncapture(uid: string, netns: string, inode: string): Promise<void> {
    if (netns !== '') {
      let same = false;
      try {
        same = this.inodeOf(netns) === inode;
      } catch {
        same = false;
      }
      // A namespace that is gone took its rules with it; a path now naming another one is not ours.
      if (same) await this.inpod.remove(netns);
    }
    this.actual.delete(uid);
    this.logger.info({ uid, netns }, 'in-pod capture removed');
  }

  private async snapshot(): Promise<void> {
    const connection = this.connectionId;
    const error = await this.request({ snapshot_sent: {} }, 'SnapshotSent');
    if (error !== '') this.logger.warn({ err: error }, 'the ztunnel answered SnapshotSent with an error');
    if (connection === this.connectionId && this.phase === 'replay') {
      this.phase = 'live';
      this.metrics.snapshots.inc();
      this.logger.info({ pods: [...this.actual.values()].filter((a) => a.acked).length }, 'snapshot sent; the ztunnel is live');
    }
  }

  private async request(request: Parameters<HandoffServer['request']>[0], what: string): Promise<string> {
    try {
      const error = await this.handoff.request(request, what);
      this.metrics.handoffAcks.inc({ result: error === '' ? 'ok' : 'error' });
      return error;
    } catch (error) {
      this.metrics.handoffAcks.inc({ result: 'closed' });
      throw error;
    }
  }

  private checkInode(netns: string, inode: string): void {
    let now: string;
    try {
      now = this.inodeOf(netns);
    } catch (error) {
      throw agentError(CNI_AGENT_ERROR_CODES.NETNS_GONE, `network namespace ${netns} is gone: ${errorMessage(error)}`, { cause: error });
    }
    if (now !== inode) throw agentError(CNI_AGENT_ERROR_CODES.NETNS_GONE, `network namespace ${netns} is now inode ${now}, the pod's was ${inode}: the path was reused`);
  }

  // --- persistence ------------------------------------------------------------------------------

  private saveState(): void {
    if (this.stateFile === '') return;
    try {
      mkdirSync(dirname(this.stateFile), { recursive: true, mode: 0o700 });
      const tmp = `${this.stateFile}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ version: STATE_VERSION, pods: [...this.known.values()] })}\n`, { mode: 0o600 });
      renameSync(tmp, this.stateFile);
    } catch (error) {
      this.logger.error({ err: errorMessage(error), file: this.stateFile }, `[${CNI_AGENT_ERROR_CODES.STATE_FILE}] cannot save known pods`);
    }
  }

  private loadState(): KnownPod[] {
    if (this.stateFile === '') return [];
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.stateFile, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err: errorMessage(error), file: this.stateFile }, `[${CNI_AGENT_ERROR_CODES.STATE_FILE}] ignoring unreadable state file`);
      return [];
    }
    const pods: KnownPod[] = [];
    const list = typeof raw === 'object' && raw !== null && (raw as { version?: unknown }).version === STATE_VERSION ? (raw as { pods?: unknown }).pods : undefined;
    for (const item of Array.isArray(list) ? (list as unknown[]) : []) {
      if (typeof item !== 'object' || item === null) continue;
      const p = item as Record<string, unknown>;
      const { uid, name, namespace, netns, inode, ips, serviceAccount, containerId, hostIfname } = p;
      if (typeof uid !== 'string' || typeof name !== 'string' || typeof namespace !== 'string' || typeof netns !== 'string' || typeof inode !== 'string') continue;
      if (!Array.isArray(ips) || !ips.every((ip): ip is string => typeof ip === 'string')) continue;
      try {
        if (this.inodeOf(netns) !== inode) continue;
      } catch {
        continue;
      }
      pods.push({
        uid,
        name,
        namespace,
        netns,
        inode,
        ips,
        ...(typeof serviceAccount === 'string' ? { serviceAccount } : {}),
        ...(typeof containerId === 'string' ? { containerId } : {}),
        ...(typeof hostIfname === 'string' ? { hostIfname } : {}),
      });
    }
    this.logger.info({ pods: pods.length, file: this.stateFile }, 'known pods loaded');
    return pods;
  }
}
