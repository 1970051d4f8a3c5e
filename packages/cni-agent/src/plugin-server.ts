// The agent's end of the plugin protocol (plugin-protocol.ts): a Unix stream socket, one request
// line and one response line per connection. A connection that sends nothing complete within
// readTimeoutMs is closed; at most maxConnections are served at once (the rest are refused with a
// retryable error), so a stuck plugin or a flood cannot exhaust the agent.
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { errorMessage, type Logger } from '@ambit/core';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';
import { prepareSocketPath } from './handoff-server.ts';
import type { AgentMetrics } from './metrics.ts';
import { badRequest, encodeResponse, LineReader, parseRequest, type PluginRequest, type PluginResponse } from './plugin-protocol.ts';

export interface PluginServerOptions {
  path: string;
  logger: Logger;
  metrics: AgentMetrics;
  handle(request: PluginRequest): Promise<PluginResponse>;
  /** Time to receive the request line. Default 5000. */
  readTimeoutMs?: number;
  /** Default 256. */
  maxConnections?: number;
}

export class PluginServer {
  readonly path: string;
  private readonly logger: Logger;
  private readonly metrics: AgentMetrics;
  private readonly handler: (request: PluginRequest) => Promise<PluginResponse>;
  private readonly readTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private listening = false;

  constructor(options: PluginServerOptions) {
    this.path = options.path;
    this.logger = options.logger.child({ scope: 'plugin-socket' });
    this.metrics = options.metrics;
    this.handler = options.handle;
    this.readTimeoutMs = options.readTimeoutMs ?? 5000;
    this.maxConnections = options.maxConnections ?? 256;
  }

  get isListening(): boolean {
    return this.listening;
  }

  async listen(): Promise<void> {
    await prepareSocketPath(this.path);
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(agentError(CNI_AGENT_ERROR_CODES.LISTEN_FAILED, `cannot listen on plugin socket ${this.path}: ${error.message}`, { cause: error })));
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    server.on('error', (error) => this.logger.error({ err: error.message }, 'plugin socket error'));
    this.listening = true;
    this.logger.info({ path: this.path }, 'plugin socket listening');
  }

  async close(): Promise<void> {
    this.listening = false;
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.sockets.size >= this.maxConnections) {
      socket.end(encodeResponse({ ok: false, code: CNI_AGENT_ERROR_CODES.SHUTTING_DOWN, error: `the agent is serving ${this.maxConnections} requests already`, retry: true }));
      return;
    }
    this.sockets.add(socket);
    const reader = new LineReader();
    let answered = false;
    const timer = setTimeout(() => {
      if (!answered) reply(badRequest(`no complete request line within ${this.readTimeoutMs}ms`), 'invalid');
    }, this.readTimeoutMs);
    const reply = (response: PluginResponse, op: string): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      this.metrics.pluginRequests.inc({ op, result: response.ok ? 'ok' : 'error' });
      if (!socket.destroyed) socket.end(encodeResponse(response));
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      const read = reader.push(chunk);
      if (read === undefined) return;
      socket.pause();
      if ('error' in read) {
        reply(badRequest(read.error), 'invalid');
        return;
      }
      const parsed = parseRequest(read.line);
      if (!parsed.ok) {
        this.logger.warn({ err: parsed.error }, 'invalid plugin request');
        reply(badRequest(parsed.error), 'invalid');
        return;
      }
      clearTimeout(timer);
      const request = parsed.value;
      this.handler(request).then(
        (response) => reply(response, request.op),
        (error: unknown) => {
          this.logger.error({ err: errorMessage(error) }, 'plugin request failed');
          reply({ ok: false, code: CNI_AGENT_ERROR_CODES.CAPTURE_FAILED, error: errorMessage(error), retry: true }, request.op);
        },
      );
    });
    socket.on('error', (error) => this.logger.debug({ err: error.message }, 'plugin connection error'));
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
    });
  }
}
