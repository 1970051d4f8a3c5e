// The supervisor's model of the lab cluster: what users applied (desired state) and what runs
// (pods, services). `apply` validates everything first and changes nothing on any problem; then
// `reconcile` makes the running lab match, the way Kubernetes controllers, kubelet and kube-proxy
// together would.
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { chmodSync } from 'node:fs';
import {
  parseResources,
  resourceKey,
  applyOrder,
  selectorMatches,
  resolveContainerPort,
  isAmbientEnrolled,
  DEFAULT_TRUST_DOMAIN,
  type Gateway,
  type Resource,
  type Pod,
  type Service,
  type Deployment,
  type Namespace,
  type SourceFile,
} from '@ambit/api';
import { CniRuntime } from '@ambit/cni';
import { AmbitError, formatProblem, hasErrors, waitFor, type Logger, type Problem } from '@ambit/core';
import { PodRuntime, declaredPorts } from './pod-runtime.ts';
import { ServiceIpAllocator, DNS_SERVICE_IP } from './addresses.ts';
import { renderServicesTable, type ServicePortRule } from './services-nft.ts';
import { renderHostsFile, dnsmasqCommand } from './dns.ts';
import { nftApply } from './exec.ts';
import { buildConflist, CNI_BIN_DIRS } from './cni-config.ts';
import { ConfigWriter } from './config-writer.ts';
import { CONTROL_PLANE_IP } from './addresses.ts';
import { rootCertPath } from './node-components.ts';
import { componentMains } from './bundle.ts';
import {
  WAYPOINT_PORTS,
  isWaypointGateway,
  ownerReferences,
  unclaimedGatewayStatus,
  waypointGatewayStatus,
  waypointObjects,
  type GatewayStatus,
  type WaypointSettings,
} from './waypoint-deployments.ts';
import type { LabNames } from './names.ts';
import type { LabNode } from './topology.ts';
import type { GatewayStatusEntry, LabStatus, NamespaceStatusEntry, PodStatusEntry } from './status.ts';

export const DNS_POD = { namespace: 'kube-system', name: 'dns' };
export const SYSTEM_NAMESPACES = ['default', 'kube-system'];
const POD_READY_TIMEOUT_MS = 120_000;
const CREATE_CONCURRENCY = 8;

export interface ScheduledPod {
  namespace: string;
  name: string;
  node: string;
  enrolled: boolean;
}

export interface ApplyOutcome {
  problems: string[];
  changed: string[];
}

interface ServiceRecord {
  resource: Service;
  clusterIP: string;
}

export class LabCluster {
  private readonly desired = new Map<string, Resource>();
  /** Objects the lab's controllers make from desired ones (a waypoint Gateway's Deployment, ...), by key, with their owner. */
  private derived = new Map<string, { resource: Resource; owner: Gateway }>();
  private readonly pods = new Map<string, PodRuntime>();
  private readonly services = new Map<string, ServiceRecord>();
  private readonly serviceIps = new ServiceIpAllocator();
  private readonly cni = new Map<string, CniRuntime>();
  private readonly config: ConfigWriter;
  private readonly hostsFile: string;
  private queue: Promise<unknown> = Promise.resolve();
  private beforeSandboxes: ((pods: ScheduledPod[]) => Promise<void>) | undefined;
  private dataPlaneTimer: NodeJS.Timeout | undefined;
  private dataPlaneRun: Promise<void> | undefined;
  private dataPlaneDirty = false;
  private readonly names: LabNames;
  readonly nodes: readonly LabNode[];
  private readonly logger: Logger;

  constructor(names: LabNames, nodes: readonly LabNode[], logger: Logger) {
    this.names = names;
    this.nodes = nodes;
    this.logger = logger;
    this.config = new ConfigWriter(names.configDir);
    this.hostsFile = join(names.stateDir, 'dns', 'hosts');
    for (const node of nodes) {
      this.cni.set(
        node.name,
        new CniRuntime({
          conflist: buildConflist(names, node),
          binDirs: CNI_BIN_DIRS,
          cacheDir: join(names.stateDir, 'cni', node.name, 'cache'),
          hostNetns: node.netns,
          logger: logger.child({ node: node.name }),
        }),
      );
    }
  }

  /**
   * Called with newly scheduled pods after they are recorded (Pending, with their node) and before
   * kubelet's part starts (CNI ADD): the supervisor waits there until the control plane and the
   * node's CNI agent know them, so an enrolled pod is captured before its app runs.
   */
  setBeforeSandboxes(fn: (pods: ScheduledPod[]) => Promise<void>): void {
    this.beforeSandboxes = fn;
  }

  /** Serialises changes: one apply, delete or bootstrap at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** System namespaces, and the cluster DNS pod and its Service (DESIGN.md: 10.96.0.10). */
  async bootstrap(): Promise<void> {
    await mkdir(join(this.names.stateDir, 'dns'), { recursive: true });
    chmodSync(join(this.names.stateDir, 'dns'), 0o755);
    await writeFile(this.hostsFile, renderHostsFile([]), { mode: 0o644 });
    const text = systemManifest(dnsmasqCommand(this.hostsFile));
    const outcome = await this.apply([{ path: '<lab system resources>', text }], 'apply');
    if (outcome.problems.length > 0) {
      throw new AmbitError('AMBIT_LAB_BOOTSTRAP_FAILED', `system resources were refused: ${outcome.problems.join('; ')}`);
    }
  }

  apply(files: SourceFile[], mode: 'apply' | 'delete'): Promise<ApplyOutcome> {
    return this.exclusive(async () => {
      const parsed = parseResources(files);
      const problems = [...parsed.problems, ...(hasErrors(parsed.problems) ? [] : this.checkAgainstLab(parsed.resources, mode))];
      if (hasErrors(problems)) return { problems: problems.filter((p) => p.severity === 'error').map(formatProblem), changed: [] };
      const changed: string[] = [];
      for (const resource of applyOrder(parsed.resources)) {
        const key = resourceKey(resource);
        if (mode === 'delete') {
          if (this.desired.delete(key)) changed.push(`${key} deleted`);
          if (resource.kind === 'Namespace') {
            for (const [other, r] of this.desired) if (r.metadata.namespace === resource.metadata.name) this.desired.delete(other);
          }
        } else {
          const before = this.desired.get(key);
          this.desired.set(key, withDefaults(resource, before?.metadata.creationTimestamp ?? creationTime()));
          changed.push(`${key} ${before ? 'configured' : 'created'}`);
        }
      }
      await this.reconcile();
      return { problems: [], changed };
    });
  }

  /** Checks that need the lab's state: namespaces exist, nodes exist, ClusterIPs are usable. */
  private checkAgainstLab(resources: readonly Resource[], mode: 'apply' | 'delete'): Problem[] {
    if (mode === 'delete') return [];
    const problems: Problem[] = [];
    const namespaces = new Set([...SYSTEM_NAMESPACES]);
    for (const r of this.desired.values()) if (r.kind === 'Namespace') namespaces.add(r.metadata.name);
    for (const r of resources) if (r.kind === 'Namespace') namespaces.add(r.metadata.name);
    const problem = (r: Resource, path: string, message: string, code: string): Problem => ({
      ...r.source,
      path,
      message,
      code,
      severity: 'error',
    });
    for (const r of resources) {
      const ns = r.metadata.namespace;
      if (r.kind !== 'Namespace' && ns !== undefined && !namespaces.has(ns)) {
        problems.push(problem(r, 'metadata.namespace', `namespace "${ns}" not found; create it first or in the same apply`, 'AMBIT_LAB_NAMESPACE_NOT_FOUND'));
      }
      const nodeName = r.kind === 'Pod' ? r.spec.nodeName : r.kind === 'Deployment' ? r.spec.template.spec.nodeName : undefined;
      if (nodeName !== undefined && !this.nodes.some((n) => n.name === nodeName)) {
        const where = r.kind === 'Pod' ? 'spec.nodeName' : 'spec.template.spec.nodeName';
        problems.push(problem(r, where, `node "${nodeName}" does not exist in this lab (nodes: ${this.nodes.map((n) => n.name).join(', ')})`, 'AMBIT_LAB_NODE_NOT_FOUND'));
      }
      if (r.kind === 'Service' && r.spec.clusterIP && r.spec.clusterIP !== 'None') {
        const existing = this.services.get(`${ns ?? 'default'}/${r.metadata.name}`);
        if (existing && existing.clusterIP !== r.spec.clusterIP) {
          problems.push(problem(r, 'spec.clusterIP', `clusterIP is immutable: ${existing.clusterIP} cannot change to ${r.spec.clusterIP}`, 'AMBIT_LAB_CLUSTERIP_IMMUTABLE'));
        }
      }
    }
    return problems;
  }

  /** Desired pods: explicit Pods plus the replicas of each Deployment (`<deployment>-<n>`). */
  private desiredPods(): Map<string, { resource: Pod; owner: string | undefined }> {
    const want = new Map<string, { resource: Pod; owner: string | undefined }>();
    for (const r of this.resources().values()) {
      if (r.kind === 'Pod') want.set(`${r.metadata.namespace}/${r.metadata.name}`, { resource: r, owner: undefined });
      if (r.kind === 'Deployment') for (const pod of deploymentPods(r)) want.set(`${pod.metadata.namespace}/${pod.metadata.name}`, { resource: pod, owner: resourceKey(r) });
    }
    return want;
  }

  /**
   * What users applied plus what the lab's controllers derive from it. A derived object wins over
   * a user's object of the same key, as the controller would overwrite it.
   */
  private resources(): Map<string, Resource> {
    const all = new Map(this.desired);
    for (const [key, d] of this.derived) all.set(key, d.resource);
    return all;
  }

  /** istiod's gateway deployment controller: a ServiceAccount, Service and Deployment per waypoint Gateway. */
  private syncDerived(): void {
    const settings: WaypointSettings = {
      // The waypoint app is started as a process from its bundle (bundle.ts), never imported.
      main: componentMains(this.names).waypoint,
      nodeExecutable: process.execPath,
      xdsAddress: `${CONTROL_PLANE_IP}:15012`,
      rootCa: rootCertPath(this.names),
      // The control plane gets the supervisor's environment, so both read the same setting.
      trustDomain: process.env['TRUST_DOMAIN'] || DEFAULT_TRUST_DOMAIN,
    };
    const derived = new Map<string, { resource: Resource; owner: Gateway }>();
    for (const r of this.desired.values()) {
      if (!isWaypointGateway(r)) continue;
      const objects = waypointObjects(r, settings);
      for (const resource of [objects.serviceAccount, objects.service, objects.deployment]) derived.set(resourceKey(resource), { resource, owner: r });
    }
    this.derived = derived;
  }

  private async reconcile(): Promise<void> {
    this.syncDerived();
    const want = this.desiredPods();
    const removals: PodRuntime[] = [];
    for (const [key, pod] of this.pods) {
      const target = want.get(key);
      if (!target || specFingerprint(target.resource) !== specFingerprint(pod.resource)) removals.push(pod);
      else pod.updateMetadata(target.resource);
    }
    await Promise.all(
      removals.map(async (pod) => {
        this.pods.delete(pod.key);
        await pod.stop();
      }),
    );
    this.syncServices();
    const creations: PodRuntime[] = [];
    for (const [key, target] of want) {
      if (this.pods.has(key)) continue;
      const node = this.schedule(target.resource);
      const waypoint = target.owner !== undefined && this.derived.has(target.owner);
      const pod = new PodRuntime({
        resource: target.resource,
        owner: target.owner,
        node,
        netns: this.names.podNetns(target.resource.metadata.namespace ?? 'default', target.resource.metadata.name),
        cni: this.cniFor(node),
        logDir: this.names.logDir,
        logger: this.logger.child({ pod: key }),
        onChange: () => this.scheduleDataPlaneUpdate(),
        ...(waypoint
          ? {
              // The lab's stand-in for a projected token: the credential of the node the pod runs on (ADR 0007).
              env: { TOKEN_FILE: join(this.names.credentialsDir, `${node.name}.token`) },
              // istiod's waypoint Deployment has this readinessProbe.
              readinessProbe: { port: WAYPOINT_PORTS.status, path: '/healthz/ready' },
            }
          : {}),
      });
      this.pods.set(key, pod);
      creations.push(pod);
    }
    if (creations.length > 0) {
      // The API server holds scheduled pods before kubelet wires them.
      await this.writeConfig();
      await this.beforeSandboxes?.(
        creations.map((p) => ({ namespace: p.namespace, name: p.name, node: p.node.name, enrolled: isEnrolled(p.resource, this.namespaceResource(p.namespace)) })),
      );
    }
    await forEachLimited(creations, CREATE_CONCURRENCY, async (pod) => {
      try {
        await pod.start();
      } catch (error) {
        this.logger.error({ pod: pod.key, err: String(error) }, 'pod sandbox could not be created');
        throw error;
      }
    });
    // A waypoint's readiness is reported as its Gateway's Programmed condition, which callers
    // wait for when they want to (`waypoint apply --wait`), as with istiod's controller.
    await this.waitReady([...this.pods.values()].filter((p) => p.owner === undefined || !this.derived.has(p.owner)));
    await this.updateDataPlane();
  }

  private cniFor(node: LabNode): CniRuntime {
    const runtime = this.cni.get(node.name);
    if (!runtime) throw new AmbitError('AMBIT_LAB_NODE_NOT_FOUND', `no CNI runtime for node ${node.name}`);
    return runtime;
  }

  /** spec.nodeName pins a pod; otherwise the node with the fewest pods (lowest index on ties). */
  private schedule(pod: Pod): LabNode {
    const pinned = pod.spec.nodeName;
    if (pinned) return this.nodes.find((n) => n.name === pinned) ?? this.fail(`node ${pinned} not found`);
    const load = new Map(this.nodes.map((n) => [n.name, 0]));
    for (const p of this.pods.values()) load.set(p.node.name, (load.get(p.node.name) ?? 0) + 1);
    let best = this.nodes[0] ?? this.fail('the lab has no nodes');
    for (const node of this.nodes) if ((load.get(node.name) ?? 0) < (load.get(best.name) ?? 0)) best = node;
    return best;
  }

  private fail(message: string): never {
    throw new AmbitError('AMBIT_LAB_SCHEDULE_FAILED', message);
  }

  private async waitReady(pods: readonly PodRuntime[]): Promise<void> {
    try {
      await waitFor(() => pods.every((p) => p.ready), { timeoutMs: POD_READY_TIMEOUT_MS, intervalMs: 10, maxIntervalMs: 100, what: 'pods to become ready' });
    } catch {
      const waiting = pods.filter((p) => !p.ready).map((p) => p.key);
      throw new AmbitError('AMBIT_LAB_PODS_NOT_READY', `pods not ready after ${POD_READY_TIMEOUT_MS / 1000}s: ${waiting.join(', ')}`, {
        hint: `see the pod logs in ${this.names.logDir}/pods/`,
      });
    }
  }

  /** Keeps Service records (and their ClusterIPs) in step with the desired Services. */
  private syncServices(): void {
    const wanted = new Set<string>();
    for (const r of this.resources().values()) {
      if (r.kind !== 'Service') continue;
      const key = `${r.metadata.namespace}/${r.metadata.name}`;
      wanted.add(key);
      const existing = this.services.get(key);
      const requested = r.spec.clusterIP && r.spec.clusterIP !== 'None' ? r.spec.clusterIP : undefined;
      const clusterIP = existing?.clusterIP ?? this.serviceIps.allocate(key, requested);
      this.services.set(key, { resource: r, clusterIP });
    }
    for (const key of [...this.services.keys()]) {
      if (!wanted.has(key)) {
        this.services.delete(key);
        this.serviceIps.release(key);
      }
    }
  }

  private scheduleDataPlaneUpdate(): void {
    if (this.dataPlaneTimer) return;
    this.dataPlaneTimer = setTimeout(() => {
      this.dataPlaneTimer = undefined;
      this.updateDataPlane().catch((error: unknown) => this.logger.error({ err: String(error) }, 'data plane update failed'));
    }, 20);
  }

  /** Endpoints of a Service: ready pods of its namespace matching its selector, port resolved per pod. */
  private endpointsOf(record: ServiceRecord): Array<{ pod: PodRuntime; ports: Map<number, number> }> {
    const svc = record.resource;
    const selector = svc.spec.selector;
    if (!selector || Object.keys(selector).length === 0) return [];
    const result: Array<{ pod: PodRuntime; ports: Map<number, number> }> = [];
    for (const pod of this.pods.values()) {
      if (pod.namespace !== svc.metadata.namespace || !pod.ready || !pod.ip) continue;
      if (!selectorMatches({ matchLabels: selector }, pod.resource.metadata.labels)) continue;
      const ports = new Map<number, number>();
      for (const port of svc.spec.ports ?? []) {
        const target = resolveContainerPort(pod.resource, port.targetPort ?? port.port, port.protocol ?? 'TCP');
        if (target !== undefined) ports.set(port.port, target);
      }
      result.push({ pod, ports });
    }
    return result.sort((a, b) => a.pod.key.localeCompare(b.pod.key));
  }

  /**
   * Brings nftables, DNS and the config source up to date. Runs one pass at a time; a request that
   * arrives during a pass makes one more pass follow, so callers always see their change applied.
   */
  private updateDataPlane(): Promise<void> {
    this.dataPlaneDirty = true;
    this.dataPlaneRun ??= (async () => {
      try {
        while (this.dataPlaneDirty) {
          this.dataPlaneDirty = false;
          await this.renderDataPlane();
        }
      } finally {
        this.dataPlaneRun = undefined;
      }
    })();
    return this.dataPlaneRun;
  }

  /** kube-proxy, CoreDNS and the API server's status writers, in one pass. */
  private async renderDataPlane(): Promise<void> {
    const rules: ServicePortRule[] = [];
    const dns: Array<{ namespace: string; name: string; addresses: string[] }> = [];
    for (const [key, record] of this.services) {
      const endpoints = this.endpointsOf(record);
      const svc = record.resource;
      for (const port of svc.spec.ports ?? []) {
        const protocol = (port.protocol ?? 'TCP') as ServicePortRule['protocol'];
        rules.push({
          id: `${key}:${port.port}/${protocol}`,
          clusterIP: record.clusterIP,
          port: port.port,
          protocol,
          endpoints: endpoints.flatMap((e) => {
            const target = e.ports.get(port.port);
            return target !== undefined && e.pod.ip ? [{ ip: e.pod.ip, port: target }] : [];
          }),
        });
      }
      dns.push({ namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, addresses: [record.clusterIP] });
    }
    const table = renderServicesTable(rules);
    await Promise.all(this.nodes.map((node) => nftApply(node.netns, table)));
    await writeFile(this.hostsFile, renderHostsFile(dns), { mode: 0o644 });
    const dnsPod = this.pods.get(`${DNS_POD.namespace}/${DNS_POD.name}`);
    for (const pid of dnsPod?.pids ?? []) {
      try {
        process.kill(pid, 'SIGHUP');
      } catch {
        // restarting; it reads the file when it starts
      }
    }
    await this.writeConfig();
  }

  /** Writes what users applied plus runtime state back as Kubernetes objects with status. */
  private async writeConfig(): Promise<void> {
    const documents: Array<{ name: string; object: Record<string, unknown> }> = [];
    for (const [key, r] of this.resources()) {
      if (r.kind === 'Pod' || r.kind === 'Service') continue;
      const object = this.withOwner(key, this.config.toObject(r));
      if (r.kind === 'Gateway') object['status'] = this.gatewayStatus(r);
      documents.push({ name: key, object });
    }
    for (const pod of this.pods.values()) documents.push({ name: `Pod/${pod.key}`, object: this.config.podObject(pod) });
    for (const [key, record] of this.services) {
      documents.push({ name: `Service/${key}`, object: this.withOwner(`Service/${key}`, this.config.serviceObject(record.resource, record.clusterIP)) });
      documents.push({ name: `EndpointSlice/${key}`, object: this.config.endpointSliceObject(record.resource, this.endpointsOf(record)) });
    }
    await this.config.write(documents);
  }

  /** Derived objects carry ownerReferences to their Gateway, as the controller sets them. */
  private withOwner(key: string, object: Record<string, unknown>): Record<string, unknown> {
    const owner = this.derived.get(key)?.owner;
    if (!owner) return object;
    return { ...object, metadata: { ...(object['metadata'] as Record<string, unknown>), ownerReferences: ownerReferences(owner) } };
  }

  /** The pods of a waypoint Gateway's Deployment. */
  private gatewayPods(gw: Gateway): PodRuntime[] {
    const deployment = `Deployment/${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`;
    return [...this.pods.values()].filter((p) => p.owner === deployment && this.derived.has(deployment));
  }

  private gatewayStatus(gw: Gateway): GatewayStatus {
    if (!isWaypointGateway(gw)) return unclaimedGatewayStatus();
    const service = this.services.get(`${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`);
    return waypointGatewayStatus(gw, { clusterIP: service?.clusterIP, ready: this.gatewayPods(gw).some((p) => p.ready) });
  }

  status(): Omit<LabStatus, 'components' | 'name'> & {
    dns: { pid: number | null; ready: boolean; node: string | null };
    waypoints: Array<{ namespace: string; name: string; node: string; pid: number | null; ready: boolean }>;
  } {
    const pods: PodStatusEntry[] = [...this.pods.values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((p) => ({
        namespace: p.namespace,
        name: p.name,
        node: p.node.name,
        ip: p.ip ?? null,
        ready: p.ready,
        enrolled: isEnrolled(p.resource, this.namespaceResource(p.namespace)),
        netns: p.netns,
        owner: p.owner ?? null,
        labels: { ...p.resource.metadata.labels },
        ports: p.ports.map((port) => ({ name: port.name ?? null, port: port.port, protocol: port.protocol })),
      }));
    const services = [...this.services.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, record]) => ({
        namespace: record.resource.metadata.namespace ?? 'default',
        name: record.resource.metadata.name,
        clusterIP: record.clusterIP,
        ports: (record.resource.spec.ports ?? []).map((p) => ({ name: p.name ?? null, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
        endpoints: this.endpointsOf(record).map((e) => e.pod.ip ?? ''),
      }));
    const gateways: GatewayStatusEntry[] = [];
    const waypoints: Array<{ namespace: string; name: string; node: string; pid: number | null; ready: boolean }> = [];
    for (const r of [...this.desired.values()].sort((a, b) => resourceKey(a).localeCompare(resourceKey(b)))) {
      if (r.kind !== 'Gateway') continue;
      const status = this.gatewayStatus(r);
      gateways.push({
        namespace: r.metadata.namespace ?? 'default',
        name: r.metadata.name,
        class: r.spec.gatewayClassName,
        trafficType: r.metadata.labels['istio.io/waypoint-for'] ?? 'service',
        revision: r.metadata.labels['istio.io/rev'] ?? 'default',
        programmed: status.conditions.some((c) => c.type === 'Programmed' && c.status === 'True'),
        conditions: status.conditions,
        addresses: status.addresses,
      });
      if (isWaypointGateway(r)) {
        for (const p of this.gatewayPods(r)) waypoints.push({ namespace: p.namespace, name: p.name, node: p.node.name, pid: p.pids[0] ?? null, ready: p.ready });
      }
    }
    const namespaces: NamespaceStatusEntry[] = [...this.desired.values()]
      .flatMap((r) => (r.kind === 'Namespace' ? [{ name: r.metadata.name, labels: { ...r.metadata.labels }, annotations: { ...r.metadata.annotations } }] : []))
      .sort((a, b) => a.name.localeCompare(b.name));
    const dnsPod = this.pods.get(`${DNS_POD.namespace}/${DNS_POD.name}`);
    return {
      nodes: this.nodes.map((n) => ({ name: n.name, ip: n.ip, podCIDR: n.podCIDR })),
      namespaces,
      pods,
      services,
      gateways,
      waypoints,
      dns: { pid: dnsPod?.pids[0] ?? null, ready: dnsPod?.ready ?? false, node: dnsPod?.node.name ?? null },
    };
  }

  private namespaceResource(name: string): Namespace | undefined {
    const r = this.desired.get(`Namespace/${name}`);
    return r?.kind === 'Namespace' ? r : undefined;
  }

  /** Stops every pod with CNI DEL, DNS last so names resolve while others stop. */
  async shutdown(): Promise<void> {
    await this.exclusive(async () => {
      if (this.dataPlaneTimer) clearTimeout(this.dataPlaneTimer);
      const pods = [...this.pods.values()];
      this.pods.clear();
      await forEachLimited(pods, CREATE_CONCURRENCY, (pod) => pod.stop());
    });
  }
}

function isEnrolled(pod: Pod, namespace: Namespace | undefined): boolean {
  return isAmbientEnrolled(pod.metadata.labels, namespace?.metadata.labels);
}

/**
 * What the API server fills in: the default namespace, the immutable name label on Namespaces, and
 * creationTimestamp (kept from the first create across updates; Gateway API and PeerAuthentication
 * break ties by it).
 */
function withDefaults<R extends Resource>(resource: R, createdAt: string): R {
  const metadata = { ...resource.metadata, creationTimestamp: createdAt };
  if (resource.kind === 'Namespace') metadata.labels = { ...resource.metadata.labels, 'kubernetes.io/metadata.name': resource.metadata.name };
  else metadata.namespace ??= 'default';
  return { ...resource, metadata };
}

/** Now, as the API server writes metav1.Time: RFC 3339 UTC with whole seconds. */
function creationTime(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}

function deploymentPods(deployment: Deployment): Pod[] {
  const replicas = deployment.spec.replicas ?? 1;
  const template = deployment.spec.template;
  return Array.from({ length: replicas }, (_, n) => ({
    apiVersion: 'v1',
    kind: 'Pod' as const,
    metadata: {
      name: `${deployment.metadata.name}-${n}`,
      namespace: deployment.metadata.namespace ?? 'default',
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}) },
    },
    spec: template.spec,
    source: deployment.source,
  }));
}

/** Pod fields whose change needs a new sandbox (the API server would refuse most of them). */
function specFingerprint(pod: Pod): string {
  return JSON.stringify({ containers: pod.spec.containers, nodeName: pod.spec.nodeName ?? null, sa: pod.spec.serviceAccountName ?? null });
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

function systemManifest(dnsCommand: string[]): string {
  const command = dnsCommand.map((a) => JSON.stringify(a)).join(', ');
  return `apiVersion: v1
kind: Namespace
metadata: { name: kube-system }
---
apiVersion: v1
kind: Namespace
metadata: { name: default }
---
apiVersion: v1
kind: Pod
metadata:
  name: ${DNS_POD.name}
  namespace: ${DNS_POD.namespace}
  labels: { k8s-app: kube-dns }
spec:
  containers:
    - name: dnsmasq
      image: debian/dnsmasq
      command: [${command}]
      ports:
        - { name: dns, containerPort: 53, protocol: UDP }
        - { name: dns-tcp, containerPort: 53, protocol: TCP }
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: ${DNS_SERVICE_IP}
  selector: { k8s-app: kube-dns }
  ports:
    - { name: dns, port: 53, targetPort: dns, protocol: UDP }
    - { name: dns-tcp, port: 53, targetPort: dns-tcp, protocol: TCP }
`;
}

export { declaredPorts };
