// ADD. Primary mode (no prevResult): IPAM, a veth pair and Calico/ptp-style /32 routing, no bridge.
// Chained mode (prevResult): verify the previous plugin's interface, record, pass the result on.
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { formatIpv4, networkOf, parseCidr, parseIpv4 } from '../protocol/ipv4.ts';
import { convertResult, parseResult } from '../protocol/result.ts';
import type { CniResult, CniRoute } from '../protocol/types.ts';
import type { AttachmentRecord } from './attachments.ts';
import { requireNetns, type PluginContext } from './context.ts';
import { findDelegate, runDelegate } from './delegate.ts';
import { configureHost, configurePod, createVeth, deleteLink, enableIpForward, hostVethName, linkInfo, type PodRoute } from './links.ts';

export async function add(ctx: PluginContext): Promise<CniResult> {
  return ctx.config.prevResult ? addChained(ctx, ctx.config.prevResult) : addPrimary(ctx);
}

async function addChained(ctx: PluginContext, prev: CniResult): Promise<CniResult> {
  const { env } = ctx;
  const sandboxed = (prev.interfaces ?? []).filter((i) => i.sandbox !== undefined && i.sandbox !== '');
  const own = sandboxed.find((i) => i.name === env.ifname) ?? sandboxed[0];
  if (!own) {
    throw cniError(CNI_CODE.invalidConfig, 'AMBIT_CNI_NO_SANDBOX_INTERFACE', `prevResult has no interface inside a sandbox; ambit-cni must follow an interface plugin (bridge, ptp, ...) in the conflist`);
  }
  requireNetns(env);
  if (!linkInfo(own.name, env.netns)) {
    throw cniError(CNI_CODE.interfaceMissing, 'AMBIT_CNI_INTERFACE_MISSING', `interface ${own.name} from prevResult does not exist in netns ${env.netns}`);
  }
  const record: AttachmentRecord = {
    ...ctx.key,
    mode: 'chained',
    network: ctx.config.name,
    cniVersion: ctx.config.cniVersion,
    netns: env.netns,
    pod: env.pod,
    ips: (prev.ips ?? []).map((i) => ({ address: i.address, ...(i.gateway ? { gateway: i.gateway } : {}) })),
    createdAt: new Date().toISOString(),
  };
  ctx.attachments.write(record);
  try {
    await ctx.handOff.added(record);
  } catch (error) {
    ctx.attachments.remove(ctx.key);
    throw error;
  }
  return convertResult(prev, ctx.config.cniVersion);
}

interface Addressing {
  ip: string;
  gateway: string;
  routes: PodRoute[];
  ipam: CniResult;
}

/** The first IPv4 address of the IPAM result, its gateway (default: first host of its prefix) and routes. */
function addressingOf(ipam: CniResult): Addressing {
  for (const entry of ipam.ips ?? []) {
    const cidr = parseCidr(entry.address);
    if (!cidr) continue;
    const gateway = entry.gateway && parseIpv4(entry.gateway) !== undefined ? entry.gateway : formatIpv4(networkOf(cidr) + 1);
    const routes: PodRoute[] = (ipam.routes ?? [])
      .filter((r) => parseCidr(r.dst) !== undefined)
      .map((r) => ({ dst: r.dst, gw: r.gw && parseIpv4(r.gw) !== undefined ? r.gw : gateway }));
    return { ip: formatIpv4(cidr.ip), gateway, routes: routes.length > 0 ? routes : [{ dst: '0.0.0.0/0', gw: gateway }], ipam };
  }
  throw cniError(CNI_CODE.invalidConfig, 'AMBIT_CNI_NO_IPV4', 'the IPAM plugin returned no IPv4 address; ambit-cni is IPv4-only for now');
}

async function addPrimary(ctx: PluginContext): Promise<CniResult> {
  const { env, config, logger } = ctx;
  if (!config.ipam) {
    throw cniError(CNI_CODE.invalidConfig, 'AMBIT_CNI_INVALID_CONFIG', 'invalid ambit-cni configuration: ipam is missing; it is required when ambit-cni is the first plugin (no prevResult)', {
      hint: 'add "ipam": {"type": "ambit-ipam", "subnet": "10.244.1.0/24"}',
    });
  }
  const ipamBinary = findDelegate(config.ipam.type, env.path);
  requireNetns(env);
  if (linkInfo(env.ifname, env.netns)) {
    throw cniError(CNI_CODE.interfaceExists, 'AMBIT_CNI_INTERFACE_EXISTS', `interface ${env.ifname} already exists in netns ${env.netns}`, {
      hint: 'the runtime must DEL the attachment before adding it again',
    });
  }
  enableIpForward();
  const ipamResult = parseResult(runDelegate(ipamBinary, 'ADD', ctx.stdin), `result of IPAM plugin ${config.ipam.type}`);
  const hostIfname = hostVethName(env.containerId, env.ifname);
  try {
    const a = addressingOf(ipamResult);
    if (deleteLink(hostIfname)) logger.warn({ hostIfname }, 'removed a stale host veth left by an earlier failed ADD');
    createVeth({ netns: env.netns, podIfname: env.ifname, hostIfname, ...(config.mtu === undefined ? {} : { mtu: config.mtu }) });
    configureHost(hostIfname, a.ip, a.gateway);
    configurePod(env.netns, env.ifname, a.ip, a.gateway, a.routes);
    const result = primaryResult(ctx, hostIfname, a);
    const record: AttachmentRecord = {
      ...ctx.key,
      mode: 'primary',
      network: config.name,
      cniVersion: config.cniVersion,
      netns: env.netns,
      pod: env.pod,
      ips: [{ address: `${a.ip}/32`, gateway: a.gateway }],
      hostIfname,
      gateway: a.gateway,
      routes: result.routes ?? [],
      createdAt: new Date().toISOString(),
    };
    ctx.attachments.write(record);
    await ctx.handOff.added(record);
    logger.info({ hostIfname, ip: a.ip }, 'pod wired');
    return result;
  } catch (error) {
    undoPrimary(ctx, ipamBinary, hostIfname);
    throw error;
  }
}

function primaryResult(ctx: PluginContext, hostIfname: string, a: Addressing): CniResult {
  const { env, config } = ctx;
  const host = linkInfo(hostIfname);
  const pod = linkInfo(env.ifname, env.netns);
  const withMtu = config.cniVersion === '1.1.0' && config.mtu !== undefined ? { mtu: config.mtu } : {};
  const routes: CniRoute[] = a.routes.map((r) => ({ dst: r.dst, gw: r.gw }));
  const result: CniResult = {
    cniVersion: config.cniVersion,
    interfaces: [
      { name: hostIfname, mac: host?.mac ?? '', ...withMtu },
      { name: env.ifname, mac: pod?.mac ?? '', ...withMtu, sandbox: env.netns },
    ],
    ips: [{ address: `${a.ip}/32`, gateway: a.gateway, interface: 1 }],
    routes,
  };
  const dns = config.dns ?? a.ipam.dns;
  if (dns) result.dns = dns;
  return result;
}

/** Best effort after a failure past IPAM: remove the veth, release the address, drop the record. */
function undoPrimary(ctx: PluginContext, ipamBinary: string, hostIfname: string): void {
  const steps: Array<[string, () => void]> = [
    ['delete veth', () => void deleteLink(hostIfname)],
    ['IPAM DEL', () => void runDelegate(ipamBinary, 'DEL', ctx.stdin)],
    ['remove record', () => ctx.attachments.remove(ctx.key)],
  ];
  for (const [what, step] of steps) {
    try {
      step();
    } catch (error) {
      ctx.logger.error({ err: error, hostIfname }, `cleanup after failed ADD: ${what} failed`);
    }
  }
}
