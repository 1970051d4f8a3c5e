// `HOST:PORT` targets of probes: `10.0.0.1:80`, `web.default:8080`, `[fd00::1]:80`. Pure.
import { AmbitError } from '@ambit/core';

export interface Target {
  host: string;
  port: number;
}

export function parseTarget(to: string): Target | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(to);
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  const host = match[1] ?? match[2];
  return host === undefined ? null : { host, port };
}

/** parseTarget for library callers: throws AMBIT_WORKLOAD_BAD_TARGET on a malformed target. */
export function requireTarget(to: string): Target {
  const target = parseTarget(to);
  if (target === null) {
    throw new AmbitError('AMBIT_WORKLOAD_BAD_TARGET', `invalid probe target "${to}"`, { hint: 'write HOST:PORT, e.g. 10.244.1.5:80 or web.default:80 or [fd00::1]:80' });
  }
  return target;
}
