// Loading a compiled NetworkPolicy ruleset in the node's network namespace.
import { AmbitError } from '@ambit/core';
import { NftErrorCode } from '../errors.ts';
import { nftInNetns } from '../nft.ts';
import { runInNetns } from '../exec.ts';
import { parseNftCounters, type CounterValue } from './counters.ts';
import { NETPOL_TABLE } from './compile.ts';

/**
 * Loads `ruleset` (from compileNetworkPolicies) with one `nft -f` in the namespace at `netnsPath`:
 * one kernel transaction that replaces `table inet ambit-netpol`, so packets see the old policy
 * or the new one, never none. Applying the same ruleset again changes nothing. Established
 * connections keep their conntrack entries and keep flowing, even when the new policy no longer
 * allows them (implementation-defined upstream; this is Ambit's choice for now).
 */
export async function applyNetworkPolicies(netnsPath: string, ruleset: string): Promise<void> {
  if (!ruleset.includes(`\ndelete table inet ${NETPOL_TABLE}\ntable inet ${NETPOL_TABLE} {`)) {
    throw new AmbitError(NftErrorCode.INVALID_POLICY_INPUT, `the ruleset does not replace table inet ${NETPOL_TABLE}; pass the ruleset of compileNetworkPolicies`);
  }
  await nftInNetns(netnsPath, ruleset);
}

/**
 * The table's named drop counters in the namespace at `netnsPath` (counter name -> packets,
 * bytes); empty when the table does not exist yet.
 */
export async function readNetpolCounters(netnsPath: string): Promise<Map<string, CounterValue>> {
  const listed = await runInNetns(netnsPath, ['nft', '-j', 'list', 'counters', 'table', 'inet', NETPOL_TABLE]);
  if (listed.status !== 0) {
    if (/No such file or directory/.test(listed.stderr)) return new Map();
    throw new AmbitError(NftErrorCode.LIST_FAILED, `nft -j list counters table inet ${NETPOL_TABLE} failed in ${netnsPath}: ${listed.stderr.trim()}`);
  }
  return parseNftCounters(listed.stdout);
}
