// Reading a component's settings from environment variables, one error code per component: an
// unset or empty variable takes its default, a malformed one fails start-up with a message naming
// the variable and its value.
import { AmbitError } from './errors.ts';

export interface EnvSettings {
  /** The value; AmbitError `code` when unset or empty. */
  required(name: string): string;
  /** An integer in [min, max], or `fallback` when unset or empty. */
  integer(name: string, fallback: number, min: number, max: number): number;
  /** A TCP/UDP port (1-65535), or `fallback` when unset or empty. */
  port(name: string, fallback: number): number;
  /** One of `values`, or `fallback` when unset or empty. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T;
}

export function envSettings(env: NodeJS.ProcessEnv, code: string, options: { requiredHint?: string } = {}): EnvSettings {
  const fail = (message: string, hint?: string): never => {
    throw new AmbitError(code, message, hint === undefined ? {} : { hint });
  };
  return {
    required(name) {
      const value = env[name];
      return value ? value : fail(`${name} is required`, options.requiredHint);
    },
    integer(name, fallback, min, max) {
      const text = env[name];
      if (!text) return fallback;
      const value = Number(text);
      return Number.isInteger(value) && value >= min && value <= max ? value : fail(`${name}=${text} is not an integer in [${min}, ${max}]`);
    },
    port(name, fallback) {
      const text = env[name];
      if (!text) return fallback;
      const value = Number(text);
      return Number.isInteger(value) && value >= 1 && value <= 65535 ? value : fail(`${name}=${text} is not a port number (1-65535)`);
    },
    oneOf(name, values, fallback) {
      const text = env[name];
      if (!text) return fallback;
      return (values as readonly string[]).includes(text) ? (text as (typeof values)[number]) : fail(`${name}=${text} is not one of ${values.join(', ')}`);
    },
  };
}
