// IPv4 arithmetic and the lab's address plan (DESIGN.md: pod CIDR 10.244.0.0/16 with a /24 per
// node, Service CIDR 10.96.0.0/16, DNS at 10.96.0.10). The underlay is 10.240.0.0/24 inside the
// lab's own namespace; nothing in the host namespace routes to any of these.
import { AmbitError } from '@ambit/core';

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new AmbitError('AMBIT_LAB_BAD_IP', `invalid IPv4 address "${ip}"`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new AmbitError('AMBIT_LAB_BAD_IP', `invalid IPv4 address "${ip}"`);
    value = value * 256 + Number(part);
  }
  return value;
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (Math.floor(value / 2 ** shift) % 256).toString()).join('.');
}

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [ip, prefixText] = text.split('/');
  const prefix = Number(prefixText);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new AmbitError('AMBIT_LAB_BAD_CIDR', `invalid CIDR "${text}"`);
  }
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(ipv4ToInt(ip) / size) * size, prefix };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const size = 2 ** (32 - cidr.prefix);
  const value = ipv4ToInt(ip);
  return value >= cidr.base && value < cidr.base + size;
}

export const UNDERLAY_PREFIX = 24;
export const POD_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';
export const DNS_SERVICE_IP = '10.96.0.10';
export const CONTROL_PLANE_IP = '10.240.0.2';

/** Node index is 1-based: node-1 is 10.240.0.11 with pods in 10.244.1.0/24. */
export function nodePlan(index: number): { name: string; ip: string; podCIDR: string; gateway: string } {
  if (!Number.isInteger(index) || index < 1 || index > 200) {
    throw new AmbitError('AMBIT_LAB_BAD_NODE_COUNT', `node index ${index} is outside 1..200`);
  }
  return {
    name: `node-${index}`,
    ip: `10.240.0.${10 + index}`,
    podCIDR: `10.244.${index}.0/24`,
    gateway: `10.244.${index}.1`,
  };
}

/**
 * Hands out Service ClusterIPs from the Service CIDR. Addresses below .0.11 are reserved (the DNS
 * service owns 10.96.0.10, as in kubeadm clusters); a requested address is honoured when free.
 */
export class ServiceIpAllocator {
  private readonly cidr = parseCidr(SERVICE_CIDR);
  private readonly used = new Map<string, string>();
  private next = ipv4ToInt('10.96.0.11');

  allocate(owner: string, requested?: string): string {
    for (const [ip, who] of this.used) if (who === owner) return ip;
    if (requested !== undefined) {
      if (!cidrContains(this.cidr, requested)) {
        throw new AmbitError('AMBIT_LAB_CLUSTERIP_RANGE', `clusterIP ${requested} of ${owner} is outside the Service CIDR ${SERVICE_CIDR}`);
      }
      const holder = this.used.get(requested);
      if (holder !== undefined && holder !== owner) {
        throw new AmbitError('AMBIT_LAB_CLUSTERIP_TAKEN', `clusterIP ${requested} of ${owner} is already used by ${holder}`);
      }
      this.used.set(requested, owner);
      return requested;
    }
    const end = this.cidr.base + 2 ** (32 - this.cidr.prefix) - 1;
    for (let tries = 0; tries < end - this.cidr.base; tries++) {
      if (this.next >= end) this.next = ipv4ToInt('10.96.0.11');
      const ip = intToIpv4(this.next++);
      if (!this.used.has(ip)) {
        this.used.set(ip, owner);
        return ip;
      }
    }
    throw new AmbitError('AMBIT_LAB_CLUSTERIP_EXHAUSTED', `the Service CIDR ${SERVICE_CIDR} has no free address`);
  }

  release(owner: string): void {
    for (const [ip, who] of this.used) if (who === owner) this.used.delete(ip);
  }
}
