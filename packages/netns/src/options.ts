// Validation of the options callers pass, into the positional arguments of the addon. Pure: every
// problem is listed in one AMBIT_NETNS_INVALID_OPTION error.
import { isIP } from 'node:net';
import { AmbitError } from '@ambit/core';
import { NetnsErrorCode } from './errors.ts';

export interface NetnsSocketOptions {
  /** Namespace file, e.g. /run/netns/<name> or /proc/<pid>/ns/net. */
  netns: string;
  /** Address family; default 4. */
  family?: 4 | 6;
  type: 'tcp' | 'udp';
  bind?: { address: string; port: number };
  /** Backlog: make it a listening TCP socket. */
  listen?: number;
  /** SO_MARK (needs CAP_NET_ADMIN). */
  mark?: number;
  /** IP_TRANSPARENT / IPV6_TRANSPARENT: bind and connect from non-local addresses (needs CAP_NET_ADMIN). */
  transparent?: boolean;
  /** SO_REUSEADDR. */
  reuseAddress?: boolean;
}

/** The addon's openSocket arguments, in order. */
export type OpenSocketArgs = [
  netns: string,
  family: 4 | 6,
  type: 0 | 1,
  bindAddress: string | null,
  bindPort: number,
  backlog: number,
  mark: number,
  transparent: boolean,
  reuseAddress: boolean,
];

export function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function checkMark(value: unknown, field: string, problems: string[]): void {
  if (value !== undefined && !isInteger(value, 0, 0xffffffff)) problems.push(`${field} must be an integer in [0, 0xffffffff], got ${String(value)}`);
}

export function checkNetns(value: unknown, problems: string[]): void {
  if (typeof value !== 'string' || value === '' || value.includes('\0'))
    problems.push(`netns must be a non-empty path such as /run/netns/<name>, got ${JSON.stringify(value)}`);
}

/** Checks an IP literal against a family (4 or 6); pushes a problem naming `field`. */
export function checkAddress(value: unknown, family: 4 | 6, field: string, problems: string[]): void {
  if (typeof value !== 'string' || isIP(value) !== family) problems.push(`${field} must be an IPv${family} address, got ${JSON.stringify(value)}`);
}

export function throwIfProblems(problems: string[], what: string): void {
  if (problems.length === 0) return;
  throw new AmbitError(NetnsErrorCode.invalidOption, `invalid options for ${what}: ${problems.join('; ')}`, {
    details: { problems },
  });
}

/** Validates NetnsSocketOptions (from untyped callers too) into the addon's arguments. */
export function socketArgs(options: NetnsSocketOptions, what = 'openSocketInNetns'): OpenSocketArgs {
  const problems: string[] = [];
  checkNetns(options.netns, problems);
  const family = options.family ?? 4;
  if (family !== 4 && family !== 6) problems.push(`family must be 4 or 6, got ${String(family)}`);
  if (options.type !== 'tcp' && options.type !== 'udp') problems.push(`type must be 'tcp' or 'udp', got ${JSON.stringify(options.type)}`);
  if (options.bind !== undefined) {
    if (family === 4 || family === 6) checkAddress(options.bind.address, family, 'bind.address', problems);
    if (!isInteger(options.bind.port, 0, 65535)) problems.push(`bind.port must be an integer in [0, 65535], got ${String(options.bind.port)}`);
  }
  if (options.listen !== undefined) {
    if (!isInteger(options.listen, 0, 0x7fffffff)) problems.push(`listen (backlog) must be a non-negative integer, got ${String(options.listen)}`);
    if (options.type === 'udp') problems.push('listen applies to tcp sockets only');
  }
  checkMark(options.mark, 'mark', problems);
  throwIfProblems(problems, what);
  return [
    options.netns,
    family,
    options.type === 'udp' ? 1 : 0,
    options.bind?.address ?? null,
    options.bind?.port ?? 0,
    options.listen ?? -1,
    options.mark ?? -1,
    options.transparent === true,
    options.reuseAddress === true,
  ];
}

/** `tcp listener on 0.0.0.0:15001`, for error messages. */
export function describeSocket(args: OpenSocketArgs): string {
  const [, family, type, address, port, backlog, , transparent] = args;
  const kind = `${type === 1 ? 'udp' : 'tcp'}${family === 6 ? '6' : ''} ${backlog >= 0 ? 'listener' : 'socket'}`;
  const where = address === null ? '' : ` on ${family === 6 ? `[${address}]` : address}:${port}`;
  return `${kind}${where}${transparent ? ' (transparent)' : ''}`;
}
