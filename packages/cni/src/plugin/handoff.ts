// The seam to the node agent: every attachment ADD records is announced here, every one DEL or GC
// removes is withdrawn here. Today it only logs; the node-agent hand-off (pod uid, name,
// namespace, netns and IPs over the agent's Unix socket, as istio-cni does) plugs in here.
import type { Logger } from '@ambit/core';
import type { AttachmentKey, AttachmentRecord } from './attachments.ts';

export interface AttachmentHandOff {
  /** After ADD wired (or, chained, verified) the attachment; a throw fails the ADD. */
  added(attachment: AttachmentRecord): Promise<void>;
  /** After DEL or GC removed it; `record` is absent when nothing was recorded. */
  deleted(key: AttachmentKey, record: AttachmentRecord | undefined): Promise<void>;
}

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
