// The lab supervisor: builds the lab's network, then plays kubelet, kube-proxy, CoreDNS and the
// API server's controllers for it until asked to stop. Everything it makes is named from
// LabNames, so `down` can remove it all even if this process is killed.
import { mkdir, writeFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { SourceFile } from '@ambit/api';
import { errorMessage, type Logger } from '@ambit/core';
import { createUnderlay, planNodes, type LabNode } from './topology.ts';
import { LabCluster } from './cluster.ts';
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
    this.cluster = new LabCluster(names, this.nodes, logger);
    await this.cluster.bootstrap();
    await rm(names.socket, { force: true });
    this.server = await startRpcServer(
      names.socket,
      {
        'GET /status': async () => ({ status: 200, body: this.status() }),
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

  private async apply(body: unknown, mode: 'apply' | 'delete'): Promise<{ status: number; body: unknown }> {
    const files = parseFiles(body);
    if (!files) return { status: 400, body: { error: 'expected {"files":[{"path":string,"text":string}]}' } };
    if (!this.cluster) return { status: 503, body: { error: 'the lab is starting' } };
    try {
      const outcome = await this.cluster.apply(files, mode);
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
      pods: cluster?.pods ?? [],
      services: cluster?.services ?? [],
      components: [
        { kind: 'supervisor', node: null, pid: process.pid, ready: this.server !== undefined },
        { kind: 'dns', node: cluster?.dns.node ?? null, pid: cluster?.dns.pid ?? null, ready: cluster?.dns.ready ?? false },
      ],
    };
  }

  /** Stops every pod (CNI DEL each) and the API socket; `down` then removes the namespaces. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.options.logger.info({}, 'stopping the lab');
      this.server?.close();
      await this.cluster?.shutdown();
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
