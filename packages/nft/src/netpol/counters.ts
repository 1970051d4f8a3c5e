// Reading the table's named counters back: `nft -j list counters table inet ambit-netpol`.
import { AmbitError } from '@ambit/core';
import { NftErrorCode } from '../errors.ts';
import { NETPOL_TABLE } from './render.ts';

export interface CounterValue {
  packets: number;
  bytes: number;
}

/**
 * Parses the JSON `nft -j list counters table inet ambit-netpol` prints into counter name ->
 * packets and bytes. Counters of other tables (when given a wider listing) are skipped. Output that
 * is not nft's JSON schema fails with AMBIT_NFT_LIST_FAILED, naming what was wrong.
 */
export function parseNftCounters(json: string, table: string = NETPOL_TABLE): Map<string, CounterValue> {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new AmbitError(NftErrorCode.LIST_FAILED, `nft -j list counters printed something that is not JSON: ${JSON.stringify(json.slice(0, 80))}`, { cause });
  }
  const items = typeof doc === 'object' && doc !== null && 'nftables' in doc ? (doc as { nftables: unknown }).nftables : undefined;
  if (!Array.isArray(items)) throw new AmbitError(NftErrorCode.LIST_FAILED, `nft -j list counters: expected {"nftables": [...]}, got ${JSON.stringify(json.slice(0, 80))}`);
  const out = new Map<string, CounterValue>();
  for (const item of items as unknown[]) {
    if (typeof item !== 'object' || item === null || !('counter' in item)) continue;
    const c = (item as { counter: unknown }).counter;
    if (typeof c !== 'object' || c === null) continue;
    const { name, table: t, packets, bytes } = c as Record<string, unknown>;
    if (t !== table) continue;
    if (typeof name !== 'string' || typeof packets !== 'number' || typeof bytes !== 'number') {
      throw new AmbitError(NftErrorCode.LIST_FAILED, `nft -j list counters: a counter without a string name and numeric packets/bytes: ${JSON.stringify(c).slice(0, 200)}`);
    }
    out.set(name, { packets, bytes });
  }
  return out;
}
