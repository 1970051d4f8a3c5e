// A directory of YAML files as the config source (the lab's supervisor writes one object per file;
// users may drop their own files in). Each file stands alone: a file that fails validation keeps
// serving its last good resources and its problems are reported, so bad input changes nothing.
// Changes are seen through fs.watch (inotify), with a periodic rescan as a safety net for events
// the kernel coalesces or drops.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResources, resourceKey, type Resource } from '@ambit/api';
import { formatProblem, type Logger, type Problem } from '@ambit/core';
import type { ConfigChange, ConfigSource } from './source.ts';

const YAML_FILE = /^[^.].*\.(ya?ml|json)$/;

/** Kinds the lab writes that the control plane derives itself and does not read. */
const DERIVED_KINDS = new Set(['EndpointSlice']);

interface FileState {
  signature: string;
  text: string;
  keys: string[];
  problems: Problem[];
}

export interface DirectorySourceOptions {
  dir: string;
  logger: Logger;
  /** Rescan period in ms (default 2000). */
  rescanMs?: number;
  /** Quiet period before a batch of file events is read (default 20 ms). */
  settleMs?: number;
}

export class DirectoryConfigSource implements ConfigSource {
  private readonly files = new Map<string, FileState>();
  private readonly resources = new Map<string, Resource>();
  private readonly owner = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private listener: ((change: ConfigChange) => void) | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested = false;
  private lastCompleteScanStartedAt = 0;
  private readonly options: DirectorySourceOptions;

  constructor(options: DirectorySourceOptions) {
    this.options = options;
  }

  async start(listener: (change: ConfigChange) => void): Promise<void> {
    this.listener = listener;
    await this.scan();
    try {
      this.watcher = watch(this.options.dir, { persistent: false }, () => this.scheduleScan());
      this.watcher.on('error', (error) => this.options.logger.warn({ err: error.message }, 'watching the config directory failed; relying on rescans'));
    } catch (error) {
      this.options.logger.warn({ err: String(error) }, 'cannot watch the config directory; relying on rescans');
    }
    this.timer = setInterval(() => this.scheduleScan(), this.options.rescanMs ?? 2000);
    this.timer.unref();
  }

  /**
   * When the last complete scan began (epoch ms). Everything written before that instant has been
   * read and applied; the lab waits on it so `lab apply` returns once the control plane has the change.
   */
  syncedAsOf(): number {
    return this.lastCompleteScanStartedAt;
  }

  problems(): Problem[] {
    return [...this.files.values()].flatMap((f) => f.problems);
  }

  async close(): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    await this.scanning;
  }

  private scheduleScan(): void {
    if (this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      void this.scan();
    }, this.options.settleMs ?? 20);
  }

  /** One scan at a time; a request during a scan runs one more scan after it. */
  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescanRequested = false;
          const startedAt = performance.timeOrigin + performance.now();
          await this.scanOnce();
          this.lastCompleteScanStartedAt = startedAt;
        } while (this.rescanRequested);
      } catch (error) {
        this.options.logger.error({ err: String(error) }, 'config scan failed');
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.options.dir)).filter((n) => YAML_FILE.test(n)).sort();
    } catch (error) {
      this.options.logger.warn({ dir: this.options.dir, err: String(error) }, 'cannot read the config directory');
      return;
    }
    const change: ConfigChange = { upserted: [], deleted: [] };
    const present = new Set(names);
    for (const name of [...this.files.keys()]) if (!present.has(name)) this.dropFile(name, change);
    for (const name of names) await this.readFileState(name, change);
    if (change.upserted.length > 0 || change.deleted.length > 0) this.listener?.(change);
  }

  private async readFileState(name: string, change: ConfigChange): Promise<void> {
    const path = join(this.options.dir, name);
    let text: string;
    let signature: string;
    try {
      const info = await stat(path);
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (this.files.get(name)?.signature === signature) return;
      text = await readFile(path, 'utf8');
    } catch {
      return; // removed between readdir and read: the next scan drops it
    }
    const previous = this.files.get(name);
    if (previous?.text === text) {
      previous.signature = signature;
      return;
    }
    const parsed = parseResources([{ path, text }]);
    const problems = parsed.problems.filter((p) => !(p.code === 'AMBIT_API_UNKNOWN_KIND' && DERIVED_KINDS.has(kindOf(text))));
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      // Keep the last good resources of this file; report what is wrong.
      for (const p of errors) this.options.logger.warn({ problem: formatProblem(p) }, 'config file refused; keeping its last good state');
      this.files.set(name, { signature, text, keys: previous?.keys ?? [], problems });
      return;
    }
    const keys: string[] = [];
    for (const resource of parsed.resources) {
      const key = resourceKey(resource);
      const other = this.owner.get(key);
      if (other !== undefined && other !== name) {
        this.options.logger.warn({ key, file: name, first: other }, 'resource defined in two files; the first file keeps it');
        continue;
      }
      keys.push(key);
      this.owner.set(key, name);
      this.resources.set(key, resource);
      change.upserted.push(resource);
    }
    for (const key of previous?.keys ?? []) {
      if (!keys.includes(key)) this.dropKey(key, change);
    }
    this.files.set(name, { signature, text, keys, problems });
  }

  private dropFile(name: string, change: ConfigChange): void {
    for (const key of this.files.get(name)?.keys ?? []) this.dropKey(key, change);
    this.files.delete(name);
  }

  private dropKey(key: string, change: ConfigChange): void {
    this.resources.delete(key);
    this.owner.delete(key);
    change.deleted.push(key);
  }
}

function kindOf(text: string): string {
  return /^kind:\s*(\S+)/m.exec(text)?.[1] ?? '';
}
