// Turns failures reported by the addon (an Error with `errno` and `syscall`) into AmbitErrors with
// stable codes and messages that name the namespace, the step and the errno. Pure.
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';
import { AmbitError } from '@ambit/core';

export const NetnsErrorCode = {
  /** The addon is not built or cannot be loaded. */
  addonMissing: 'AMBIT_NETNS_ADDON_MISSING',
  /** An option is missing, of the wrong type or out of range. */
  invalidOption: 'AMBIT_NETNS_INVALID_OPTION',
  /** The namespace file cannot be opened or entered (missing, not a netns, no privilege). */
  openFailed: 'AMBIT_NETNS_OPEN_FAILED',
  /** The path exists but is not a namespace file (nsfs). */
  notNamespace: 'AMBIT_NETNS_NOT_A_NAMESPACE',
  /** socket, setsockopt, bind or listen failed for a socket in the namespace. */
  socketFailed: 'AMBIT_NETNS_SOCKET_FAILED',
  /** A socket option on an existing socket could not be set. */
  sockoptFailed: 'AMBIT_NETNS_SOCKOPT_FAILED',
  /** SO_ORIGINAL_DST failed (typically: the connection was not NATed). */
  originalDstFailed: 'AMBIT_NETNS_ORIGINAL_DST_FAILED',
  /** The socket has no file descriptor (not open, destroyed, or not a TCP socket). */
  noFd: 'AMBIT_NETNS_NO_FD',
  /** A connection from inside a namespace failed. */
  connectFailed: 'AMBIT_NETNS_CONNECT_FAILED',
  /** A connection from inside a namespace did not complete within timeoutMs. */
  connectTimeout: 'AMBIT_NETNS_CONNECT_TIMEOUT',
  /** The lock file could not be opened or locked. */
  lockFailed: 'AMBIT_NETNS_LOCK_FAILED',
  /** Another holder kept the lock longer than timeoutMs. */
  lockTimeout: 'AMBIT_NETNS_LOCK_TIMEOUT',
} as const;

/** What the addon throws. */
export interface NativeFailure {
  errno: number;
  syscall: string;
}

export function asNativeFailure(error: unknown): NativeFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const { errno, syscall } = error as Error & { errno?: unknown; syscall?: unknown };
  if (typeof errno !== 'number' || typeof syscall !== 'string') return undefined;
  return { errno, syscall };
}

/** `ENOENT (no such file or directory)` for a positive errno number. */
export function describeErrno(errno: number): string {
  try {
    return `${getSystemErrorName(-errno)} (${getSystemErrorMessage(-errno)})`;
  } catch {
    return `errno ${errno}`;
  }
}

/** The symbolic name (`ENOENT`) of a positive errno number, or `errno N`. */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

const ENTER_STEPS = new Set(['open', 'setns', 'open own netns']);

function enterHint(failure: NativeFailure): string | undefined {
  switch (errnoName(failure.errno)) {
    case 'ENOENT':
      return 'no such namespace: check `ip netns list`, or the pod is gone';
    case 'EINVAL':
      return 'the path is not a network namespace file';
    case 'EPERM':
    case 'EACCES':
      return 'entering a network namespace needs CAP_SYS_ADMIN (run as root)';
    default:
      return undefined;
  }
}

function socketHint(failure: NativeFailure): string | undefined {
  const name = errnoName(failure.errno);
  if (name === 'EADDRNOTAVAIL' && failure.syscall === 'bind')
    return 'the address is not assigned in that namespace; transparent: true allows binding a non-local address';
  if (name === 'EADDRINUSE') return 'another socket in that namespace holds this address and port';
  if (name === 'EPERM' || name === 'EACCES') return 'SO_MARK and IP_TRANSPARENT need CAP_NET_ADMIN (run as root)';
  return undefined;
}

/**
 * The AmbitError for a failed openSocket call. `what` describes the socket, e.g. `tcp listener on 0.0.0.0:15001`.
 * Non-addon errors (bugs) are rethrown unchanged.
 */
export function openSocketError(error: unknown, netns: string, what: string): Error {
  const failure = asNativeFailure(error);
  if (failure === undefined) return error instanceof Error ? error : new Error(String(error));
  const errnoText = describeErrno(failure.errno);
  const details = { netns, syscall: failure.syscall, errno: errnoName(failure.errno) };
  if (ENTER_STEPS.has(failure.syscall)) {
    const hint = enterHint(failure);
    return new AmbitError(
      NetnsErrorCode.openFailed,
      `cannot enter network namespace ${netns}: ${failure.syscall}: ${errnoText}`,
      { cause: error, details, ...(hint === undefined ? {} : { hint }) },
    );
  }
  const hint = socketHint(failure);
  return new AmbitError(
    NetnsErrorCode.socketFailed,
    `cannot create ${what} in network namespace ${netns}: ${failure.syscall}: ${errnoText}`,
    { cause: error, details, ...(hint === undefined ? {} : { hint }) },
  );
}

/** The AmbitError for a failed call on an existing socket (SO_MARK, SO_ORIGINAL_DST). */
export function socketCallError(error: unknown, code: string, what: string, hint?: string): Error {
  const failure = asNativeFailure(error);
  if (failure === undefined) return error instanceof Error ? error : new Error(String(error));
  return new AmbitError(code, `cannot ${what}: ${failure.syscall}: ${describeErrno(failure.errno)}`, {
    cause: error,
    details: { syscall: failure.syscall, errno: errnoName(failure.errno) },
    ...(hint === undefined ? {} : { hint }),
  });
}
