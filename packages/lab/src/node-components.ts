// The per-node daemons the lab runs in each node's namespace, as a DaemonSet would: the CNI agent
// (in-pod capture, hand-off to the ztunnel, port 15025) and the ztunnel (the L4 proxy: metrics
// 15020, readiness 15021, admin 15000 on loopback). Both follow the control plane over 15012 with
// the node's own credential; the CNI plugin reaches the agent on a Unix socket per node.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from '@ambit/core';
import { ManagedProcess } from './managed-process.ts';
import { componentGet } from './component-http.ts';
import { componentMains } from './bundle.ts';
import { CONTROL_PLANE_IP } from './addresses.ts';
import type { LabNames } from './names.ts';
import type { LabNode } from './topology.ts';


export const CNI_AGENT_PORT = 15025;
export const ZTUNNEL_READINESS_PORT = 15021;
export const ZTUNNEL_ADMIN_PORT = 15000;

export interface NodePaths {
  dir: string;
  pluginSocket: string;
  handoffSocket: string;
}

export function nodePaths(names: LabNames, node: string): NodePaths {
  const dir = join(names.stateDir, 'nodes', node);
  return { dir, pluginSocket: join(dir, 'cni-agent.sock'), handoffSocket: join(dir, 'ztunnel.sock') };
}

/** The trust bundle the control plane publishes (every root to trust; rewritten during a root rotation). */
export function rootCertPath(names: LabNames): string {
  return join(names.caDir, 'trust-bundle.pem');
}

function common(names: LabNames, node: LabNode): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_NAME: node.name,
    XDS_ADDRESS: `${CONTROL_PLANE_IP}:15012`,
    ROOT_CA: rootCertPath(names),
    TOKEN_FILE: join(names.credentialsDir, `${node.name}.token`),
    LOG_FORMAT: 'json',
  };
}

export interface NodeComponents {
  agent: ManagedProcess;
  ztunnel: ManagedProcess;
}

export function nodeComponents(names: LabNames, node: LabNode, logger: Logger): NodeComponents {
  const paths = nodePaths(names, node.name);
  mkdirSync(paths.dir, { recursive: true });
  // Apps are started as processes, never imported: each from its bundle (bundle.ts).
  const mains = componentMains(names);
  const inNode = (main: string): string[] => ['netns', 'exec', node.netns, process.execPath, main];
  const agent = new ManagedProcess({
    name: `cni-agent/${node.name}`,
    command: 'ip',
    args: inNode(mains['cni-agent']),
    env: { ...common(names, node), PLUGIN_SOCKET: paths.pluginSocket, HANDOFF_SOCKET: paths.handoffSocket, STATE_FILE: join(paths.dir, 'agent-pods.json'), MONITORING_PORT: String(CNI_AGENT_PORT) },
    logFile: join(names.logDir, `cni-agent.${node.name}.log`),
    logger,
  });
  const ztunnel = new ManagedProcess({
    name: `ztunnel/${node.name}`,
    command: 'ip',
    args: inNode(mains.ztunnel),
    env: { ...common(names, node), HANDOFF_SOCKET: paths.handoffSocket },
    logFile: join(names.logDir, `ztunnel.${node.name}.log`),
    logger,
  });
  return { agent, ztunnel };
}

async function healthy(netns: string, port: number, path: string): Promise<boolean> {
  try {
    return (await componentGet(netns, '127.0.0.1', port, path, 2000)).status === 200;
  } catch {
    return false;
  }
}

export function agentReady(node: LabNode): Promise<boolean> {
  return healthy(node.netns, CNI_AGENT_PORT, '/ready');
}

export function ztunnelReady(node: LabNode): Promise<boolean> {
  return healthy(node.netns, ZTUNNEL_READINESS_PORT, '/healthz/ready');
}

/** The node's NetworkPolicy state (cni-agent /debug/netpol); undefined when the agent does not answer. */
export interface AgentNetpol {
  enabled: boolean;
  dirty?: boolean;
  rules?: number;
  lastError?: string;
}

export async function agentNetpol(node: LabNode): Promise<AgentNetpol | undefined> {
  const reply = await componentGet(node.netns, '127.0.0.1', CNI_AGENT_PORT, '/debug/netpol', 2000).catch(() => undefined);
  if (reply?.status !== 200) return undefined;
  return JSON.parse(reply.body) as AgentNetpol;
}

/** What the node's agent knows about its pods (captured, acked by the ztunnel). */
export async function agentPods(node: LabNode): Promise<Array<{ uid: string; name: string; namespace: string; enrolled: boolean; captured: boolean; acked: boolean }>> {
  const reply = await componentGet(node.netns, '127.0.0.1', CNI_AGENT_PORT, '/debug/pods', 2000);
  if (reply.status !== 200) return [];
  return (JSON.parse(reply.body) as { pods: Array<{ uid: string; name: string; namespace: string; enrolled: boolean; captured: boolean; acked: boolean }> }).pods;
}
