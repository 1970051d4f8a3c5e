// The control plane's policy view of pods (ambit.policy.v1.PolicyWorkload), validated into the
// little the agent needs at the xDS boundary: raw protobuf never goes further.
import { decodeMessage, TYPE_URL, type policy } from '@ambit/xds-types';

export const POLICY_WORKLOAD_TYPE = TYPE_URL.policyWorkload;

/** A pod as the control plane sees it. */
export interface ViewPod {
  uid: string;
  name: string;
  namespace: string;
  node: string;
  serviceAccount: string;
  /** The control plane's enrollment decision (namespace or pod label). */
  enrolled: boolean;
  addresses: string[];
}

/** The subscription's decode: throws (the resource is NACKed alone) when a field is unusable. */
export function decodePolicyWorkload(name: string, body: Uint8Array): ViewPod {
  const pw = decodeMessage<policy.PolicyWorkload>('ambit.policy.v1.PolicyWorkload', body);
  if (pw.uid === '') throw new Error('uid: empty');
  if (pw.uid !== name) throw new Error(`uid: ${JSON.stringify(pw.uid)} differs from the resource name ${JSON.stringify(name)}`);
  if (pw.name === '' || pw.namespace === '') throw new Error('name, namespace: both required');
  const addresses: string[] = [];
  pw.addresses.forEach((bytes, i) => {
    const ip = ipFromBytes(bytes);
    if (ip === undefined) throw new Error(`addresses[${i}]: expected 4 or 16 bytes, got ${bytes.length}`);
    addresses.push(ip);
  });
  return { uid: pw.uid, name: pw.name, namespace: pw.namespace, node: pw.node, serviceAccount: pw.service_account || 'default', enrolled: pw.enrolled, addresses };
}

export function ipFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    return compressIpv6(groups);
  }
  return undefined;
}

function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === -1) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

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
