// One JSON record per attachment in `<dataDir>/attachments/<containerId>-<ifname>.json`: what
// ADD did, so DEL, CHECK and GC know what to undo or verify even without a prevResult.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodArgs } from '../protocol/cni-args.ts';
import type { CniIpConfig, CniRoute } from '../protocol/types.ts';

export interface AttachmentKey {
  containerId: string;
  ifname: string;
}

export interface AttachmentRecord extends AttachmentKey {
  /** `primary`: ambit-cni made the veth and called IPAM; `chained`: it followed another plugin. */
  mode: 'primary' | 'chained';
  network: string;
  cniVersion: string;
  netns: string;
  pod: PodArgs;
  ips: CniIpConfig[];
  /** Primary mode only. */
  hostIfname?: string;
  gateway?: string;
  routes?: CniRoute[];
  createdAt: string;
}

function isRecord(value: unknown): value is AttachmentRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['containerId'] === 'string' && typeof v['ifname'] === 'string' && (v['mode'] === 'primary' || v['mode'] === 'chained') && Array.isArray(v['ips']);
}

export class AttachmentStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'attachments');
  }

  fileOf(key: AttachmentKey): string {
    return join(this.dir, `${key.containerId}-${key.ifname}.json`);
  }

  write(record: AttachmentRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const file = this.fileOf(record);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, file);
  }

  /** The record of `key`, or undefined when there is none (or it is unreadable). */
  read(key: AttachmentKey): AttachmentRecord | undefined {
    try {
      const value = JSON.parse(readFileSync(this.fileOf(key), 'utf8')) as unknown;
      return isRecord(value) && value.containerId === key.containerId && value.ifname === key.ifname ? value : undefined;
    } catch {
      return undefined;
    }
  }

  remove(key: AttachmentKey): void {
    rmSync(this.fileOf(key), { force: true });
  }

  list(): AttachmentRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: AttachmentRecord[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const value = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as unknown;
        if (isRecord(value)) out.push(value);
      } catch {
        // half-written or foreign file: not ours to judge
      }
    }
    return out;
  }
}
