// A process the supervisor keeps alive, the way kubelet keeps containers running: restarted with
// exponential backoff when it exits on its own, stopped with SIGTERM then SIGKILL on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Logger } from '@ambit/core';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Backoff bounds for restarts (kubelet uses 10s..5m; the lab is quicker). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A process that ran this long before exiting restarts with the minimum backoff again. */
  resetAfterMs?: number;
}

export type ProcessState = 'starting' | 'running' | 'backoff' | 'stopped';

/** Events: `start` (pid), `exit` (code, signal). */
export class ManagedProcess extends EventEmitter {
  private child: ChildProcess | undefined;
  private state: ProcessState = 'stopped';
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  restarts = 0;
  private readonly options: ManagedProcessOptions;

  constructor(options: ManagedProcessOptions) {
    super();
    this.options = options;
    this.backoffMs = options.minBackoffMs ?? 500;
  }

  get pid(): number | undefined {
    return this.state === 'running' ? this.child?.pid : undefined;
  }

  get status(): ProcessState {
    return this.state;
  }

  start(): void {
    if (this.state === 'running' || this.state === 'starting') return;
    this.state = 'starting';
    mkdirSync(dirname(this.options.logFile), { recursive: true });
    const log = openSync(this.options.logFile, 'a');
    try {
      const child = spawn(this.options.command, [...this.options.args], {
        stdio: ['ignore', log, log],
        env: this.options.env ?? process.env,
      });
      this.child = child;
      this.startedAt = Date.now();
      child.once('spawn', () => {
        this.state = 'running';
        this.emit('start', child.pid);
      });
      child.once('error', (error) => {
        this.options.logger.error({ process: this.options.name, err: error.message }, 'process failed to start');
      });
      child.once('exit', (code, signal) => this.onExit(child, code, signal));
    } finally {
      closeSync(log);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.emit('exit', code, signal);
    if (this.state === 'stopped') return;
    const ranFor = Date.now() - this.startedAt;
    if (ranFor > (this.options.resetAfterMs ?? 30_000)) this.backoffMs = this.options.minBackoffMs ?? 500;
    this.options.logger.warn(
      { process: this.options.name, code, signal, restartInMs: this.backoffMs, restarts: this.restarts },
      'process exited; restarting with backoff',
    );
    this.state = 'backoff';
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== 'backoff') return;
      this.restarts++;
      this.state = 'stopped';
      this.start();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 10_000);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
