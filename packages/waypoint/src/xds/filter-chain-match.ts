// Which filter chain of the Listener serves an HBONE CONNECT to `ip:port`, in Envoy's order:
// destination_port first (a chain naming the port beats one that names none, and once a port
// matches there is no fallback to port-less chains), then the longest prefix_ranges entry that
// holds the address (a chain with no prefix_ranges matches any address, least specifically). No
// chain -> the listener's default_filter_chain, if any.
import { BlockList, isIP } from 'node:net';

export interface ChainMatch {
  /** undefined = any port. */
  port: number | undefined;
  /** Empty = any address. */
  prefixes: Array<{ block: BlockList; length: number; text: string }>;
}

/** Builds the matcher of one chain's filter_chain_match; throws a message naming the bad range. */
export function chainMatch(destinationPort: number | undefined, prefixRanges: Array<{ address_prefix: string; prefix_len: { value: number } | null }>, where: string): ChainMatch {
  const prefixes = prefixRanges.map((range, index) => {
    const family = isIP(range.address_prefix);
    if (family === 0) throw new Error(`${where}.prefix_ranges[${index}].address_prefix ${JSON.stringify(range.address_prefix)} is not an IP address`);
    const max = family === 4 ? 32 : 128;
    // Envoy reads an unset prefix_len as 0 (the whole family).
    const length = range.prefix_len?.value ?? 0;
    if (!Number.isInteger(length) || length < 0 || length > max) throw new Error(`${where}.prefix_ranges[${index}].prefix_len ${length} is out of range for IPv${family} (0..${max})`);
    const block = new BlockList();
    block.addSubnet(range.address_prefix, length, family === 4 ? 'ipv4' : 'ipv6');
    return { block, length, text: `${range.address_prefix}/${length}` };
  });
  return { port: destinationPort, prefixes };
}

/** Index of the chain serving `ip:port`, or -1. */
export function selectChain(matches: readonly ChainMatch[], ip: string, port: number): number {
  const family = isIP(ip);
  if (family === 0) return -1;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const exact = matches.some((m) => m.port === port);
  let best = -1;
  let bestLength = -2;
  matches.forEach((m, index) => {
    if (exact ? m.port !== port : m.port !== undefined) return;
    let length = -2;
    if (m.prefixes.length === 0) length = -1;
    else for (const p of m.prefixes) if (p.length > length && p.block.check(ip, type)) length = p.length;
    if (length > bestLength) {
      bestLength = length;
      best = index;
    }
  });
  return best;
}
