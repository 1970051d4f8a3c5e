// The agent assembled: xDS (PolicyWorkload), the plugin socket, the hand-off socket, the reconcile
// worker and the monitoring port. main.ts builds one from the environment; tests build one with a
// fake InpodRules or an injected view source.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { errorMessage, watchFileContent, type FileContentWatch, type Logger } from '@ambit/core';
import { DeltaXdsClient } from '@ambit/xds-client';
import * as prom from 'prom-client';
import { AdminServer } from './admin.ts';
import { CniAgent, type InpodRules } from './agent.ts';
import { HandoffServer } from './handoff-server.ts';
import { nftInpodRules } from './inpod.ts';
import { AgentMetrics } from './metrics.ts';
import { PluginServer } from './plugin-server.ts';
import type { Settings } from './settings.ts';
import { xdsCredentials } from './tls.ts';
import { NetpolEnforcer } from './netpol.ts';
import { CALICO_POLICY_TYPE, CALICO_TIER_TYPE, decodeCalicoPolicy, decodeCalicoTier, decodeNetworkPolicy, decodePolicyWorkload, NETWORK_POLICY_TYPE, POLICY_WORKLOAD_TYPE, type ViewPod } from './view.ts';

export interface AgentAppOptions {
  settings: Settings;
  logger: Logger;
  registry?: prom.Registry;
  inpod?: InpodRules;
  /** Backoff of the reconcile worker (tests shorten it). */
  backoff?: { initialMs: number; maxMs: number };
  /** Loads the NetworkPolicy ruleset (tests record it instead of touching the kernel). */
  netpolLoad?: (ruleset: string) => Promise<void>;
}

export class AgentApp {
  readonly settings: Settings;
  readonly registry: prom.Registry;
  readonly agent: CniAgent;
  readonly handoff: HandoffServer;
  readonly plugin: PluginServer;
  readonly xds: DeltaXdsClient;
  readonly netpol: NetpolEnforcer | undefined;
  private readonly admin: AdminServer;
  private readonly logger: Logger;
  private xdsReady = false;
  private readonly initialRoots: Buffer | undefined;
  private rootsWatch: FileContentWatch | undefined;
  monitoringPort = 0;

  constructor(options: AgentAppOptions) {
    const { settings, logger } = options;
    this.settings = settings;
    this.logger = logger;
    this.registry = options.registry ?? new prom.Registry();
    const metrics = new AgentMetrics(this.registry);
    const netpol = settings.networkPolicy ? new NetpolEnforcer({ logger, metrics, ...(options.netpolLoad === undefined ? {} : { load: options.netpolLoad }) }) : undefined;
    this.netpol = netpol;
    if (netpol !== undefined) metrics.dropsSource = () => netpol.drops();
    this.handoff = new HandoffServer({ path: settings.handoffSocket, logger, ackTimeoutMs: settings.ackTimeoutMs });
    this.agent = new CniAgent({
      nodeName: settings.nodeName,
      logger,
      metrics,
      handoff: this.handoff,
      inpod: options.inpod ?? nftInpodRules,
      addTimeoutMs: settings.addTimeoutMs,
      stateFile: settings.stateFile,
      ...(netpol === undefined ? {} : { netpol }),
      ...(options.backoff === undefined ? {} : { backoffInitialMs: options.backoff.initialMs, backoffMaxMs: options.backoff.maxMs }),
    });
    this.plugin = new PluginServer({ path: settings.pluginSocket, logger, metrics, handle: (request) => this.agent.handle(request) });
    this.initialRoots = settings.rootCa === undefined ? undefined : readFileSync(settings.rootCa);
    const tls = xdsCredentials(this.initialRoots, settings.trustDomain);
    const tokenFile = settings.tokenFile;
    this.xds = new DeltaXdsClient({
      address: settings.xdsAddress,
      credentials: tls.credentials,
      channelOptions: tls.channelOptions,
      node: { id: `cni-agent~${settings.nodeName}~ambit-cni-agent.istio-system~istio-system.svc.cluster.local`, metadata: { NODE_NAME: settings.nodeName } },
      logger,
      registry: this.registry,
      ...(tokenFile === undefined
        ? {}
        : {
            metadata: () => {
              // Read per stream: a rotated token is picked up on the next reconnect.
              const metadata = new grpc.Metadata();
              metadata.set('authorization', `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`);
              return metadata;
            },
          }),
    });
    this.xds.subscribe<ViewPod>({
      typeUrl: POLICY_WORKLOAD_TYPE,
      decode: decodePolicyWorkload,
      onChange: (change) => {
        netpol?.setClusterPods(change.state.values());
        this.agent.setView(change.state.values());
      },
    });
    if (netpol !== undefined) {
      this.xds.subscribe({ typeUrl: NETWORK_POLICY_TYPE, decode: decodeNetworkPolicy, onChange: (change) => netpol.setNetworkPolicies(change.state.values()) });
      this.xds.subscribe({ typeUrl: CALICO_POLICY_TYPE, decode: decodeCalicoPolicy, onChange: (change) => netpol.setCalicoPolicies(change.state.values()) });
      this.xds.subscribe({ typeUrl: CALICO_TIER_TYPE, decode: decodeCalicoTier, onChange: (change) => netpol.setTiers(change.state.values()) });
    }
    this.admin = new AdminServer({
      address: settings.monitoringAddress,
      port: settings.monitoringPort,
      registry: this.registry,
      logger,
      readiness: () => this.readiness(),
      debugPods: () => ({ node: settings.nodeName, pods: this.agent.debugPods() }),
      debugState: () => ({ node: settings.nodeName, xds: this.xds.status(), handoff: { connected: this.handoff.connected, phase: this.agent.handoffPhase } }),
      debugNetpol: () => ({ node: settings.nodeName, enabled: netpol !== undefined, ...(netpol?.debug() ?? {}) }),
      explain: (q) => {
        if (netpol === undefined) throw new Error('NetworkPolicy enforcement is disabled on this node (NETWORK_POLICY=disabled)');
        return netpol.explain(q.from, q.to, q.port, q.protocol);
      },
    });
  }

  readiness(): string[] {
    const problems: string[] = [];
    if (!this.xdsReady) problems.push('xDS not synced (no PolicyWorkload response yet)');
    if (!this.plugin.isListening) problems.push('plugin socket not listening');
    if (!this.handoff.isListening) problems.push('hand-off socket not listening');
    return problems;
  }

  async start(): Promise<void> {
    this.monitoringPort = await this.admin.listen();
    await this.handoff.listen();
    await this.agent.start();
    await this.plugin.listen();
    this.xds.start();
    const rootCa = this.settings.rootCa;
    if (rootCa !== undefined && this.initialRoots !== undefined) {
      // A root rotation rewrites ROOT_CA: the next xDS stream trusts the new roots; the open one stays.
      this.rootsWatch = watchFileContent(rootCa, {
        initial: this.initialRoots.toString('utf8'),
        logger: this.logger,
        onChange: (text) => {
          this.xds.setCredentials(xdsCredentials(Buffer.from(text), this.settings.trustDomain).credentials);
          this.logger.info({ rootCa }, 'ROOT_CA changed: new xDS connections trust its roots');
        },
      });
    }
    this.xds.ready().then(
      () => {
        this.xdsReady = true;
        this.netpol?.markSynced();
        this.logger.info({}, 'xDS synced');
      },
      (error: unknown) => this.logger.debug({ err: errorMessage(error) }, 'xDS ready() ended'),
    );
  }

  async stop(): Promise<void> {
    this.rootsWatch?.close();
    await this.plugin.close();
    await this.agent.stop();
    this.netpol?.stop();
    await this.handoff.close();
    await this.xds.close();
    await this.admin.close();
  }
}
