// The control plane's policy view (ambit.policy.v1): decoded by @ambit/nft, the same decoder the
// ztunnel uses, so the kernel rules and the ztunnel's inner-port check read one policy.
import { TYPE_URL } from '@ambit/xds-types';

export { decodePolicyWorkload, decodeNetworkPolicy, decodeCalicoPolicy, decodeCalicoTier, ipFromBytes, type ViewPod } from '@ambit/nft';

export const POLICY_WORKLOAD_TYPE = TYPE_URL.policyWorkload;
export const NETWORK_POLICY_TYPE = TYPE_URL.networkPolicy;
export const CALICO_POLICY_TYPE = TYPE_URL.calicoPolicy;
export const CALICO_TIER_TYPE = TYPE_URL.calicoTier;

/** Raw bytes of an IP literal, for AddWorkload.addresses. */
export function ipToBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head = '', tail = ''] = ip.split('::') as [string, string?];
    const h = head === '' ? [] : head.split(':');
    const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
    const last = (t.length > 0 ? t : h).at(-1) ?? '';
    const v4tail = last.includes('.') ? last.split('.').map(Number) : undefined;
    const hex = (parts: string[]) => parts.filter((p) => !p.includes('.')).map((p) => parseInt(p, 16));
    const hv = hex(h);
    const tv = hex(t);
    const v4groups = v4tail === undefined ? [] : [((v4tail[0] ?? 0) << 8) | (v4tail[1] ?? 0), ((v4tail[2] ?? 0) << 8) | (v4tail[3] ?? 0)];
    const fill = 8 - hv.length - tv.length - v4groups.length;
    const groups = ip.includes('::') ? [...hv, ...new Array<number>(Math.max(0, fill)).fill(0), ...tv, ...v4groups] : [...hv, ...v4groups];
    const out = Buffer.alloc(16);
    groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
    return out;
  }
  return Buffer.from(ip.split('.').map((p) => Number(p) & 0xff));
}
