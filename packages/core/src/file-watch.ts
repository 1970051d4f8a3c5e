// Following a small file that another process replaces (a trust bundle written with
// temporary file + rename): fs.watch on its directory for promptness, plus a bounded periodic
// stat in case the watch misses an event (some file systems, a directory re-created). The
// callback runs only when the content changed; no throw escapes a watch handler or a timer.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errorMessage } from './errors.ts';
import type { Logger } from './logger.ts';

export interface FileContentWatchOptions {
  /** The content read at start (the watcher reports only later changes); undefined: report the first read. */
  initial?: string;
  /** Periodic check; default 2000 ms, at least 100 ms. */
  intervalMs?: number;
  /** Files larger than this are ignored with a warning; default 1 MiB. */
  maxBytes?: number;
  logger: Logger;
  onChange(text: string): void | Promise<void>;
}

export interface FileContentWatch {
  /** Reads the file now and reports a change (the periodic check does the same). */
  check(): Promise<void>;
  close(): void;
}

export function watchFileContent(path: string, options: FileContentWatchOptions): FileContentWatch {
  const logger = options.logger;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const intervalMs = Math.max(100, options.intervalMs ?? 2000);
  let last = options.initial;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const readOnce = async (): Promise<void> => {
    let text: string;
    try {
      const info = await stat(path);
      if (info.size > maxBytes) {
        logger.warn({ path, size: info.size, maxBytes }, 'watched file is too large; ignored');
        return;
      }
      text = await readFile(path, 'utf8');
    } catch (error) {
      logger.debug({ path, err: errorMessage(error) }, 'watched file not readable now; keeping the last content');
      return;
    }
    if (closed || text === last) return;
    last = text;
    try {
      await options.onChange(text);
    } catch (error) {
      logger.error({ path, err: errorMessage(error) }, 'file change handler failed');
    }
  };

  // One read at a time; a change noticed meanwhile reads once more afterwards.
  const check = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  let watcher: FSWatcher | undefined;
  try {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === null || file === name) void check();
    });
    watcher.on('error', (error) => {
      logger.warn({ path, err: errorMessage(error) }, 'file watch failed; the periodic check goes on');
      watcher?.close();
      watcher = undefined;
    });
  } catch (error) {
    logger.warn({ path, err: errorMessage(error) }, 'cannot watch the directory; relying on the periodic check');
  }
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  if (last === undefined) void check();

  return {
    check,
    close(): void {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
