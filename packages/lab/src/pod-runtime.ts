// One pod in the lab, as kubelet runs it: a network namespace wired by the CNI conflist (ADD on
// create, DEL on delete), the pod's resolv.conf under /etc/netns, and one kept-alive process per
// container running inside the namespace. A container without `command` runs the built-in
// workload server on its declared ports.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Pod } from '@ambit/api';
import type { CniRuntime } from '@ambit/cni';
import { AmbitError, waitFor, type Logger } from '@ambit/core';
import { ManagedProcess } from './managed-process.ts';
import { listeningPorts } from './listening.ts';
import { componentGet } from './component-http.ts';
import { renderResolvConf } from './dns.ts';
import { deleteNetns, netnsPids, type LabNode } from './topology.ts';
import { run } from './exec.ts';

const WORKLOAD_SERVER = join(dirname(fileURLToPath(import.meta.resolve('@ambit/workload'))), 'server-main.ts');

export interface DeclaredPort {
  name: string | undefined;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export function declaredPorts(pod: Pod): DeclaredPort[] {
  return pod.spec.containers.flatMap((c) =>
    (c.ports ?? []).map((p) => ({ name: p.name, port: p.containerPort, protocol: (p.protocol ?? 'TCP') as DeclaredPort['protocol'] })),
  );
}

export interface PodRuntimeOptions {
  resource: Pod;
  owner: string | undefined;
  node: LabNode;
  netns: string;
  cni: CniRuntime;
  logDir: string;
  logger: Logger;
  /** Called whenever readiness may have changed. */
  onChange: () => void;
  /** Variables the lab adds for this pod (values that depend on the node it was scheduled on). */
  env?: Record<string, string>;
  /** An HTTP GET on the pod's IP that must answer 200 before the pod counts as ready (kubelet's httpGet probe). */
  readinessProbe?: { port: number; path: string };
}

export class PodRuntime {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: LabNode;
  readonly netns: string;
  readonly owner: string | undefined;
  resource: Pod;
  ip: string | undefined;
  ready = false;
  private processes: ManagedProcess[] = [];
  private readonly options: PodRuntimeOptions;
  private stopping = false;
  private readinessRun = 0;

  constructor(options: PodRuntimeOptions) {
    this.options = options;
    this.resource = options.resource;
    this.namespace = options.resource.metadata.namespace ?? 'default';
    this.name = options.resource.metadata.name;
    this.uid = options.resource.metadata.uid ?? randomUUID();
    this.node = options.node;
    this.netns = options.netns;
    this.owner = options.owner;
  }

  get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  get ports(): DeclaredPort[] {
    return declaredPorts(this.resource);
  }

  get pids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  private get cniAttachment() {
    return {
      containerId: this.uid,
      netns: `/run/netns/${this.netns}`,
      ifname: 'eth0',
      args: { K8S_POD_NAMESPACE: this.namespace, K8S_POD_NAME: this.name, K8S_POD_UID: this.uid, K8S_POD_INFRA_CONTAINER_ID: this.uid },
    };
  }

  /** Creates the sandbox, wires it with CNI ADD and starts the containers. */
  async start(): Promise<void> {
    await run('ip', ['netns', 'add', this.netns]);
    await mkdir(`/etc/netns/${this.netns}`, { recursive: true });
    await writeFile(`/etc/netns/${this.netns}/resolv.conf`, renderResolvConf(this.namespace));
    const result = await this.options.cni.add(this.cniAttachment);
    const address = result.ips?.[0]?.address;
    if (!address) throw new AmbitError('AMBIT_LAB_POD_NO_IP', `CNI ADD for pod ${this.key} returned no IP address`);
    this.ip = address.split('/')[0];
    for (const container of this.resource.spec.containers) {
      const proc = new ManagedProcess({
        name: `${this.key}/${container.name}`,
        command: 'ip',
        args: ['netns', 'exec', this.netns, ...this.containerCommand(container)],
        logFile: join(this.options.logDir, 'pods', `${this.namespace}.${this.name}.${container.name}.log`),
        env: { ...process.env, ...this.containerEnv(container) },
        logger: this.options.logger,
      });
      proc.on('start', () => void this.watchReadiness());
      proc.on('exit', () => this.setReady(false));
      this.processes.push(proc);
      proc.start();
    }
  }

  private containerCommand(container: Pod['spec']['containers'][number]): string[] {
    if (container.command && container.command.length > 0) return [...container.command, ...(container.args ?? [])];
    const ports = (container.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' }));
    const tcp = ports.filter((p) => p.protocol === 'TCP').map((p) => p.port);
    const udp = ports.filter((p) => p.protocol === 'UDP').map((p) => p.port);
    const args = [process.execPath, WORKLOAD_SERVER, '--pod', this.key, '--node', this.node.name];
    if (tcp.length > 0) args.push('--tcp', tcp.join(','));
    if (udp.length > 0) args.push('--udp', udp.join(','));
    return args;
  }

  private containerEnv(container: Pod['spec']['containers'][number]): Record<string, string> {
    const env: Record<string, string> = { POD_NAME: this.name, POD_NAMESPACE: this.namespace, NODE_NAME: this.node.name };
    if (this.ip) env['POD_IP'] = this.ip;
    Object.assign(env, this.options.env);
    for (const e of container.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
    return env;
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.options.onChange();
  }

  /**
   * Ready once every container runs and every declared port is bound in the pod's namespace, and
   * its readiness probe (if any) answers 200.
   */
  private async watchReadiness(): Promise<void> {
    const runId = ++this.readinessRun;
    const want = this.ports;
    try {
      await waitFor(
        async () => {
          if (this.stopping || runId !== this.readinessRun) return true;
          const pids = this.pids;
          if (pids.length !== this.processes.length) return false;
          const first = pids[0];
          if (first === undefined) return true;
          const bound = await listeningPorts(first);
          const listening = want.every((p) => (p.protocol === 'UDP' ? bound.udp.has(p.port) : p.protocol === 'TCP' ? bound.tcp.has(p.port) : true));
          return listening && (await this.probeOk());
        },
        { timeoutMs: 120_000, intervalMs: 10, maxIntervalMs: 200, what: `pod ${this.key} to listen on its ports` },
      );
      if (!this.stopping && runId === this.readinessRun) this.setReady(true);
    } catch (error) {
      this.options.logger.warn({ pod: this.key, err: String(error) }, 'pod did not become ready');
    }
  }

  private async probeOk(): Promise<boolean> {
    const probe = this.options.readinessProbe;
    if (!probe) return true;
    if (!this.ip) return false;
    try {
      return (await componentGet(this.netns, this.ip, probe.port, probe.path, 1000)).status === 200;
    } catch {
      return false;
    }
  }

  /** Updates labels and annotations in place (no restart), as the API server does. */
  updateMetadata(resource: Pod): void {
    this.resource = { ...this.resource, metadata: { ...this.resource.metadata, labels: resource.metadata.labels, annotations: resource.metadata.annotations } };
  }

  /** Stops the containers, runs CNI DEL and removes the sandbox. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ready = false;
    await Promise.all(this.processes.map((p) => p.stop()));
    try {
      await this.options.cni.del(this.cniAttachment);
    } catch (error) {
      this.options.logger.warn({ pod: this.key, err: String(error) }, 'CNI DEL failed; removing the sandbox anyway');
    }
    // Anything a container left behind (children it spawned) dies with the sandbox.
    for (const pid of await netnsPids(this.netns).catch(() => [])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await deleteNetns(this.netns);
    await rm(`/etc/netns/${this.netns}`, { recursive: true, force: true });
  }
}
