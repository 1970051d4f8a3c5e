// Everything a verb needs, built once per invocation from the request.
import { statSync } from 'node:fs';
import { createLogger, type Logger } from '@ambit/core';
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { configError } from '../protocol/net-conf.ts';
import type { CniEnv } from '../protocol/env.ts';
import type { CniRequest } from '../protocol/harness.ts';
import { AttachmentStore, type AttachmentKey } from './attachments.ts';
import { validatePluginConfig, type PluginConfig } from './config.ts';
import { agentHandOff, DEFAULT_AGENT_TIMEOUT_MS, loggingHandOff, type AttachmentHandOff } from './handoff.ts';

export interface PluginContext {
  env: CniEnv;
  config: PluginConfig;
  /** stdin as received, handed unchanged to the IPAM delegate. */
  stdin: string;
  logger: Logger;
  attachments: AttachmentStore;
  handOff: AttachmentHandOff;
  key: AttachmentKey;
}

export function pluginContext(request: CniRequest): PluginContext {
  const parsed = validatePluginConfig(request.config, request.env.command);
  if (!parsed.ok) throw configError(parsed.problems, 'ambit-cni');
  const config = parsed.config;
  const logger = createLogger({
    component: 'ambit-cni',
    level: config.logLevel ?? process.env['LOG_LEVEL'] ?? 'warn',
    destination: config.logFile ?? 2,
  }).child({ verb: request.env.command, containerId: request.env.containerId || undefined, ifname: request.env.ifname || undefined });
  return {
    env: request.env,
    config,
    stdin: request.stdin,
    logger,
    attachments: new AttachmentStore(config.dataDir),
    handOff:
      config.agentSocket === undefined
        ? loggingHandOff(logger)
        : agentHandOff({ socket: config.agentSocket, timeoutMs: config.agentTimeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS, logger, envPod: request.env.pod }),
    key: { containerId: request.env.containerId, ifname: request.env.ifname },
  };
}

export function netnsExists(path: string): boolean {
  if (path === '') return false;
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Code 3 (container unknown) when the pod's netns path is gone. */
export function requireNetns(env: CniEnv): void {
  if (!netnsExists(env.netns)) {
    throw cniError(CNI_CODE.unknownContainer, 'AMBIT_CNI_UNKNOWN_CONTAINER', `network namespace ${env.netns} of container ${env.containerId} does not exist`, {
      hint: 'the runtime creates the netns before ADD and must pass its path in CNI_NETNS',
    });
  }
}
