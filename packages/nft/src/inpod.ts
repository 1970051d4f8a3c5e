// Installing and removing the in-pod capture: the nft table and the policy routing, both
// idempotent. The caller (the CNI agent) serializes calls per namespace.
import { AmbitError } from '@ambit/core';
import { INPOD_TABLE, resolveInpodConfig, ROUTE_TABLE, type InpodConfig, type ResolvedInpodConfig } from './config.ts';
import { NftErrorCode } from './errors.ts';
import { assertNetns, runInNetns } from './exec.ts';
import { renderInpodRules } from './inpod-rules.ts';
import { parseRoutingState, planRouting, routingComplete, type IpFamily, type RoutingState } from './inpod-routing.ts';
import { nftInNetns, nftListTable } from './nft.ts';

/**
 * Installs (or replaces) the capture rules and the policy routing in the pod's namespace.
 * Validates everything before touching anything. The routing goes first: without the capture it
 * is inert, whereas capture without it would break the ztunnel's inbound connections to the app.
 * The nft table is replaced in one transaction, so re-applying never opens a window without
 * capture.
 */
export async function applyInpod(netnsPath: string, config: InpodConfig): Promise<void> {
  const resolved = resolveInpodConfig(config);
  const script = renderInpodRules(config);
  await assertNetns(netnsPath);
  await applyRouting(netnsPath, resolved);
  await nftInNetns(netnsPath, script);
}

/** Removes our table and our policy routing; a namespace without them is left as it is. */
export async function removeInpod(netnsPath: string): Promise<void> {
  await assertNetns(netnsPath);
  // Creating the table first makes the delete valid when it is missing (nft 1.0.6 has no `destroy`).
  await nftInNetns(netnsPath, `table inet ${INPOD_TABLE} {}\ndelete table inet ${INPOD_TABLE}\n`);
  await applyRouting(netnsPath, undefined);
}

/** True when our nft table exists and the policy routing is complete for at least one family. */
export async function inpodInstalled(netnsPath: string): Promise<boolean> {
  if ((await nftListTable(netnsPath, 'inet', INPOD_TABLE)) === undefined) return false;
  const state = await readRoutingState(netnsPath);
  return routingComplete(state[4]) || routingComplete(state[6]);
}

async function applyRouting(netnsPath: string, desired: ResolvedInpodConfig | undefined): Promise<void> {
  const batches = planRouting(desired, await readRoutingState(netnsPath));
  for (const batch of batches) {
    const result = await runInNetns(netnsPath, ['ip', `-${batch.family}`, '-batch', '-'], `${batch.lines.join('\n')}\n`);
    if (result.status === 0) continue;
    const failedLine = /Command failed -:(\d+)/.exec(result.stderr)?.[1];
    const line = failedLine === undefined ? undefined : batch.lines[Number(failedLine) - 1];
    const reason = result.stderr.replace(/Command failed -:\d+\n?/, '').trim();
    throw new AmbitError(
      NftErrorCode.ROUTING_FAILED,
      `policy routing in ${netnsPath} failed${line === undefined ? '' : ` at \`ip -${batch.family} ${line}\``}: ${reason || `ip exited with ${result.status}`}`,
      { details: { lines: batch.lines, stderr: result.stderr } },
    );
  }
}

async function readRoutingState(netnsPath: string): Promise<RoutingState> {
  const read = async (family: IpFamily) => {
    const rules = await runIp(netnsPath, [`-${family}`, '-j', 'rule', 'show']);
    const routes = await runIp(netnsPath, [`-${family}`, '-j', 'route', 'show', 'table', String(ROUTE_TABLE)]);
    return parseRoutingState(rules, routes);
  };
  return { 4: await read(4), 6: await read(6) };
}

async function runIp(netnsPath: string, args: string[]): Promise<string> {
  const result = await runInNetns(netnsPath, ['ip', ...args]);
  // IPv4 reports a routing table that was never created as an error; IPv6 prints [].
  if (result.status !== 0 && /FIB table does not exist/.test(result.stderr)) return '[]';
  if (result.status !== 0) {
    throw new AmbitError(NftErrorCode.ROUTING_FAILED, `ip ${args.join(' ')} failed in ${netnsPath}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
