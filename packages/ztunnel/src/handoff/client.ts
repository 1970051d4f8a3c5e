// The ztunnel's end of the pod hand-off (proto/ambit/handoff/v1/handoff.proto, DESIGN.md "Pod
// hand-off"): connect to the node agent's Unix socket, say Hello, then answer every request with
// one ack, in order. Before a pod is used its netns path must still be the namespace the agent
// meant (same inode): Node cannot receive the netns as a file descriptor, so a path reused by a
// newer namespace is refused with an error ack instead.
//
// Requests are handled one at a time (the agent sends the next only after the ack anyway).
// Reconnects with backoff (100 ms doubling to 5 s by default) until close().
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { errorMessage, type Logger } from '@ambit/core';
import { netnsInode } from '@ambit/netns';
import { decodeRequest, encodeHelloFrame, encodeResponseFrame, FrameDecoder, HANDOFF_MAX_FRAME, type handoff } from '@ambit/xds-types';
import { HANDOFF_ERROR_CODES, handoffError } from './errors.ts';

/** A pod handed to the ztunnel, validated. */
export interface HandoffPod {
  uid: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  netnsPath: string;
  /** IP literals. */
  addresses: string[];
}

export interface HandoffHandlers {
  /** Open the pod's listeners (in its netns); a throw becomes an error ack. */
  onAdd(pod: HandoffPod): Promise<void>;
  /** Stop serving the pod; a throw becomes an error ack. */
  onDel(uid: string): Promise<void>;
  /** End of the replay: drop every pod whose uid is not in `uids`. */
  onSnapshot(uids: Set<string>): Promise<void>;
}

export interface HandoffClientOptions extends HandoffHandlers {
  /** HANDOFF_SOCKET. */
  path: string;
  logger: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Inode of a netns file (decimal string); netnsInode by default. */
  inodeOf?: (path: string) => string;
}

/**
 * Events: `connected` (after Hello is written), `disconnected`, `snapshot` (uids), `add` (pod,
 * error text or ''), `del` (uid, error text or '').
 */
export class HandoffClient extends EventEmitter {
  readonly path: string;
  private readonly logger: Logger;
  private readonly handlers: HandoffHandlers;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly inodeOf: (path: string) => string;
  private delay: number;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;
  private isConnected = false;
  /** Pods added (and acked without error) since the connection started; the snapshot's uids. */
  private replayed = new Set<string>();
  private snapshotDone = false;

  constructor(options: HandoffClientOptions) {
    super();
    this.path = options.path;
    this.logger = options.logger.child({ scope: 'handoff' });
    this.handlers = { onAdd: options.onAdd, onDel: options.onDel, onSnapshot: options.onSnapshot };
    this.initialMs = options.backoff?.initialMs ?? 100;
    this.maxMs = Math.max(this.initialMs, options.backoff?.maxMs ?? 5000);
    this.delay = this.initialMs;
    this.inodeOf = options.inodeOf ?? ((path) => netnsInode(path).toString());
  }

  /** Connected to the agent (the ztunnel's readiness needs it, as Istio's does). */
  get connected(): boolean {
    return this.isConnected;
  }

  /** The agent finished its replay on the current connection. */
  get synced(): boolean {
    return this.isConnected && this.snapshotDone;
  }

  start(): void {
    if (this.started) throw handoffError(HANDOFF_ERROR_CODES.USAGE, 'HandoffClient.start() was already called');
    this.started = true;
    this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private connect(): void {
    if (this.closed) return;
    const socket = createConnection(this.path);
    this.socket = socket;
    const decoder = new FrameDecoder(HANDOFF_MAX_FRAME);
    // Requests are answered strictly in order: each waits for the previous one's handler.
    let chain: Promise<void> = Promise.resolve();
    socket.once('connect', () => {
      this.delay = this.initialMs;
      this.replayed = new Set();
      this.snapshotDone = false;
      socket.write(encodeHelloFrame({ version: 'V1' }));
      this.isConnected = true;
      this.logger.info({ path: this.path }, 'connected to the cni-agent');
      this.emit('connected');
    });
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = decoder.push(chunk);
      } catch (error) {
        this.logger.warn({ err: errorMessage(error) }, 'bad frame from the cni-agent; reconnecting');
        socket.destroy();
        return;
      }
      for (const message of messages) {
        chain = chain.then(() => this.handle(socket, message));
      }
    });
    socket.on('error', (error) => this.logger.debug({ err: error.message, path: this.path }, 'hand-off socket error'));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.isConnected) {
        this.isConnected = false;
        this.logger.info({}, 'disconnected from the cni-agent');
        this.emit('disconnected');
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  /** Handles one request and writes its ack; never throws. */
  private async handle(socket: Socket, message: Buffer): Promise<void> {
    if (socket.destroyed) return;
    let error = '';
    try {
      const request = decodeRequest(message);
      error = await this.dispatch(request);
    } catch (failure) {
      error = errorMessage(failure);
    }
    if (socket.destroyed) return;
    try {
      socket.write(encodeResponseFrame({ ack: { error } }));
    } catch (failure) {
      this.logger.warn({ err: errorMessage(failure) }, 'cannot write an ack; reconnecting');
      socket.destroy();
    }
  }

  private async dispatch(request: handoff.WorkloadRequest): Promise<string> {
    switch (request.payload) {
      case 'add': {
        const add = request.add;
        if (add === undefined) return 'AddWorkload without its payload';
        const pod = this.validate(add);
        if (typeof pod === 'string') {
          this.logger.warn({ uid: add.uid, err: pod }, 'refusing a pod');
          this.emit('add', add.uid, pod);
          return pod;
        }
        const error = await this.run(() => this.handlers.onAdd(pod), `onAdd(${pod.uid})`);
        if (error === '') this.replayed.add(pod.uid);
        this.emit('add', pod, error);
        return error;
      }
      case 'del': {
        const uid = request.del?.uid ?? '';
        if (uid === '') return handoffError(HANDOFF_ERROR_CODES.BAD_REQUEST, 'DelWorkload without a uid').describe();
        const error = await this.run(() => this.handlers.onDel(uid), `onDel(${uid})`);
        this.replayed.delete(uid);
        this.emit('del', uid, error);
        return error;
      }
      case 'snapshot_sent': {
        const uids = new Set(this.replayed);
        const error = await this.run(() => this.handlers.onSnapshot(uids), 'onSnapshot');
        this.snapshotDone = true;
        this.emit('snapshot', uids);
        return error;
      }
      default:
        return handoffError(HANDOFF_ERROR_CODES.BAD_REQUEST, 'a WorkloadRequest with no known payload (a newer agent?)').describe();
    }
  }

  private async run(fn: () => Promise<void>, what: string): Promise<string> {
    try {
      await fn();
      return '';
    } catch (error) {
      const text = handoffError(HANDOFF_ERROR_CODES.HANDLER_FAILED, `${what} failed: ${errorMessage(error)}`, { cause: error }).describe();
      this.logger.warn({ err: text }, 'hand-off handler failed');
      return text;
    }
  }

  /** The pod, or the error text of the ack. */
  private validate(add: handoff.AddWorkload): HandoffPod | string {
    const problems: string[] = [];
    if (add.uid === '') problems.push('uid is empty');
    if (add.name === '' || add.namespace === '') problems.push('name and namespace are required');
    if (!add.netns_path.startsWith('/')) problems.push(`netns_path ${JSON.stringify(add.netns_path)} is not an absolute path`);
    const addresses: string[] = [];
    add.addresses.forEach((bytes, i) => {
      const ip = ipText(bytes);
      if (ip === undefined) problems.push(`addresses[${i}] has ${bytes.length} bytes (expected 4 or 16)`);
      else addresses.push(ip);
    });
    if (problems.length > 0) return handoffError(HANDOFF_ERROR_CODES.BAD_REQUEST, `AddWorkload ${add.uid}: ${problems.join('; ')}`).describe();
    let inode: string;
    try {
      inode = this.inodeOf(add.netns_path);
    } catch (error) {
      return handoffError(HANDOFF_ERROR_CODES.NETNS_MISSING, `pod ${add.namespace}/${add.name}: netns ${add.netns_path} cannot be used: ${errorMessage(error)}`).describe();
    }
    if (inode !== String(add.netns_inode)) {
      return handoffError(
        HANDOFF_ERROR_CODES.NETNS_MISMATCH,
        `pod ${add.namespace}/${add.name}: netns ${add.netns_path} has inode ${inode}, the agent sent inode ${String(add.netns_inode)}`,
        { hint: 'the namespace was deleted and its path reused; the agent retries with the current one' },
      ).describe();
    }
    return { uid: add.uid, name: add.name, namespace: add.namespace, serviceAccount: add.service_account || 'default', netnsPath: add.netns_path, addresses };
  }
}

function ipText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // The WHATWG URL parser prints IPv6 in its canonical (RFC 5952) form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
