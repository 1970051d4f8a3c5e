// CHECK: the attachment still looks as ADD left it (interface, addresses, routes), and the IPAM
// plugin still holds the reservation. Any difference is an error (code 100).
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { parseCidr, formatIpv4 } from '../protocol/ipv4.ts';
import type { CniResult } from '../protocol/types.ts';
import type { AttachmentRecord } from './attachments.ts';
import { requireNetns, type PluginContext } from './context.ts';
import { findDelegate, runDelegate } from './delegate.ts';
import { linkAddresses, linkInfo, routes, type RouteInfo } from './links.ts';

function failed(message: string): Error {
  return cniError(CNI_CODE.checkFailed, 'AMBIT_CNI_CHECK_FAILED', `CHECK failed: ${message}`);
}

export async function check(ctx: PluginContext): Promise<void> {
  const { config, env } = ctx;
  const prev = config.prevResult;
  if (!prev) throw cniError(CNI_CODE.invalidConfig, 'AMBIT_CNI_INVALID_CONFIG', 'invalid ambit-cni configuration: CHECK needs prevResult (the cached ADD result)');
  const record = ctx.attachments.read(ctx.key);
  if (!record) throw failed(`no attachment recorded for container ${env.containerId} interface ${env.ifname} (file ${ctx.attachments.fileOf(ctx.key)})`);
  requireNetns(env);
  if (record.mode === 'chained') {
    checkChained(env.netns, env.ifname, prev);
    return;
  }
  checkPrimary(ctx, record, prev);
  if (config.ipam) runDelegate(findDelegate(config.ipam.type, env.path), 'CHECK', ctx.stdin);
}

function checkChained(netns: string, ifname: string, prev: CniResult): void {
  const sandboxed = (prev.interfaces ?? []).filter((i) => i.sandbox);
  const own = sandboxed.find((i) => i.name === ifname) ?? sandboxed[0];
  if (own && !linkInfo(own.name, netns)) throw failed(`interface ${own.name} is missing from netns ${netns}`);
}

function hasRoute(list: readonly RouteInfo[], dst: string, dev: string, gateway?: string): boolean {
  return list.some((r) => r.dst === dst && r.dev === dev && (gateway === undefined ? r.gateway === undefined : r.gateway === gateway));
}

function checkPrimary(ctx: PluginContext, record: AttachmentRecord, prev: CniResult): void {
  const { env } = ctx;
  const address = record.ips[0]?.address ?? '';
  const cidr = parseCidr(address);
  const gateway = record.gateway ?? '';
  const hostIfname = record.hostIfname ?? '';
  if (!cidr) throw failed(`the attachment record has no address`);
  const ip = formatIpv4(cidr.ip);
  const prevIps = (prev.ips ?? []).map((i) => parseCidr(i.address)).filter((c) => c !== undefined).map((c) => formatIpv4(c.ip));
  if (!prevIps.includes(ip)) throw failed(`prevResult does not list ${address} (it has ${prevIps.join(', ') || 'no address'})`);

  const pod = linkInfo(env.ifname, env.netns);
  if (!pod) throw failed(`interface ${env.ifname} is missing from netns ${env.netns}`);
  if (!pod.up) throw failed(`interface ${env.ifname} in netns ${env.netns} is down`);
  if (!linkAddresses(env.ifname, env.netns).includes(`${ip}/32`)) throw failed(`${ip}/32 is missing from ${env.ifname} in netns ${env.netns}`);
  const podRoutes = routes(env.netns);
  if (!hasRoute(podRoutes, `${gateway}/32`, env.ifname)) throw failed(`the link route to the gateway ${gateway} is missing in netns ${env.netns}`);
  for (const r of record.routes ?? []) {
    if (!hasRoute(podRoutes, r.dst, env.ifname, r.gw)) throw failed(`the route ${r.dst} via ${r.gw ?? '-'} is missing in netns ${env.netns}`);
  }

  const host = linkInfo(hostIfname);
  if (!host) throw failed(`host veth ${hostIfname} is missing`);
  if (!host.up) throw failed(`host veth ${hostIfname} is down`);
  if (!linkAddresses(hostIfname).includes(`${gateway}/32`)) throw failed(`the gateway address ${gateway}/32 is missing from ${hostIfname}`);
  if (!hasRoute(routes(), `${ip}/32`, hostIfname)) throw failed(`the host route ${ip}/32 dev ${hostIfname} is missing`);
}
