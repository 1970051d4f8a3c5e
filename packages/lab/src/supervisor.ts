// The lab supervisor: builds the lab's network, then plays kubelet, kube-proxy, CoreDNS and the
// API server's controllers for it until asked to stop. Everything it makes is named from
// LabNames, so `down` can remove it all even if this process is killed.
import { mkdir, writeFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { SourceFile } from '@ambit/api';
import { errorMessage, type Logger } from '@ambit/core';
import { addControlPlaneNetns, createUnderlay, planNodes, type LabNode } from './topology.ts';
import { controlPlaneGet, controlPlanePost, controlPlaneProcess, controlPlaneReady, waitControlPlaneSynced } from './control-plane-process.ts';
import type { ManagedProcess } from './managed-process.ts';
import { agentNetpol, agentPods, agentReady, CNI_AGENT_PORT, nodeComponents, ztunnelReady, ZTUNNEL_ADMIN_PORT, type NodeComponents } from './node-components.ts';
import { componentGet } from './component-http.ts';
import { issueNodeCredentials, waitFor } from '@ambit/core';
import { LabCluster, type ScheduledPod } from './cluster.ts';
import { startRpcServer } from './rpc.ts';
import type { LabNames } from './names.ts';
import type { LabStatus } from './status.ts';

export interface SupervisorOptions {
  names: LabNames;
  nodeCount: number;
  logger: Logger;
}

export class LabSupervisor {
  private cluster: LabCluster | undefined;
  private server: Server | undefined;
  private readonly nodes: LabNode[];
  private stopping: Promise<void> | undefined;
  private controlPlane: ManagedProcess | undefined;
  private readonly nodeDaemons = new Map<string, NodeComponents>();
  private controlPlaneUp = false;
  private readonly options: SupervisorOptions;

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.nodes = planNodes(options.names, options.nodeCount);
  }

  async start(): Promise<void> {
    const { names, logger } = this.options;
    await mkdir(names.logDir, { recursive: true });
    await writeFile(names.pidFile, `${process.pid}\n`);
    logger.info({ nodes: this.nodes.length }, 'creating the lab network');
    await createUnderlay(names, this.nodes);
    await this.startControlPlane();
    await this.startNodeComponents();
    this.cluster = new LabCluster(names, this.nodes, logger);
    this.cluster.setBeforeSandboxes((pods) => this.waitScheduledKnown(pods));
    await this.cluster.bootstrap();
    await waitControlPlaneSynced(names, 60_000);
    await rm(names.socket, { force: true });
    this.server = await startRpcServer(
      names.socket,
      {
        'GET /status': async () => ({ status: 200, body: await this.statusWithComponents() }),
        // Relays for the CLI (proxy-status, config dumps): the host namespace has no route into the lab.
        'GET /control-plane/syncz': async () => this.relayControlPlane('/debug/syncz'),
        'GET /control-plane/config_dump': async () => this.relayControlPlane('/debug/config_dump'),
        // Root rotation steps (the RPC server matches the whole URL, so one route per phase).
        ...Object.fromEntries(['start', 'switch', 'finish'].map((phase) => [`POST /control-plane/rotate-root?phase=${phase}`, async () => this.relayControlPlane(`/debug/rotate-root?phase=${phase}`, 'POST')])),
        ...Object.fromEntries(this.nodes.map((node) => [`GET /ztunnel/${node.name}/config_dump`, async () => this.relayZtunnel(node)])),
        'POST /netpol/explain': async (body) => this.explain(body),
        'POST /apply': async (body) => this.apply(body, 'apply'),
        'POST /delete': async (body) => this.apply(body, 'delete'),
        'POST /shutdown': async () => {
          setImmediate(() => void this.stop().then(() => process.exit(0)));
          return { status: 202, body: { stopping: true } };
        },
      },
      logger,
    );
    logger.info({ socket: names.socket }, 'lab ready');
  }

  /** The control plane in its own namespace, with credentials for every node, ready before pods. */
  private async startControlPlane(): Promise<void> {
    const { names, logger } = this.options;
    await addControlPlaneNetns(names, this.nodes);
    await mkdir(names.configDir, { recursive: true });
    await issueNodeCredentials(names.credentialsDir, this.nodes.map((n) => n.name));
    const controlPlane = controlPlaneProcess(names, logger.child({ component: 'control-plane' }));
    controlPlane.on('start', () => void this.watchControlPlane());
    controlPlane.on('exit', () => (this.controlPlaneUp = false));
    this.controlPlane = controlPlane;
    controlPlane.start();
    await waitFor(() => this.controlPlaneUp, { timeoutMs: 60_000, intervalMs: 20, what: 'the control plane to become ready' });
  }

  /** A CNI agent and a ztunnel in every node, ready before the first pod is wired. */
  private async startNodeComponents(): Promise<void> {
    const { names, logger } = this.options;
    for (const node of this.nodes) {
      const daemons = nodeComponents(names, node, logger.child({ node: node.name }));
      this.nodeDaemons.set(node.name, daemons);
      daemons.agent.start();
      daemons.ztunnel.start();
    }
    await waitFor(async () => (await Promise.all(this.nodes.map(async (n) => (await agentReady(n)) && (await ztunnelReady(n))))).every(Boolean), {
      timeoutMs: 90_000,
      intervalMs: 50,
      maxIntervalMs: 500,
      what: 'every node\'s CNI agent and ztunnel to become ready',
    });
  }

  /**
   * Before CNI ADD: the control plane has read the scheduled pods and every enrolled one is in its
   * node agent's view, so the agent knows at ADD time to capture it and wait for the ztunnel.
   */
  private async waitScheduledKnown(pods: ScheduledPod[]): Promise<void> {
    if (!this.controlPlaneUp) return;
    await waitControlPlaneSynced(this.options.names, 30_000);
    const enrolled = pods.filter((p) => p.enrolled);
    if (enrolled.length === 0) return;
    await waitFor(
      async () => {
        for (const node of this.nodes) {
          const wanted = enrolled.filter((p) => p.node === node.name);
          if (wanted.length === 0) continue;
          const known = await agentPods(node).catch(() => []);
          if (!wanted.every((p) => known.some((k) => k.namespace === p.namespace && k.name === p.name && k.enrolled))) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 20, maxIntervalMs: 200, what: 'node agents to know the enrolled pods before they are wired' },
    );
  }

  /** Enrolled pods count as ready once their node's ztunnel acknowledged them (DESIGN.md, lab up). */
  private async waitEnrolledAcked(timeoutMs: number): Promise<void> {
    const status = this.cluster?.status();
    if (!status) return;
    const pending = (): Promise<string[]> =>
      Promise.all(
        this.nodes.map(async (node) => {
          const wanted = status.pods.filter((p) => p.node === node.name && p.enrolled);
          if (wanted.length === 0) return [];
          const known = await agentPods(node).catch(() => []);
          return wanted.filter((p) => !known.some((k) => k.namespace === p.namespace && k.name === p.name && k.acked)).map((p) => `${p.namespace}/${p.name}`);
        }),
      ).then((lists) => lists.flat());
    try {
      await waitFor(async () => (await pending()).length === 0, { timeoutMs, intervalMs: 50, maxIntervalMs: 250, what: 'enrolled pods to be acknowledged by their ztunnel' });
    } catch {
      throw new Error(`enrolled pods not acknowledged by their ztunnel: ${(await pending()).join(', ')}`);
    }
  }

  /**
   * `lab apply` returns once a changed policy is in force for new connections: the control plane
   * has sent every change and every client answered it, and no node agent has NetworkPolicy
   * input that is not yet in its kernel.
   */
  private async waitPolicyInKernel(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const reply = await controlPlaneGet(this.options.names, '/debug/config_status');
        return reply.status === 200 && (JSON.parse(reply.body) as { xdsSettled?: boolean }).xdsSettled === true;
      },
      { timeoutMs, intervalMs: 10, maxIntervalMs: 100, what: 'the control plane to deliver the change to every node' },
    );
    // An agent that cannot load the change keeps its previous rules; after a short grace for a
    // retry to succeed, `apply` says so instead of waiting out the timeout.
    let failingSince: number | undefined;
    let failures: string[] = [];
    await waitFor(
      async () => {
        const states = await Promise.all(this.nodes.map((n) => agentNetpol(n)));
        failures = states.flatMap((s, i) => (s?.dirty === true && s.lastError !== undefined ? [`${this.nodes[i]?.name ?? '?'}: ${s.lastError}`] : []));
        failingSince = failures.length === 0 ? undefined : (failingSince ?? Date.now());
        if (failingSince !== undefined && Date.now() - failingSince > 2000) return 'failed';
        return states.every((s) => s !== undefined && (!s.enabled || s.dirty === false)) ? 'loaded' : false;
      },
      { timeoutMs, intervalMs: 10, maxIntervalMs: 100, what: 'every node agent to load its NetworkPolicy rules' },
    ).then((outcome) => {
      if (outcome === 'failed') throw new Error(`the change is accepted but not in force: ${failures.join('; ')}`);
    });
  }

  private async watchControlPlane(): Promise<void> {
    try {
      await waitFor(() => controlPlaneReady(this.options.names), { timeoutMs: 60_000, intervalMs: 20, maxIntervalMs: 250, what: 'control plane readiness' });
      this.controlPlaneUp = true;
    } catch (error) {
      this.options.logger.warn({ err: String(error) }, 'the control plane did not become ready');
    }
  }

  private async relayControlPlane(path: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: unknown }> {
    try {
      const reply = method === 'GET' ? await controlPlaneGet(this.options.names, path) : await controlPlanePost(this.options.names, path);
      return { status: reply.status, body: JSON.parse(reply.body) as unknown };
    } catch (error) {
      return { status: 503, body: { error: `the control plane did not answer ${path}: ${errorMessage(error)}` } };
    }
  }

  /** The ztunnel's admin port listens on the node's loopback only, as in Istio. */
  private async relayZtunnel(node: LabNode): Promise<{ status: number; body: unknown }> {
    try {
      const reply = await componentGet(node.netns, '127.0.0.1', ZTUNNEL_ADMIN_PORT, '/config_dump');
      return { status: reply.status, body: JSON.parse(reply.body) as unknown };
    } catch (error) {
      return { status: 503, body: { error: `the ztunnel of ${node.name} did not answer: ${errorMessage(error)}` } };
    }
  }

  /**
   * `ambit x netpol explain`: the destination node's agent answers from the rules it compiled
   * (its semantics engine covers the source's egress side too: it holds every pod and policy).
   */
  private async explain(body: unknown): Promise<{ status: number; body: unknown }> {
    const q = body as { from?: unknown; to?: unknown; port?: unknown; protocol?: unknown } | null;
    if (typeof q?.from !== 'string' || typeof q.to !== 'string' || typeof q.port !== 'number') return { status: 400, body: { error: 'expected {"from":"NS/POD","to":"NS/POD","port":P,"protocol"?:"TCP"}' } };
    const pods = this.cluster?.status().pods ?? [];
    const find = (ref: string) => pods.find((p) => `${p.namespace}/${p.name}` === ref);
    const from = find(q.from);
    const to = find(q.to);
    if (!from?.ip || !to?.ip) return { status: 404, body: { error: `${!from?.ip ? q.from : q.to}: no such pod with an address in the lab` } };
    const node = this.nodes.find((n) => n.name === to.node);
    if (!node) return { status: 404, body: { error: `${q.to}: its node ${to.node} is not in the lab` } };
    const protocol = typeof q.protocol === 'string' ? q.protocol : 'TCP';
    const path = `/debug/netpol/explain?from=${encodeURIComponent(from.ip)}&to=${encodeURIComponent(to.ip)}&port=${q.port}&protocol=${encodeURIComponent(protocol)}`;
    try {
      const reply = await componentGet(node.netns, '127.0.0.1', CNI_AGENT_PORT, path);
      return { status: reply.status, body: { node: node.name, ...(JSON.parse(reply.body) as object) } };
    } catch (error) {
      return { status: 503, body: { error: `the cni-agent of ${node.name} did not answer: ${errorMessage(error)}` } };
    }
  }

  private async apply(body: unknown, mode: 'apply' | 'delete'): Promise<{ status: number; body: unknown }> {
    const files = parseFiles(body);
    if (!files) return { status: 400, body: { error: 'expected {"files":[{"path":string,"text":string}]}' } };
    if (!this.cluster) return { status: 503, body: { error: 'the lab is starting' } };
    try {
      const outcome = await this.cluster.apply(files, mode);
      // DESIGN.md: apply returns when the control plane has accepted the change.
      if (outcome.problems.length === 0 && this.controlPlaneUp) {
        await waitControlPlaneSynced(this.options.names, 30_000);
        await this.waitPolicyInKernel(30_000);
        await this.waitEnrolledAcked(60_000);
      }
      return { status: outcome.problems.length > 0 ? 422 : 200, body: outcome };
    } catch (error) {
      return { status: 500, body: { error: errorMessage(error) } };
    }
  }

  status(): LabStatus {
    const cluster = this.cluster?.status();
    return {
      name: this.options.names.lab,
      nodes: cluster?.nodes ?? [],
      namespaces: cluster?.namespaces ?? [],
      pods: cluster?.pods ?? [],
      services: cluster?.services ?? [],
      gateways: cluster?.gateways ?? [],
      components: [
        { kind: 'supervisor', node: null, pid: process.pid, ready: this.server !== undefined },
        { kind: 'control-plane', node: null, pid: this.controlPlane?.pid ?? null, ready: this.controlPlaneUp },
        { kind: 'dns', node: cluster?.dns.node ?? null, pid: cluster?.dns.pid ?? null, ready: cluster?.dns.ready ?? false },
        ...(cluster?.waypoints ?? []).map((w) => ({ kind: 'waypoint' as const, node: w.node, pid: w.pid, ready: w.ready, namespace: w.namespace, name: w.name })),
      ],
    };
  }

  /** status() plus the node daemons, whose readiness is asked of them. */
  private async statusWithComponents(): Promise<LabStatus> {
    const base = this.status();
    const rules = new Map<string, number | null>();
    const daemons = await Promise.all(
      this.nodes.map(async (node) => {
        const d = this.nodeDaemons.get(node.name);
        const [agentOk, ztunnelOk, netpol] = await Promise.all([agentReady(node), ztunnelReady(node), agentNetpol(node)]);
        rules.set(node.name, netpol?.enabled === true ? (netpol.rules ?? 0) : null);
        return [
          { kind: 'cni-agent' as const, node: node.name, pid: d?.agent.pid ?? null, ready: agentOk },
          { kind: 'ztunnel' as const, node: node.name, pid: d?.ztunnel.pid ?? null, ready: ztunnelOk },
        ];
      }),
    );
    return { ...base, nodes: base.nodes.map((n) => ({ ...n, netpolRules: rules.get(n.name) ?? null })), components: [...base.components, ...daemons.flat()] };
  }

  /** Stops every pod (CNI DEL each) and the API socket; `down` then removes the namespaces. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.options.logger.info({}, 'stopping the lab');
      this.server?.close();
      await this.cluster?.shutdown();
      await Promise.all([...this.nodeDaemons.values()].flatMap((d) => [d.ztunnel.stop(), d.agent.stop()]));
      await this.controlPlane?.stop();
    })();
    return this.stopping;
  }
}

function parseFiles(body: unknown): SourceFile[] | undefined {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { files?: unknown }).files)) return undefined;
  const files: SourceFile[] = [];
  for (const f of (body as { files: unknown[] }).files) {
    if (typeof f !== 'object' || f === null) return undefined;
    const { path, text } = f as { path?: unknown; text?: unknown };
    if (typeof path !== 'string' || typeof text !== 'string') return undefined;
    files.push({ path, text });
  }
  return files;
}
