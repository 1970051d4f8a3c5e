// Pure address choice, host-local style: round robin from the address after the last one
// reserved, so a just-released address is not handed out again at once. The network, broadcast
// and gateway addresses are never chosen.
import type { IpamRange } from './config.ts';

export function isAllocatable(range: IpamRange, ip: number): boolean {
  return ip >= range.start && ip <= range.end && ip !== range.network && ip !== range.broadcast && ip !== range.gateway;
}

/** How many addresses the range can hand out. */
export function capacity(range: IpamRange): number {
  let n = range.end - range.start + 1;
  for (const special of [range.network, range.broadcast, range.gateway]) {
    if (special >= range.start && special <= range.end) n--;
  }
  return n;
}

/**
 * The next free address after `lastReserved` (or from the start of the range when there is none
 * or it lies outside the range), wrapping around once; undefined when the range is exhausted.
 */
export function nextFreeAddress(range: IpamRange, isReserved: (ip: number) => boolean, lastReserved?: number): number | undefined {
  const size = range.end - range.start + 1;
  const first = lastReserved !== undefined && lastReserved >= range.start && lastReserved < range.end ? lastReserved + 1 : range.start;
  for (let i = 0; i < size; i++) {
    const ip = range.start + ((first - range.start + i) % size);
    if (isAllocatable(range, ip) && !isReserved(ip)) return ip;
  }
  return undefined;
}
