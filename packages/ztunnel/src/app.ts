// The ztunnel of one node: follows the control plane over Delta xDS (workloads, services,
// policies), gets certificates for the identities of its pods from the CA, takes enrolled pods
// from the CNI agent's hand-off and runs their proxies, and serves admin (15000, loopback),
// metrics (15020) and readiness (15021).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { accessLogOn, errorMessage, serveHttp, watchFileContent, type FileContentWatch, type LineWriter, type Logger } from '@ambit/core';
import { decodeMessage, TYPE_URL } from '@ambit/xds-types';
import { decodeCalicoPolicy, decodeCalicoTier, decodeNetworkPolicy, decodePolicyWorkload } from '@ambit/nft';
import { DeltaXdsClient } from '@ambit/xds-client';
import { PolicyStore, applicablePolicies, evaluate, policyFromResource, type Policy } from '@ambit/authz';
import { HbonePool } from '@ambit/hbone';
import { istioIdentity } from '@ambit/spiffe';
import { addressFromProto, type AddressEntry } from './state/convert.ts';
import { ProxyState } from './state/store.ts';
import { CaConnection, CertificateManager, MeshTrust, parseTrustBundle } from '@ambit/identity';
import { HandoffClient, type HandoffPod } from './handoff/index.ts';
import { TcpMetrics } from './proxy/metrics.ts';
import { LiveConnections } from './proxy/live-connections.ts';
import { PodProxy } from './proxy/pod-proxy.ts';
import { NetworkPolicyGuard } from './proxy/network-policy.ts';
import type { ProxyContext } from './proxy/context.ts';
import type { ZtunnelSettings } from './settings.ts';

export const ADDRESS_TYPE = 'type.googleapis.com/istio.workload.Address';
export const AUTHORIZATION_TYPE = 'type.googleapis.com/istio.security.Authorization';

export class Ztunnel {
  readonly registry = new Registry();
  private readonly state = new ProxyState();
  private readonly policies = new PolicyStore();
  private readonly networkPolicy: NetworkPolicyGuard;
  private readonly live = new LiveConnections();
  private readonly pods = new Map<string, PodProxy>();
  private readonly certificates: CertificateManager;
  private readonly ca: CaConnection;
  private readonly trust: MeshTrust;
  private trustWatch: FileContentWatch | undefined;
  private readonly initialRoots: string;
  private readonly pool: HbonePool;
  private readonly xds: DeltaXdsClient;
  private readonly handoff: HandoffClient;
  private readonly ctx: ProxyContext;
  private readonly servers: Server[] = [];
  private xdsReady = false;
  private readonly settings: ZtunnelSettings;
  private readonly logger: Logger;
  /** One line per connection on stderr, batched per event-loop turn (pino's per-line cost showed in the connection-rate profile). */
  private readonly accessLog: LineWriter;

  constructor(settings: ZtunnelSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    collectDefaultMetrics({ register: this.registry });
    const roots = readFileSync(settings.rootCa, 'utf8');
    this.initialRoots = roots;
    this.trust = new MeshTrust(parseTrustBundle(roots, logger));
    this.ca = new CaConnection(roots, { address: settings.caAddress, trustDomain: settings.trustDomain, token: () => this.token(), nodeIdentity: istioIdentity(settings.trustDomain, 'istio-system', 'ztunnel') });
    const channel = this.ca.channel;
    // Requests go to whichever CA client is current (it is replaced when the trust bundle changes).
    this.certificates = new CertificateManager({ client: this.ca, logger: logger.child({ scope: 'certificates' }), registry: this.registry });
    this.pool = new HbonePool({ logger: logger.child({ scope: 'pool' }) });
    this.networkPolicy = new NetworkPolicyGuard(logger.child({ scope: 'netpol' }));
    const access = accessLogOn(2, settings.logFormat, { component: 'ztunnel', node: settings.nodeName, target: 'access' });
    this.accessLog = access.writer;
    this.ctx = {
      state: this.state,
      policies: this.policies,
      networkPolicy: this.networkPolicy,
      certificates: this.certificates,
      trust: this.trust,
      pool: this.pool,
      metrics: new TcpMetrics(this.registry),
      live: this.live,
      rootNamespace: settings.rootNamespace,
      trustDomain: settings.trustDomain,
      logger: logger.child({ scope: 'proxy' }),
      accessLog: access.logger,
    };
    this.xds = new DeltaXdsClient({
      address: settings.xdsAddress,
      credentials: channel.credentials,
      channelOptions: channel.channelOptions,
      metadata: () => {
        const m = new grpc.Metadata();
        m.set('authorization', `Bearer ${this.token()}`);
        return m;
      },
      node: { id: `ztunnel~${settings.nodeName}~ztunnel-${settings.nodeName}.istio-system~istio-system.svc.cluster.local`, cluster: settings.clusterId, metadata: { NODE_NAME: settings.nodeName, NAMESPACE: 'istio-system' } },
      logger: logger.child({ scope: 'xds' }),
      registry: this.registry,
    });
    this.xds.subscribe<AddressEntry>({
      typeUrl: ADDRESS_TYPE,
      decode: (_name, body) => addressFromProto(decodeMessage('istio.workload.Address', body)),
      onChange: ({ upserted, removed }) => {
        this.state.apply(upserted, removed);
        // A workload's policy list may have changed: open connections are judged again.
        this.recheckConnections();
      },
    });
    this.xds.subscribe<Policy>({
      typeUrl: AUTHORIZATION_TYPE,
      decode: (name, body) => {
        const result = policyFromResource(name, decodeMessage('istio.security.Authorization', body));
        if (!result.ok) throw new Error(result.error);
        return result.policy;
      },
      onChange: ({ upserted, removed }) => {
        for (const key of removed) this.policies.remove(key);
        for (const policy of upserted.values()) this.policies.upsert(policy);
        this.recheckConnections();
      },
    });
    // The cluster's policy view, for NetworkPolicy on HBONE's inner port (network-policy.ts).
    this.xds.subscribe({ typeUrl: TYPE_URL.policyWorkload, decode: decodePolicyWorkload, onChange: (change) => this.networkPolicy.setPods(change.state.values()) });
    this.xds.subscribe({ typeUrl: TYPE_URL.networkPolicy, decode: decodeNetworkPolicy, onChange: (change) => this.networkPolicy.setNetworkPolicies(change.state.values()) });
    this.xds.subscribe({ typeUrl: TYPE_URL.calicoPolicy, decode: decodeCalicoPolicy, onChange: (change) => this.networkPolicy.setCalicoPolicies(change.state.values()) });
    this.xds.subscribe({ typeUrl: TYPE_URL.calicoTier, decode: decodeCalicoTier, onChange: (change) => this.networkPolicy.setTiers(change.state.values()) });
    this.handoff = new HandoffClient({
      path: settings.handoffSocket,
      logger: logger.child({ scope: 'handoff' }),
      onAdd: (pod) => this.addPod(pod),
      onDel: (uid) => this.removePod(uid),
      onSnapshot: async (uids) => {
        for (const uid of [...this.pods.keys()]) if (!uids.has(uid)) await this.removePod(uid);
      },
    });
  }

  private token(): string {
    return readFileSync(this.settings.tokenFile, 'utf8').trim();
  }

  /**
   * ROOT_CA changed (a root rotation step, docs/adr/0004): HBONE servers and new pooled sessions
   * verify peers against the new roots too, new CA and xDS connections trust them, and every
   * certificate is renewed now (after `switch` the CA signs with the new root). Open connections
   * and the open xDS stream stay as they are.
   */
  private applyTrustBundle(text: string): void {
    const bundle = parseTrustBundle(text, this.logger);
    if (bundle === undefined) return;
    const before = this.trust.fingerprints();
    this.trust.setBundle(bundle);
    for (const proxy of this.pods.values()) proxy.refreshCredentials();
    this.xds.setCredentials(this.ca.setRoots(text).credentials);
    const renewing = this.certificates.refreshAll();
    this.logger.info({ before, roots: this.trust.fingerprints(), renewing }, 'trust bundle changed: new roots for new connections, certificates renewing');
  }

  /** A policy change applies to open connections too: those now denied are closed. */
  private recheckConnections(): void {
    const closed = this.live.recheck((c) => evaluate(applicablePolicies(this.policies, c.workload(), this.settings.rootNamespace), c.attributes));
    if (closed > 0) this.logger.info({ closed }, 'closed connections denied by a policy change');
  }

  private async addPod(pod: HandoffPod): Promise<void> {
    const existing = this.pods.get(pod.uid);
    if (existing?.listening) return;
    const sa = pod.serviceAccount || pod.addresses.map((ip) => this.state.workloadByAddress('', ip)?.serviceAccount).find(Boolean) || 'default';
    const proxy = new PodProxy(this.ctx, {
      uid: pod.uid,
      name: pod.name,
      namespace: pod.namespace,
      serviceAccount: sa,
      netnsPath: pod.netnsPath,
      addresses: pod.addresses,
      identity: istioIdentity(this.settings.trustDomain, pod.namespace, sa),
    });
    await proxy.start();
    this.pods.set(pod.uid, proxy);
    this.logger.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, addresses: pod.addresses }, 'pod enrolled: listeners open in its network namespace');
  }

  private async removePod(uid: string): Promise<void> {
    const proxy = this.pods.get(uid);
    if (!proxy) return;
    this.pods.delete(uid);
    await proxy.stop();
    this.logger.info({ pod: `${proxy.pod.namespace}/${proxy.pod.name}`, uid }, 'pod removed');
  }

  /** Ready after the first xDS response of every type and with a live hand-off connection. */
  ready(): boolean {
    return this.xdsReady && this.handoff.connected;
  }

  async start(): Promise<void> {
    this.xds.start();
    void this.xds.ready().then(
      () => {
        this.xdsReady = true;
        this.logger.info({ workloads: [...this.state.allWorkloads()].length }, 'xDS synced');
      },
      (error: unknown) => this.logger.error({ err: errorMessage(error) }, 'xDS did not sync'),
    );
    this.handoff.start();
    const s = this.settings;
    this.trustWatch = watchFileContent(s.rootCa, { initial: this.initialRoots, logger: this.logger.child({ scope: 'trust-bundle' }), onChange: (text) => this.applyTrustBundle(text) });
    this.servers.push(await serveHttp(s.listenHost, s.metricsPort, async (_method, path) => (path === '/metrics' || path === '/stats/prometheus' ? { status: 200, type: this.registry.contentType, body: await this.registry.metrics() } : undefined)));
    this.servers.push(await serveHttp(s.listenHost, s.readinessPort, async (_method, path) => (path === '/healthz/ready' ? (this.ready() ? { status: 200, type: 'text/plain', body: 'ready\n' } : { status: 503, type: 'text/plain', body: 'not ready\n' }) : undefined)));
    // Admin is loopback only, as in Istio.
    this.servers.push(
      await serveHttp('127.0.0.1', s.adminPort, async (_method, path) => {
        if (path === '/config_dump') return { status: 200, type: 'application/json', body: JSON.stringify(this.configDump(), null, 2) };
        if (path === '/quitquitquit') {
          setImmediate(() => void this.stop().then(() => process.exit(0)));
          return { status: 200, type: 'text/plain', body: 'OK\n' };
        }
        return undefined;
      }),
    );
  }

  /** What `ambit ztunnel-config` shows: workloads, services, policies, certificates, pods. */
  configDump(): Record<string, unknown> {
    return {
      node: this.settings.nodeName,
      ready: this.ready(),
      xds: this.xds.status(),
      workloads: [...this.state.allWorkloads()].map((w) => ({ ...w, services: Object.fromEntries([...w.services].map(([k, v]) => [k, Object.fromEntries(v)])) })),
      services: [...this.state.allServices()],
      policies: this.policies.all().map((p) => ({ key: p.key, scope: p.scope, action: p.action, dryRun: p.dryRun, rules: p.rules.length })),
      certificates: this.certificates.status(),
      trustBundle: { file: this.settings.rootCa, roots: this.trust.fingerprints() },
      pods: [...this.pods.values()].map((p) => ({ ...p.pod, listening: p.listening })),
      connections: { inboundLive: this.live.size, pool: this.pool.stats() },
    };
  }

  async stop(): Promise<void> {
    for (const server of this.servers) server.close();
    this.trustWatch?.close();
    await Promise.all([...this.pods.keys()].map((uid) => this.removePod(uid)));
    await this.handoff.close();
    await this.xds.close();
    await this.pool.close();
    this.certificates.close();
    this.ca.close();
    this.accessLog.flush();
  }
}
