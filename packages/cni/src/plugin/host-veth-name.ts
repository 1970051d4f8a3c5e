// The host-side veth name of an attachment, stable across ADD, DEL and GC.
import { createHash } from 'node:crypto';

/** `amb` + 11 hex chars of sha1(`containerId/ifname`): 14 characters, under IFNAMSIZ (15). */
export function hostVethName(containerId: string, ifname: string): string {
  return `amb${createHash('sha1').update(`${containerId}/${ifname}`).digest('hex').slice(0, 11)}`;
}
