// On-disk IPAM state, host-local layout: `<dataDir>/ipam/<network>/<ip>` holds
// `containerId\nifname`, `last_reserved_ip` holds the round-robin pointer, and `lock` serialises
// every mutation across concurrent plugin processes (flock through @ambit/netns).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileLockSync } from '@ambit/netns';
import { AmbitError } from '@ambit/core';
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import { formatIpv4, parseIpv4 } from '../protocol/ipv4.ts';
import { capacity, nextFreeAddress } from './allocator.ts';
import type { IpamRange } from './config.ts';

export const LOCK_TIMEOUT_MS = 30_000;
const LAST_RESERVED = 'last_reserved_ip';

export interface Reservation {
  ip: string;
  containerId: string;
  ifname: string;
}

export interface AttachmentKey {
  containerId: string;
  ifname: string;
}

export function networkDir(dataDir: string, network: string): string {
  return join(dataDir, 'ipam', network);
}

export class IpamStore {
  readonly dir: string;

  constructor(dataDir: string, network: string) {
    this.dir = networkDir(dataDir, network);
  }

  /** Reserves the next free address of `range` for the attachment; rejects a second reservation. */
  reserve(range: IpamRange, key: AttachmentKey): string {
    return this.locked(() => {
      const current = this.list();
      const existing = current.find((r) => r.containerId === key.containerId && r.ifname === key.ifname);
      if (existing) {
        throw cniError(CNI_CODE.duplicateAllocation, 'AMBIT_CNI_IPAM_DUPLICATE', `${existing.ip} is already allocated to container ${key.containerId} interface ${key.ifname}; duplicate allocation is not allowed`, {
          hint: 'the runtime must DEL an attachment before adding it again',
        });
      }
      const reserved = new Set(current.map((r) => parseIpv4(r.ip)));
      const ip = nextFreeAddress(range, (candidate) => reserved.has(candidate), this.lastReserved());
      if (ip === undefined) {
        throw cniError(CNI_CODE.ipamExhausted, 'AMBIT_CNI_IPAM_EXHAUSTED', `no free address in ${formatIpv4(range.start)}-${formatIpv4(range.end)} (all ${capacity(range)} allocated; store ${this.dir})`, {
          hint: 'widen ipam.subnet or the rangeStart/rangeEnd, or garbage-collect stale attachments (CNI GC)',
        });
      }
      const text = formatIpv4(ip);
      writeFileSync(join(this.dir, text), `${key.containerId}\n${key.ifname}`, { flag: 'wx' });
      this.writeAtomic(LAST_RESERVED, text);
      return text;
    });
  }

  /** Releases every address of the attachment; releasing nothing is fine (DEL is idempotent). */
  release(key: AttachmentKey): string[] {
    if (!existsSync(this.dir)) return [];
    return this.locked(() => this.remove((r) => r.containerId === key.containerId && r.ifname === key.ifname));
  }

  /** Releases every reservation whose attachment is not in `valid`. */
  gc(valid: readonly AttachmentKey[]): string[] {
    const keep = new Set(valid.map((v) => `${v.containerId}\n${v.ifname}`));
    if (!existsSync(this.dir)) return [];
    return this.locked(() => this.remove((r) => !keep.has(`${r.containerId}\n${r.ifname}`)));
  }

  find(key: AttachmentKey): Reservation[] {
    return this.list().filter((r) => r.containerId === key.containerId && r.ifname === key.ifname);
  }

  /** Every reservation on disk (a missing directory means none). */
  list(): Reservation[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: Reservation[] = [];
    for (const name of names) {
      if (parseIpv4(name) === undefined) continue;
      let text: string;
      try {
        text = readFileSync(join(this.dir, name), 'utf8');
      } catch {
        continue; // released meanwhile
      }
      const [containerId = '', ifname = ''] = text.split(/\r?\n/);
      out.push({ ip: name, containerId: containerId.trim(), ifname: ifname.trim() });
    }
    return out;
  }

  private remove(match: (r: Reservation) => boolean): string[] {
    const removed: string[] = [];
    for (const r of this.list()) {
      if (!match(r)) continue;
      rmSync(join(this.dir, r.ip), { force: true });
      removed.push(r.ip);
    }
    return removed;
  }

  private lastReserved(): number | undefined {
    try {
      return parseIpv4(readFileSync(join(this.dir, LAST_RESERVED), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  private writeAtomic(name: string, text: string): void {
    const tmp = join(this.dir, `.${name}.${process.pid}`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.dir, name));
  }

  private locked<T>(fn: () => T): T {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    try {
      return withFileLockSync(join(this.dir, 'lock'), fn, { timeoutMs: LOCK_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof AmbitError && error.code === 'AMBIT_NETNS_LOCK_TIMEOUT') {
        throw cniError(CNI_CODE.tryAgain, 'AMBIT_CNI_IPAM_BUSY', `IPAM store ${this.dir} is busy: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}
