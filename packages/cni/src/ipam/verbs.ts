// The ambit-ipam verbs over the on-disk store. ADD returns the abbreviated IPAM result (no
// interfaces, no interface index); DEL and GC release; CHECK verifies the reservation; STATUS
// checks that the store can be written.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { formatIpv4, parseCidr } from '../protocol/ipv4.ts';
import { configError } from '../protocol/net-conf.ts';
import type { CniRequest, VerbHandlers } from '../protocol/harness.ts';
import type { CniResult } from '../protocol/types.ts';
import { validateIpamConfig, type IpamConfig } from './config.ts';
import { IpamStore, networkDir } from './store.ts';

function configOf(request: CniRequest): IpamConfig {
  const parsed = validateIpamConfig(request.config, request.env.command);
  if (!parsed.ok) throw configError(parsed.problems, 'ambit-ipam');
  return parsed.config;
}

function keyOf(request: CniRequest): { containerId: string; ifname: string } {
  return { containerId: request.env.containerId, ifname: request.env.ifname };
}

export const ipamHandlers: VerbHandlers = {
  async ADD(request) {
    const config = configOf(request);
    const ip = new IpamStore(config.dataDir, config.name).reserve(config.range, keyOf(request));
    const result: CniResult = {
      cniVersion: config.cniVersion,
      ips: [{ address: `${ip}/${config.range.prefix}`, gateway: formatIpv4(config.range.gateway) }],
      routes: config.routes,
    };
    return result;
  },

  async DEL(request) {
    const config = configOf(request);
    new IpamStore(config.dataDir, config.name).release(keyOf(request));
    return undefined;
  },

  async CHECK(request) {
    const config = configOf(request);
    const key = keyOf(request);
    const reserved = new IpamStore(config.dataDir, config.name).find(key).map((r) => r.ip);
    if (reserved.length === 0) {
      throw cniError(CNI_CODE.checkFailed, 'AMBIT_CNI_CHECK_FAILED', `ambit-ipam: no address is reserved for container ${key.containerId} interface ${key.ifname} in network ${config.name}`);
    }
    const expected = (config.prevResult?.ips ?? []).map((i) => parseCidr(i.address)).filter((c) => c !== undefined).map((c) => formatIpv4(c.ip));
    if (expected.length > 0 && !expected.some((ip) => reserved.includes(ip))) {
      throw cniError(CNI_CODE.checkFailed, 'AMBIT_CNI_CHECK_FAILED', `ambit-ipam: prevResult has ${expected.join(', ')} but the reservation for container ${key.containerId} is ${reserved.join(', ')}`);
    }
    return undefined;
  },

  async GC(request) {
    const config = configOf(request);
    const valid = (config.validAttachments ?? []).map((a) => ({ containerId: a.containerID, ifname: a.ifname }));
    new IpamStore(config.dataDir, config.name).gc(valid);
    return undefined;
  },

  async STATUS(request) {
    const config = configOf(request);
    const dir = networkDir(config.dataDir, config.name);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const probe = join(dir, `.status-${process.pid}`);
      writeFileSync(probe, '');
      rmSync(probe, { force: true });
    } catch (error) {
      throw cniError(CNI_CODE.notAvailable, 'AMBIT_CNI_NOT_AVAILABLE', `ambit-ipam cannot use its data directory ${dir}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check ipam.dataDir (or dataDir) and its permissions',
      });
    }
    return undefined;
  },
};
