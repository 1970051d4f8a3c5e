// Libraries take a Logger; only apps create one (with pino). The interface is the subset of pino
// that libraries need, so tests can pass a recording logger.
import { pino, type Logger as PinoLogger } from 'pino';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: LogFields): Logger;
}

export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  /** Component name, e.g. `supervisor`, `ambit-cni`. */
  component: string;
  level?: string;
  format?: LogFormat;
  /** Where lines go; defaults to stderr so stdout stays free for results (CNI, CLI JSON). */
  destination?: number | string;
}

/** Field names whose values are never written to logs. */
const REDACT = ['token', 'key', 'privateKey', 'authorization', 'credential', '*.token', '*.key', '*.credential'];

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? (process.env['LOG_FORMAT'] === 'json' ? 'json' : 'text');
  const destination = pino.destination({ dest: options.destination ?? 2, sync: true, mkdir: true });
  const base: PinoLogger = pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { component: options.component },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(format === 'text' ? { formatters: { level: (label: string) => ({ level: label }) } } : {}),
    },
    destination,
  );
  return base;
}

/** A logger that drops everything: for library callers that do not care. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
