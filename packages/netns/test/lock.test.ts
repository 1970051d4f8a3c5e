// withFileLock / withFileLockSync across processes: mutual exclusion, release on throw, and
// release by the kernel when the holder is killed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { withFileLock, withFileLockSync } from '../src/index.ts';
import { LOCK_CHILD, waitForLine } from './helpers.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ambit-netns-lock-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function isCode(code: string): (error: unknown) => boolean {
  return (error) => error instanceof AmbitError && error.code === code;
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('withFileLock', () => {
  for (const flavours of [['async', 'async', 'async', 'async'], ['sync', 'sync', 'async', 'sync']]) {
    it(`serialises holders in ${flavours.length} processes (${flavours.join(', ')})`, async () => {
      const work = mkdtempSync(join(dir, 'work-'));
      const lock = join(work, 'sub', 'ipam.lock'); // the directory is created on demand
      writeFileSync(join(work, 'counter'), '0');
      writeFileSync(join(work, 'log'), '');
      const iterations = 10;
      const children = flavours.map((flavour) =>
        spawn(process.execPath, [LOCK_CHILD, 'work', lock, work, String(iterations), flavour], { stdio: ['ignore', 'inherit', 'inherit'] }),
      );
      const codes = await Promise.all(children.map(exitOf));
      assert.deepEqual(codes, flavours.map(() => 0));
      // Every read-modify-write of the counter happened alone...
      assert.equal(Number(readFileSync(join(work, 'counter'), 'utf8')), flavours.length * iterations);
      // ...and the log shows strictly nested start/end pairs of one process at a time.
      const lines = readFileSync(join(work, 'log'), 'utf8').trim().split('\n');
      assert.equal(lines.length, flavours.length * iterations * 2);
      for (let i = 0; i < lines.length; i += 2) {
        const [start, end] = [lines[i]?.split(' '), lines[i + 1]?.split(' ')];
        assert.equal(start?.[0], 'start', `line ${i}`);
        assert.equal(end?.[0], 'end', `line ${i + 1}`);
        assert.equal(start?.[1], end?.[1], `lines ${i}-${i + 1} from one process`);
      }
      // All processes really competed (each appears in the log).
      assert.equal(new Set(lines.map((l) => l.split(' ')[1])).size, flavours.length);
    });
  }

  it('a lock held by a killed process is released by the kernel', async () => {
    const lock = join(dir, 'killed.lock');
    const holder = spawn(process.execPath, [LOCK_CHILD, 'hold', lock], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await waitForLine(holder, (line) => line === 'locked', 10_000);
      await assert.rejects(withFileLock(lock, () => 'never', { timeoutMs: 100 }), isCode('AMBIT_NETNS_LOCK_TIMEOUT'));
      assert.throws(() => withFileLockSync(lock, () => 'never', { timeoutMs: 100 }), isCode('AMBIT_NETNS_LOCK_TIMEOUT'));
      const exited = exitOf(holder);
      holder.kill('SIGKILL');
      await exited;
      assert.equal(await withFileLock(lock, () => 'mine', { timeoutMs: 2000 }), 'mine');
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
    }
  });

  it('releases the lock when fn throws or rejects, and passes the error through', async () => {
    const lock = join(dir, 'throw.lock');
    const boom = new Error('boom');
    await assert.rejects(withFileLock(lock, () => Promise.reject(boom)), (e) => e === boom);
    await assert.rejects(withFileLock(lock, () => { throw boom; }), (e) => e === boom);
    assert.throws(() => withFileLockSync(lock, () => { throw boom; }), (e) => e === boom);
    // timeoutMs 0: one attempt only, so this proves the lock is free right now.
    assert.equal(withFileLockSync(lock, () => 1, { timeoutMs: 0 }), 1);
    assert.equal(await withFileLock(lock, () => 2, { timeoutMs: 0 }), 2);
  });

  it('serialises holders within one process without blocking the event loop', async () => {
    const lock = join(dir, 'inproc.lock');
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const first = withFileLock(lock, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first out');
    });
    const second = withFileLock(lock, () => void order.push('second'), { timeoutMs: 5000 });
    // The event loop keeps turning while `second` polls: timers fire.
    await new Promise((resolve) => setTimeout(resolve, 30));
    order.push('tick');
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'tick', 'first out', 'second']);
  });

  it('rejects invalid options and unusable paths with stable codes', async () => {
    await assert.rejects(withFileLock(join(dir, 'x.lock'), () => 1, { timeoutMs: -1 }), isCode('AMBIT_NETNS_INVALID_OPTION'));
    assert.throws(() => withFileLockSync('/proc/version/nope.lock', () => 1), isCode('AMBIT_NETNS_LOCK_FAILED'));
  });
});
