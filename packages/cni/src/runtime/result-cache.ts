// The runtime's cache of final ADD results, keyed by (network, containerId, ifname), in the spirit
// of libcni's `<cacheDir>/results/<network>-<containerId>-<ifname>` cniCacheV1 files. DEL and
// CHECK read it for prevResult; GC reads it to find attachments that are no longer valid.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniResult } from '../protocol/types.ts';

export interface CacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs: Record<string, string>;
  capabilityArgs: Record<string, unknown>;
  result: CniResult;
}

function isEntry(value: unknown): value is CacheEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['kind'] === 'cniCacheV1' && typeof v['containerId'] === 'string' && typeof v['ifName'] === 'string' && typeof v['networkName'] === 'string' && typeof v['result'] === 'object';
}

export class ResultCache {
  readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'results');
  }

  fileOf(network: string, containerId: string, ifname: string): string {
    return join(this.dir, `${network}-${containerId}-${ifname}`);
  }

  async write(entry: CacheEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(entry.networkName, entry.containerId, entry.ifName);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await rename(tmp, file);
  }

  /** The entry, or undefined when missing or unreadable (DEL tolerates a missing cache). */
  async read(network: string, containerId: string, ifname: string): Promise<CacheEntry | undefined> {
    try {
      const value = JSON.parse(await readFile(this.fileOf(network, containerId, ifname), 'utf8')) as unknown;
      return isEntry(value) && value.containerId === containerId && value.ifName === ifname ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(network: string, containerId: string, ifname: string): Promise<void> {
    await rm(this.fileOf(network, containerId, ifname), { force: true });
  }

  async list(network: string): Promise<CacheEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: CacheEntry[] = [];
    for (const name of names) {
      if (!name.startsWith(`${network}-`) || name.endsWith('.tmp')) continue;
      try {
        const value = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as unknown;
        if (isEntry(value) && value.networkName === network) out.push(value);
      } catch {
        // unreadable: skip
      }
    }
    return out;
  }
}
