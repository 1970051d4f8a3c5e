// The access log's writer (waypoint and ztunnel): a Logger, so the telemetry code keeps its Logger
// seam, that writes the same JSON line the process logger would
// (`{"level","time",<bindings>,<fields>,"msg"}`) for a fraction of the cost. Measured under load
// (packages/waypoint/bench/request-path.ts), the shared pino logger
// spent most of an access line on per-key serialisation, redaction of keys the access log never
// has, and one synchronous write per line. Here a line is one JSON.stringify of its flat fields,
// and the lines of one event-loop turn leave in one write.
import { writeSync } from 'node:fs';
import type { LogFields, Logger, LogFormat } from './logger.ts';

/** Pending bytes above which new lines are dropped (counted) rather than held: a stuck reader must not grow the heap. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** How long to wait before writing again when the destination would block (a full pipe). */
const RETRY_MS = 10;

/** Where the lines go; `fs.writeSync` on a descriptor in the process. */
export type WriteSync = (data: Buffer) => number;

/** Lines batched per event-loop turn and written synchronously, in order, never blocking the loop on a full pipe. */
export class LineWriter {
  readonly #write: WriteSync;
  #lines: string[] = [];
  #pendingBytes = 0;
  /** The unwritten tail of a write the destination took only in part, and how many lines it holds (or ends). */
  #rest: Buffer | undefined;
  #restLines = 0;
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  /** Lines not written: dropped above MAX_PENDING_BYTES or lost to a destination that failed. */
  dropped = 0;

  constructor(write: WriteSync) {
    this.#write = write;
  }

  push(line: string): void {
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.#lines.push(line);
    this.#pendingBytes += line.length;
    if (!this.#scheduled && this.#retry === undefined) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is pending now; on EAGAIN keeps it and tries again shortly. */
  flush(): void {
    let data = this.#rest;
    let lines = this.#restLines + this.#lines.length;
    if (this.#lines.length > 0) {
      const joined = Buffer.from(this.#lines.join(''));
      data = data === undefined ? joined : Buffer.concat([data, joined]);
      this.#lines = [];
    }
    this.#rest = undefined;
    this.#restLines = 0;
    while (data !== undefined && data.length > 0) {
      let n: number;
      try {
        n = this.#write(data);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'EAGAIN' || code === 'EBUSY') {
          this.#rest = data;
          this.#restLines = lines;
          this.#pendingBytes = data.length;
          this.#retry ??= setTimeout(() => {
            this.#retry = undefined;
            this.flush();
          }, RETRY_MS);
          // Held lines do not keep a stopping process alive; stop() flushes what it can.
          this.#retry.unref();
          return;
        }
        // A closed or broken destination: the lines are lost, the proxy goes on.
        this.dropped += lines;
        break;
      }
      // Lines wholly written leave the count; a partly written one stays in it.
      if (n >= data.length) lines = 0;
      else if (n > 0) lines = countNewlines(data, n, lines);
      data = data.subarray(n);
    }
    this.#pendingBytes = 0;
  }
}

/** Lines still unwritten after `written` bytes of `data` went out. */
function countNewlines(data: Buffer, written: number, lines: number): number {
  let left = lines;
  let at = data.indexOf(10);
  while (at >= 0 && at < written) {
    left--;
    at = data.indexOf(10, at + 1);
  }
  return left;
}

/** A Logger whose lines carry `bindings` after level and time, as pino's children do. */
export class JsonLineLogger implements Logger {
  readonly #writer: LineWriter;
  readonly #format: LogFormat;
  /** `"key":value,` for every binding, serialised once. */
  readonly #bound: string;
  readonly #bindings: LogFields;
  readonly #now: () => Date;

  constructor(writer: LineWriter, format: LogFormat, bindings: LogFields = {}, now: () => Date = () => new Date()) {
    this.#writer = writer;
    this.#format = format;
    this.#bindings = bindings;
    this.#now = now;
    const json = JSON.stringify(bindings);
    this.#bound = json === '{}' ? '' : `${json.slice(1, -1)},`;
  }

  #line(level: number, label: string, fields: LogFields, message: string): void {
    const json = JSON.stringify(fields);
    const body = json === '{}' ? '' : `${json.slice(1, -1)},`;
    // pino's JSON form: numeric levels; the text form labels them (createLogger in @ambit/core).
    const levelValue = this.#format === 'json' ? String(level) : `"${label}"`;
    this.#writer.push(`{"level":${levelValue},"time":"${this.#now().toISOString()}",${this.#bound}${body}"msg":${JSON.stringify(message)}}\n`);
  }

  debug(): void {
    // The access log writes at info; debug lines are below the process's default level.
  }

  info(fields: LogFields, message: string): void {
    this.#line(30, 'info', fields, message);
  }

  warn(fields: LogFields, message: string): void {
    this.#line(40, 'warn', fields, message);
  }

  error(fields: LogFields, message: string): void {
    this.#line(50, 'error', fields, message);
  }

  child(bindings: LogFields): Logger {
    return new JsonLineLogger(this.#writer, this.#format, { ...this.#bindings, ...bindings }, this.#now);
  }
}

/** The access log on a file descriptor (the process's stderr in the pod). */
export function accessLogOn(fd: number, format: LogFormat, bindings: LogFields): { logger: Logger; writer: LineWriter } {
  const writer = new LineWriter((data) => writeSync(fd, data));
  return { logger: new JsonLineLogger(writer, format, bindings), writer };
}
