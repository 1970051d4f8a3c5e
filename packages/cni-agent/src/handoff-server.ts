// The agent's end of the pod hand-off (proto/ambit/handoff/v1/handoff.proto): a Unix stream socket
// in the node namespace that the node's ztunnel connects to. One ztunnel connection at a time (a
// new one replaces the old, as istio-cni's ztunnel server does). The ztunnel speaks first (Hello);
// then the agent sends WorkloadRequests one at a time and waits for each ack, in order.
//
// An ack that does not come within ackTimeoutMs closes the connection: a late ack would otherwise
// be taken as the answer to the next request. The ztunnel reconnects and gets a full replay.
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { errorMessage, type Logger } from '@ambit/core';
import { decodeHello, decodeResponse, encodeRequestFrame, FrameDecoder, HANDOFF_MAX_FRAME, type handoff, type Init } from '@ambit/xds-types';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';

export interface HandoffServerOptions {
  path: string;
  logger: Logger;
  /** How long one request waits for its ack. Default 5000 (istio-cni's deadline). */
  ackTimeoutMs?: number;
  /** How long a new connection may take to send Hello. Default 5000. */
  helloTimeoutMs?: number;
}

interface Pending {
  frame: Buffer;
  what: string;
  resolve(error: string): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  hello: boolean;
  /** Sent, waiting for the ack (at most one). */
  inflight: Pending | undefined;
  readonly queue: Pending[];
  closed: boolean;
}

/** Emits `connected` (id) after a valid Hello and `disconnected` (id) when that connection ends. */
export class HandoffServer extends EventEmitter {
  readonly path: string;
  private readonly logger: Logger;
  private readonly ackTimeoutMs: number;
  private readonly helloTimeoutMs: number;
  private server: Server | undefined;
  private current: Connection | undefined;
  private nextId = 0;
  private listening = false;

  constructor(options: HandoffServerOptions) {
    super();
    this.path = options.path;
    this.logger = options.logger.child({ scope: 'handoff' });
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5000;
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** A ztunnel connected and said Hello; requests can be sent. */
  get connected(): boolean {
    return this.current !== undefined && this.current.hello && !this.current.closed;
  }

  /** Id of the current connection (0 when none): results of requests on older ones are stale. */
  get connectionId(): number {
    return this.connected && this.current !== undefined ? this.current.id : 0;
  }

  async listen(): Promise<void> {
    await prepareSocketPath(this.path);
    const server = createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(agentError(CNI_AGENT_ERROR_CODES.LISTEN_FAILED, `cannot listen on hand-off socket ${this.path}: ${error.message}`, { cause: error })));
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    server.on('error', (error) => this.logger.error({ err: error }, 'hand-off server error'));
    this.listening = true;
    this.logger.info({ path: this.path }, 'hand-off socket listening');
  }

  /**
   * Sends one request on the current connection and resolves with the ack's error text ('' =
   * success). Rejects with AMBIT_CNI_AGENT_HANDOFF_CLOSED when there is no connection or it ends
   * before the ack (the connection is closed on an ack timeout).
   */
  request(request: Init<handoff.WorkloadRequest>, what: string): Promise<string> {
    const connection = this.current;
    if (connection === undefined || !connection.hello || connection.closed) {
      return Promise.reject(agentError(CNI_AGENT_ERROR_CODES.HANDOFF_CLOSED, `no ztunnel is connected to ${this.path}; cannot send ${what}`));
    }
    let frame: Buffer;
    try {
      frame = encodeRequestFrame(request);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<string>((resolve, reject) => {
      connection.queue.push({ frame, what, resolve, reject });
      this.pump(connection);
    });
  }

  async close(): Promise<void> {
    this.listening = false;
    if (this.current !== undefined) this.drop(this.current, 'the agent is shutting down');
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }

  private accept(socket: Socket): void {
    const connection: Connection = { id: ++this.nextId, socket, hello: false, inflight: undefined, queue: [], closed: false };
    const log = this.logger.child({ connection: connection.id });
    const previous = this.current;
    this.current = connection;
    if (previous !== undefined) {
      log.info({ previous: previous.id }, 'a new ztunnel connection replaces the old one');
      this.drop(previous, 'replaced by a newer ztunnel connection');
    }
    const decoder = new FrameDecoder(HANDOFF_MAX_FRAME);
    const helloTimer = setTimeout(() => {
      if (!connection.hello) {
        log.warn({}, `no Hello within ${this.helloTimeoutMs}ms; closing`);
        this.drop(connection, 'no Hello');
      }
    }, this.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of decoder.push(chunk)) this.onMessage(connection, message, log);
      } catch (error) {
        log.warn({ err: errorMessage(error) }, 'hand-off protocol error; closing the connection');
        this.drop(connection, `protocol error: ${errorMessage(error)}`);
      }
    });
    socket.on('error', (error) => log.debug({ err: error.message }, 'hand-off socket error'));
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.drop(connection, 'the ztunnel closed the connection');
    });
  }

  private onMessage(connection: Connection, message: Buffer, log: Logger): void {
    if (connection.closed) return;
    if (!connection.hello) {
      const hello = decodeHello(message);
      if (hello.version !== 'V1') {
        throw agentError(CNI_AGENT_ERROR_CODES.HANDOFF_PROTOCOL, `unsupported hand-off version ${String(hello.version)}; this agent speaks V1`);
      }
      connection.hello = true;
      log.info({}, 'ztunnel connected');
      if (this.current === connection) this.emit('connected', connection.id);
      return;
    }
    const response = decodeResponse(message);
    const pending = connection.inflight;
    if (pending === undefined) throw agentError(CNI_AGENT_ERROR_CODES.HANDOFF_PROTOCOL, 'the ztunnel sent a response without a request');
    if (response.payload !== 'ack' || response.ack === undefined) {
      throw agentError(CNI_AGENT_ERROR_CODES.HANDOFF_PROTOCOL, `the ztunnel answered ${pending.what} with something other than an ack`);
    }
    connection.inflight = undefined;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.resolve(response.ack.error);
    this.pump(connection);
  }

  private pump(connection: Connection): void {
    if (connection.closed || connection.inflight !== undefined) return;
    const next = connection.queue.shift();
    if (next === undefined) return;
    connection.inflight = next;
    next.timer = setTimeout(() => {
      this.logger.warn({ connection: connection.id, request: next.what }, `no ack within ${this.ackTimeoutMs}ms; closing the connection`);
      this.drop(connection, `no ack for ${next.what} within ${this.ackTimeoutMs}ms`);
    }, this.ackTimeoutMs);
    connection.socket.write(next.frame);
  }

  private drop(connection: Connection, reason: string): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.socket.destroy();
    const failed = [...(connection.inflight === undefined ? [] : [connection.inflight]), ...connection.queue.splice(0)];
    connection.inflight = undefined;
    for (const pending of failed) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(agentError(CNI_AGENT_ERROR_CODES.HANDOFF_CLOSED, `hand-off connection closed before the ack of ${pending.what}: ${reason}`));
    }
    const wasCurrent = this.current === connection;
    if (wasCurrent) this.current = undefined;
    if (connection.hello) {
      this.logger.info({ connection: connection.id, reason }, 'ztunnel disconnected');
      this.emit('disconnected', connection.id);
    }
  }
}

/**
 * Makes the directory and removes a stale socket file (one nobody accepts on). A socket a live
 * process still listens on is left alone: listen() then fails with LISTEN_FAILED.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw agentError(CNI_AGENT_ERROR_CODES.LISTEN_FAILED, `socket ${path} is in use by a running process`, { hint: 'is another cni-agent running on this node?' });
  rmSync(path, { force: true });
}
