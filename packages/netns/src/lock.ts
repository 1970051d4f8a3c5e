// Exclusive advisory locks on a lock file with flock(2), for short critical sections shared by
// processes (CNI IPAM allocations, plugin invocations). The lock belongs to an open file
// description: it is released when the holder returns or throws, and by the kernel when the
// holding process dies. Waiting polls LOCK_NB with backoff up to a deadline, so the event loop is
// never blocked for long. Not reentrant: a nested call on the same path waits for itself and times
// out. The lock file is created (with its directory) if missing and is never deleted, since
// deleting a lock file while others wait on it breaks mutual exclusion.
import { closeSync, mkdirSync, openSync, constants as fsConstants } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmbitError } from '@ambit/core';
import { NetnsErrorCode, asNativeFailure, describeErrno } from './errors.ts';
import { isInteger } from './options.ts';
import { native } from './native.ts';

export interface FileLockOptions {
  /** How long to wait for another holder; default 10 000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const FIRST_WAIT_MS = 1;
const MAX_WAIT_MS = 50;

function timeoutOf(path: string, options: FileLockOptions | undefined): number {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!isInteger(timeoutMs, 0, 0x7fffffff))
    throw new AmbitError(NetnsErrorCode.invalidOption, `invalid timeoutMs for lock ${path}: ${String(timeoutMs)}`);
  return timeoutMs;
}

function lockFailed(path: string, step: string, error: unknown): AmbitError {
  const failure = asNativeFailure(error);
  const errno = failure !== undefined ? describeErrno(failure.errno) : error instanceof Error ? error.message : String(error);
  return new AmbitError(NetnsErrorCode.lockFailed, `cannot lock ${path}: ${step}: ${errno}`, { cause: error });
}

function openLockFile(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    // Node opens every file with O_CLOEXEC: children never inherit (and so never keep) the lock.
    return openSync(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
  } catch (error) {
    throw lockFailed(path, 'open', error);
  }
}

function tryLock(fd: number, path: string): boolean {
  try {
    return native().flock(fd, 0);
  } catch (error) {
    if (error instanceof AmbitError) throw error;
    throw lockFailed(path, 'flock', error);
  }
}

function release(fd: number): void {
  // LOCK_UN releases the lock even if some other fd shares the open file description; closing the
  // last fd would too. Errors here cannot leave the lock held once the fd is closed.
  try {
    native().flock(fd, 1);
  } catch {
    // closing below releases it
  }
  closeSync(fd);
}

function timedOut(path: string, timeoutMs: number): AmbitError {
  return new AmbitError(NetnsErrorCode.lockTimeout, `timed out after ${timeoutMs}ms waiting for lock ${path}`, {
    hint: 'another process holds it; `fuser -v` on the file shows which',
  });
}

/** Runs `fn` while holding an exclusive flock(2) on `path`. */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>, options?: FileLockOptions): Promise<T> {
  const timeoutMs = timeoutOf(path, options);
  const fd = openLockFile(path);
  try {
    const end = Date.now() + timeoutMs;
    let wait = FIRST_WAIT_MS;
    while (!tryLock(fd, path)) {
      const left = end - Date.now();
      if (left <= 0) throw timedOut(path, timeoutMs);
      await sleep(Math.min(wait, left));
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  try {
    return await fn();
  } finally {
    release(fd);
  }
}

/** Synchronous withFileLock for short-lived processes (CNI plugins); blocks the thread while waiting. */
export function withFileLockSync<T>(path: string, fn: () => T, options?: FileLockOptions): T {
  const timeoutMs = timeoutOf(path, options);
  const fd = openLockFile(path);
  try {
    const end = Date.now() + timeoutMs;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    let wait = FIRST_WAIT_MS;
    while (!tryLock(fd, path)) {
      const left = end - Date.now();
      if (left <= 0) throw timedOut(path, timeoutMs);
      Atomics.wait(cell, 0, 0, Math.min(wait, left));
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  try {
    return fn();
  } finally {
    release(fd);
  }
}
