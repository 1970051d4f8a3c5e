// Sockets inside network namespaces, and the socket options Node does not expose. Each function
// validates its options, makes one addon call on the main thread (which is back in its own
// namespace when the call returns, error or not) and hands the fd to Node's net or dgram.
import { closeSync, statSync, statfsSync } from 'node:fs';
import { Server, Socket, isIP } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { AmbitError } from '@ambit/core';
import { NetnsErrorCode, openSocketError, socketCallError } from './errors.ts';
import { native } from './native.ts';
import {
  checkAddress,
  checkMark,
  checkNetns,
  describeSocket,
  isInteger,
  socketArgs,
  throwIfProblems,
  type NetnsSocketOptions,
  type OpenSocketArgs,
} from './options.ts';
import { parseSockaddr, type SocketAddress } from './sockaddr.ts';

function open(args: OpenSocketArgs): number {
  try {
    return native().openSocket(...args);
  } catch (error) {
    if (error instanceof AmbitError) throw error;
    throw openSocketError(error, args[0], describeSocket(args));
  }
}

/**
 * Creates a socket inside the network namespace `netns` and returns its fd (O_NONBLOCK|O_CLOEXEC),
 * options applied in this order: SO_REUSEADDR, SO_MARK, IP(V6)_TRANSPARENT, bind, listen.
 * The caller owns the fd.
 */
export function openSocketInNetns(options: NetnsSocketOptions): number {
  return open(socketArgs(options));
}

export type ListenInNetnsOptions = Omit<NetnsSocketOptions, 'type' | 'listen'> & { backlog?: number };

/**
 * A TCP listener inside `netns`, served by `server` (default: a new net.Server with
 * allowHalfOpen: true, as proxies need). Resolves once listening.
 */
export async function listenInNetns(options: ListenInNetnsOptions, server?: Server): Promise<Server> {
  const { backlog = 511, ...rest } = options;
  const args = socketArgs({ ...rest, type: 'tcp', listen: backlog }, 'listenInNetns');
  const fd = open(args);
  const target = server ?? new Server({ allowHalfOpen: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      target.once('error', onError);
      target.listen({ fd, backlog }, () => {
        target.off('error', onError);
        resolve();
      });
    });
  } catch (error) {
    // listen() closes the handle it made from our fd on error; close only if it never got that far.
    if (!target.listening) tryClose(fd);
    throw new AmbitError(NetnsErrorCode.socketFailed, `cannot listen on ${describeSocket(args)} in network namespace ${args[0]}: ${errorText(error)}`, {
      cause: error,
    });
  }
  return target;
}

export interface ConnectInNetnsOptions {
  netns: string;
  /** IP literal: names would be resolved with the host's resolver, not the namespace's. */
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  mark?: number;
  transparent?: boolean;
  /** Give up (and destroy the socket) if not connected by then. */
  timeoutMs?: number;
}

/**
 * A TCP connection made from inside `netns`: the socket is created there (with bind, SO_MARK,
 * IP_TRANSPARENT as asked), then connected by libuv. allowHalfOpen is true.
 */
export async function connectInNetns(options: ConnectInNetnsOptions): Promise<Socket> {
  const problems: string[] = [];
  checkNetns(options.netns, problems);
  const family = isIP(options.host);
  if (family !== 4 && family !== 6) problems.push(`host must be an IP address, got ${JSON.stringify(options.host)}`);
  if (!isInteger(options.port, 1, 65535)) problems.push(`port must be an integer in [1, 65535], got ${String(options.port)}`);
  const fam: 4 | 6 = family === 6 ? 6 : 4;
  if (options.localAddress !== undefined) checkAddress(options.localAddress, fam, 'localAddress', problems);
  if (options.localPort !== undefined && !isInteger(options.localPort, 0, 65535))
    problems.push(`localPort must be an integer in [0, 65535], got ${String(options.localPort)}`);
  checkMark(options.mark, 'mark', problems);
  if (options.timeoutMs !== undefined && !isInteger(options.timeoutMs, 1, 0x7fffffff))
    problems.push(`timeoutMs must be a positive integer, got ${String(options.timeoutMs)}`);
  throwIfProblems(problems, 'connectInNetns');

  const bindAddress = options.localAddress ?? (options.localPort !== undefined ? (fam === 6 ? '::' : '0.0.0.0') : undefined);
  const args = socketArgs(
    {
      netns: options.netns,
      family: fam,
      type: 'tcp',
      ...(bindAddress === undefined ? {} : { bind: { address: bindAddress, port: options.localPort ?? 0 } }),
      ...(options.mark === undefined ? {} : { mark: options.mark }),
      ...(options.transparent === undefined ? {} : { transparent: options.transparent }),
    },
    'connectInNetns',
  );
  const fd = open(args);
  let socket: Socket;
  try {
    socket = new Socket({ fd, allowHalfOpen: true, readable: true, writable: true });
  } catch (error) {
    tryClose(fd);
    throw error;
  }
  const target = `${fam === 6 ? `[${options.host}]` : options.host}:${options.port}`;
  return await new Promise<Socket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const onConnect = (): void => {
      done();
      resolve(socket);
    };
    const onError = (error: Error): void => {
      done();
      socket.destroy();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      reject(
        new AmbitError(NetnsErrorCode.connectFailed, `cannot connect to ${target} from network namespace ${options.netns}: ${code} (${error.message})`, {
          cause: error,
          details: { netns: options.netns, target, code },
        }),
      );
    };
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        done();
        socket.destroy();
        reject(new AmbitError(NetnsErrorCode.connectTimeout, `timed out after ${options.timeoutMs}ms connecting to ${target} from network namespace ${options.netns}`));
      }, options.timeoutMs);
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
    socket.connect({ host: options.host, port: options.port });
  });
}

/**
 * A UDP socket inside `netns` (bound there if `bind` is given, with SO_MARK / IP_TRANSPARENT as
 * asked), handed to node:dgram with bind({ fd }). Resolves once dgram reports 'listening'.
 */
export async function udpSocketInNetns(options: Omit<NetnsSocketOptions, 'type' | 'listen'>): Promise<UdpSocket> {
  const args = socketArgs({ ...options, type: 'udp' }, 'udpSocketInNetns');
  const fd = open(args);
  const socket = createSocket({ type: args[1] === 6 ? 'udp6' : 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ fd }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    tryClose(fd);
    socket.close();
    throw new AmbitError(NetnsErrorCode.socketFailed, `cannot open ${describeSocket(args)} in network namespace ${args[0]}: ${errorText(error)}`, {
      cause: error,
    });
  }
  return socket;
}

/** The fd under a connected or listening net.Socket. The one place that reads socket._handle.fd. */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0)
    throw new AmbitError(NetnsErrorCode.noFd, 'socket has no file descriptor (not connected yet, destroyed, or not a TCP socket)');
  return fd;
}

/**
 * The destination the peer originally dialled before an nft/iptables nat redirect or DNAT sent
 * the connection here (SO_ORIGINAL_DST, or IP6T_SO_ORIGINAL_DST for IPv6).
 */
export function originalDestination(socket: Socket): SocketAddress {
  const fd = socketFd(socket);
  let raw: Buffer;
  try {
    raw = native().originalDst(fd);
  } catch (error) {
    if (error instanceof AmbitError) throw error;
    throw socketCallError(
      error,
      NetnsErrorCode.originalDstFailed,
      `read the original destination of socket fd ${fd}`,
      'ENOENT means the connection was not redirected (no conntrack NAT entry)',
    );
  }
  return parseSockaddr(raw);
}

/** Sets SO_MARK on an open socket (its next packets carry the mark). */
export function setSocketMark(socket: Socket, mark: number): void {
  const problems: string[] = [];
  checkMark(mark, 'mark', problems);
  throwIfProblems(problems, 'setSocketMark');
  const fd = socketFd(socket);
  try {
    native().setMark(fd, mark);
  } catch (error) {
    if (error instanceof AmbitError) throw error;
    throw socketCallError(error, NetnsErrorCode.sockoptFailed, `set SO_MARK 0x${mark.toString(16)} on socket fd ${fd}`);
  }
}

const NSFS_MAGIC = 0x6e736673;

/**
 * The inode of a namespace file (what `ip netns identify` and `ls -Li` compare): two paths name the
 * same namespace exactly when their inodes (on nsfs) are equal.
 */
export function netnsInode(path: string): bigint {
  try {
    const ino = statSync(path, { bigint: true }).ino;
    if (statfsSync(path).type !== NSFS_MAGIC)
      throw new AmbitError(NetnsErrorCode.notNamespace, `${path} is not a namespace file (not on nsfs)`, {
        hint: 'a file under /run/netns whose namespace is gone stays as an empty file; the namespace was deleted',
      });
    return ino;
  } catch (error) {
    if (error instanceof AmbitError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AmbitError(NetnsErrorCode.openFailed, `cannot stat network namespace ${path}: ${code} (${errorText(error)})`, {
      cause: error,
      ...(code === 'ENOENT' ? { hint: 'no such namespace: check `ip netns list`, or the pod is gone' } : {}),
    });
  }
}

function tryClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed by its owner
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
