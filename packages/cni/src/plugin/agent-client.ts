// The plugin's end of the CNI plugin <-> node agent protocol ("ambit-cni-agent v1"; the agent's
// end and the full description are in packages/cni-agent/src/plugin-protocol.ts and its README):
// connect to the agent's Unix stream socket, write one JSON request line, read one JSON response
// line (at most AGENT_MAX_LINE bytes), all within a deadline.
import { createConnection } from 'node:net';

export const AGENT_PROTOCOL_VERSION = 1;
export const AGENT_MAX_LINE = 16 * 1024;

export interface AgentPod {
  uid: string;
  name: string;
  namespace: string;
  serviceAccount?: string;
  netns: string;
  ips: string[];
  containerId?: string;
  /** The host side of the pod's veth (primary mode): where the node's NetworkPolicy rules match the pod. */
  hostIfname?: string;
}

export type AgentRequest = { op: 'add'; pod: AgentPod } | { op: 'del'; pod: { uid: string; name?: string; namespace?: string } };

export type AgentResponse = { ok: true; enrolled: boolean; captured: boolean } | { ok: false; code: string; error: string; retry: boolean };

/** Why no answer was obtained. */
export class AgentUnreachable extends Error {
  override readonly name = 'AgentUnreachable';
}

export function encodeAgentRequest(request: AgentRequest): string {
  const line = `${JSON.stringify({ v: AGENT_PROTOCOL_VERSION, ...request })}\n`;
  if (Buffer.byteLength(line) > AGENT_MAX_LINE) throw new AgentUnreachable(`request of ${Buffer.byteLength(line)} bytes exceeds ${AGENT_MAX_LINE}`);
  return line;
}

/** Parses the agent's response line; a string says what is wrong with it. */
export function parseAgentResponse(line: string): AgentResponse | string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return `the agent's answer is not JSON: ${JSON.stringify(line.slice(0, 120))}`;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'the agent\'s answer is not a JSON object';
  const r = raw as Record<string, unknown>;
  if (r['v'] !== AGENT_PROTOCOL_VERSION) return `the agent speaks protocol version ${JSON.stringify(r['v'])}, expected ${AGENT_PROTOCOL_VERSION}`;
  if (r['ok'] === true) return { ok: true, enrolled: r['enrolled'] === true, captured: r['captured'] === true };
  if (r['ok'] === false && typeof r['code'] === 'string' && typeof r['error'] === 'string') {
    return { ok: false, code: r['code'], error: r['error'], retry: r['retry'] === true };
  }
  return 'the agent\'s answer has no valid "ok"/"code"/"error"';
}

/** One request/response exchange. Rejects with AgentUnreachable on connect failure, timeout or a bad answer. */
export function callAgent(socketPath: string, request: AgentRequest, timeoutMs: number): Promise<AgentResponse> {
  const line = encodeAgentRequest(request);
  return new Promise<AgentResponse>((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: AgentResponse | AgentUnreachable): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof AgentUnreachable) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => settle(new AgentUnreachable(`no answer from the agent at ${socketPath} within ${timeoutMs}ms`)), timeoutMs);
    socket.once('connect', () => socket.write(line));
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      const part = nl === -1 ? chunk : chunk.subarray(0, nl);
      size += part.length;
      if (size > AGENT_MAX_LINE) return settle(new AgentUnreachable(`the agent's answer exceeds ${AGENT_MAX_LINE} bytes`));
      chunks.push(part);
      if (nl === -1) return;
      const parsed = parseAgentResponse(Buffer.concat(chunks).toString('utf8'));
      settle(typeof parsed === 'string' ? new AgentUnreachable(parsed) : parsed);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(new AgentUnreachable(`cannot reach the agent at ${socketPath}: ${error.code ?? error.message}`)));
    socket.on('close', () => settle(new AgentUnreachable(`the agent at ${socketPath} closed the connection without answering`)));
  });
}
