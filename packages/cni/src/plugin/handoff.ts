// The seam to the node agent: every attachment ADD records is announced here, every one DEL or GC
// removes is withdrawn here. Without `agentSocket` in the config it only logs. With it, the pod
// (uid, name, namespace, netns, IPs) goes to the cni-agent over its Unix socket (agent-client.ts)
// and ADD waits for the answer: fail-closed, as istio-cni's plugin, an enrolled pod's ADD fails
// with CNI code 11 (try again later) while the agent is unreachable or no ztunnel has accepted the
// pod, so the runtime retries and the app never runs uncaptured. DEL and GC are best effort: a
// dead pod's namespace takes its rules with it, and the agent drops what it cannot find.
import type { Logger } from '@ambit/core';
import type { PodArgs } from '../protocol/cni-args.ts';
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { AgentUnreachable, callAgent, type AgentRequest } from './agent-client.ts';
import type { AttachmentKey, AttachmentRecord } from './attachments.ts';

export interface AttachmentHandOff {
  /** After ADD wired (or, chained, verified) the attachment; a throw fails the ADD. */
  added(attachment: AttachmentRecord): Promise<void>;
  /** After DEL or GC removed it; `record` is absent when nothing was recorded. */
  deleted(key: AttachmentKey, record: AttachmentRecord | undefined): Promise<void>;
}

export const DEFAULT_AGENT_SOCKET = '/var/run/ambit/cni-agent.sock';
export const DEFAULT_AGENT_TIMEOUT_MS = 15_000;

export function loggingHandOff(logger: Logger): AttachmentHandOff {
  return {
    async added(a) {
      logger.info({ containerId: a.containerId, ifname: a.ifname, pod: a.pod, netns: a.netns, ips: a.ips.map((i) => i.address), mode: a.mode }, 'attachment added');
    },
    async deleted(key, record) {
      logger.info({ containerId: key.containerId, ifname: key.ifname, pod: record?.pod }, 'attachment deleted');
    },
  };
}

/** The uid the agent and the control plane know a pod by: K8S_POD_UID, else `namespace/name`. */
export function podUid(pod: PodArgs): string | undefined {
  if (pod.uid !== undefined) return pod.uid;
  if (pod.namespace !== undefined && pod.name !== undefined) return `${pod.namespace}/${pod.name}`;
  return undefined;
}

export interface AgentHandOffOptions {
  socket: string;
  timeoutMs: number;
  logger: Logger;
  /** The pod from CNI_ARGS of this call (DEL without a record). */
  envPod: PodArgs;
}

export function agentHandOff(options: AgentHandOffOptions): AttachmentHandOff {
  const { socket, timeoutMs, logger } = options;
  return {
    async added(a) {
      const uid = podUid(a.pod);
      if (uid === undefined || a.pod.name === undefined || a.pod.namespace === undefined) {
        logger.warn({ containerId: a.containerId, pod: a.pod }, 'no K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS: not a pod the agent can enroll; not handed off');
        return;
      }
      const request: AgentRequest = {
        op: 'add',
        pod: {
          uid,
          name: a.pod.name,
          namespace: a.pod.namespace,
          netns: a.netns,
          ips: a.ips.map((i) => i.address.split('/')[0] ?? i.address),
          containerId: a.containerId,
          ...(a.hostIfname === undefined ? {} : { hostIfname: a.hostIfname }),
        },
      };
      let response;
      try {
        response = await callAgent(socket, request, timeoutMs);
      } catch (error) {
        const reason = error instanceof AgentUnreachable ? error.message : String(error);
        throw cniError(CNI_CODE.tryAgain, 'AMBIT_CNI_AGENT_UNREACHABLE', `pod ${a.pod.namespace}/${a.pod.name}: ${reason}`, {
          hint: 'the node\'s cni-agent is not running or not listening on agentSocket; the runtime retries',
          details: { socket },
        });
      }
      if (!response.ok) {
        throw cniError(response.retry ? CNI_CODE.tryAgain : CNI_CODE.internal, response.code, `pod ${a.pod.namespace}/${a.pod.name}: ${response.error}`, { details: { socket } });
      }
      logger.info({ uid, enrolled: response.enrolled, captured: response.captured }, 'pod handed to the cni-agent');
    },
    async deleted(key, record) {
      const pod = record?.pod ?? options.envPod;
      const uid = podUid(pod);
      if (uid === undefined) {
        logger.debug({ containerId: key.containerId }, 'no pod identity on DEL; nothing to tell the agent');
        return;
      }
      const request: AgentRequest = { op: 'del', pod: { uid, ...(pod.name === undefined ? {} : { name: pod.name }), ...(pod.namespace === undefined ? {} : { namespace: pod.namespace }) } };
      try {
        const response = await callAgent(socket, request, timeoutMs);
        if (!response.ok) logger.warn({ uid, code: response.code, err: response.error }, 'the cni-agent could not release the pod; it retries on its own');
      } catch (error) {
        logger.warn({ uid, err: error instanceof Error ? error.message : String(error) }, 'cni-agent unreachable on DEL; it drops the pod when it finds its netns gone');
      }
    },
  };
}
