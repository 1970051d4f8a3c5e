// The CNI plugin <-> agent protocol ("ambit-cni-agent v1"), agent side. The plugin (a short-lived
// process per CNI call, packages/cni/src/plugin/handoff.ts) connects to the agent's Unix stream
// socket, writes ONE request as one JSON line, reads ONE response line, and closes:
//
//   -> {"v":1,"op":"add","pod":{"uid","name","namespace","serviceAccount"?,"netns","ips":["10.0.0.5"],"containerId"?}}
//   -> {"v":1,"op":"del","pod":{"uid","name"?,"namespace"?}}
//   <- {"v":1,"ok":true,"enrolled":bool,"captured":bool}
//   <- {"v":1,"ok":false,"code":"AMBIT_CNI_AGENT_...","error":"text","retry":bool}
//
// Lines are UTF-8 JSON ending in "\n", at most MAX_LINE bytes each. `retry: true` means "try again
// later" (CNI code 11 at the plugin). Unknown fields are ignored, so either side can grow.
import { isIP } from 'node:net';
import { CNI_AGENT_ERROR_CODES } from './errors.ts';

// The message shapes and limits are the plugin's (one definition for both ends of the socket).
export {
  AGENT_PROTOCOL_VERSION as PROTOCOL_VERSION,
  AGENT_MAX_LINE as MAX_LINE,
  type AgentPod as PluginPod,
  type AgentRequest as PluginRequest,
  type AgentResponse as PluginResponse,
} from '@ambit/cni';
import { AGENT_PROTOCOL_VERSION as PROTOCOL_VERSION, AGENT_MAX_LINE as MAX_LINE, type AgentRequest as PluginRequest, type AgentResponse as PluginResponse } from '@ambit/cni';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const LIMIT = 253;
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

function str(o: Record<string, unknown>, key: string, path: string, problems: string[], required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) problems.push(`${path}.${key}: missing`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '' || v.length > 4096 || v.includes('\0')) {
    problems.push(`${path}.${key}: expected a non-empty string, got ${JSON.stringify(v)?.slice(0, 80) ?? typeof v}`);
    return undefined;
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one request line (without or with its newline). Every problem is listed. */
export function parseRequest(line: string): ParseResult<PluginRequest> {
  if (Buffer.byteLength(line) > MAX_LINE) return { ok: false, error: `request line of ${Buffer.byteLength(line)} bytes exceeds ${MAX_LINE}` };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `request is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!isObject(raw)) return { ok: false, error: 'request: expected a JSON object' };
  if (raw['v'] !== PROTOCOL_VERSION) return { ok: false, error: `v: expected ${PROTOCOL_VERSION}, got ${JSON.stringify(raw['v']) ?? 'nothing'}` };
  const op = raw['op'];
  const pod = raw['pod'];
  if (op !== 'add' && op !== 'del') return { ok: false, error: `op: expected "add" or "del", got ${JSON.stringify(op) ?? 'nothing'}` };
  if (!isObject(pod)) return { ok: false, error: 'pod: expected an object' };
  const problems: string[] = [];
  const uid = str(pod, 'uid', 'pod', problems, true);
  if (op === 'del') {
    const name = str(pod, 'name', 'pod', problems, false);
    const namespace = str(pod, 'namespace', 'pod', problems, false);
    if (problems.length > 0 || uid === undefined) return { ok: false, error: problems.join('; ') };
    return { ok: true, value: { op, pod: { uid, ...(name === undefined ? {} : { name }), ...(namespace === undefined ? {} : { namespace }) } } };
  }
  const name = str(pod, 'name', 'pod', problems, true);
  const namespace = str(pod, 'namespace', 'pod', problems, true);
  const serviceAccount = str(pod, 'serviceAccount', 'pod', problems, false);
  const netns = str(pod, 'netns', 'pod', problems, true);
  const containerId = str(pod, 'containerId', 'pod', problems, false);
  const hostIfname = str(pod, 'hostIfname', 'pod', problems, false);
  if (hostIfname !== undefined && !IFNAME.test(hostIfname)) problems.push(`pod.hostIfname: expected an interface name (1-15 of A-Z a-z 0-9 _ . @ -), got ${JSON.stringify(hostIfname)}`);
  if (netns !== undefined && !netns.startsWith('/')) problems.push(`pod.netns: expected an absolute path, got ${JSON.stringify(netns)}`);
  const ips: string[] = [];
  const rawIps = pod['ips'];
  if (!Array.isArray(rawIps) || rawIps.length > 16) problems.push('pod.ips: expected an array of at most 16 IP addresses');
  else {
    rawIps.forEach((ip: unknown, i) => {
      if (typeof ip === 'string' && isIP(ip) !== 0) ips.push(ip);
      else problems.push(`pod.ips[${i}]: expected an IP address, got ${JSON.stringify(ip)?.slice(0, 80) ?? typeof ip}`);
    });
  }
  for (const [key, v] of [['name', name], ['namespace', namespace]] as const) {
    if (v !== undefined && v.length > LIMIT) problems.push(`pod.${key}: longer than ${LIMIT} characters`);
  }
  if (problems.length > 0 || uid === undefined || name === undefined || namespace === undefined || netns === undefined) {
    return { ok: false, error: problems.join('; ') };
  }
  return {
    ok: true,
    value: {
      op,
      pod: { uid, name, namespace, netns, ips, ...(serviceAccount === undefined ? {} : { serviceAccount }), ...(containerId === undefined ? {} : { containerId }), ...(hostIfname === undefined ? {} : { hostIfname }) },
    },
  };
}

/** One response line, newline included. */
export function encodeResponse(response: PluginResponse): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, ...response })}\n`;
}

export function badRequest(error: string): PluginResponse {
  return { ok: false, code: CNI_AGENT_ERROR_CODES.BAD_REQUEST, error, retry: false };
}

/**
 * Accumulates socket chunks until the first newline. Returns the line when complete, undefined
 * while incomplete, or an error when MAX_LINE bytes arrive without a newline.
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): { line: string } | { error: string } | undefined {
    const nl = chunk.indexOf(0x0a);
    const take = nl === -1 ? chunk : chunk.subarray(0, nl);
    this.size += take.length;
    if (this.size + (nl === -1 ? 0 : 1) > MAX_LINE) return { error: `request line exceeds ${MAX_LINE} bytes` };
    this.chunks.push(take);
    if (nl === -1) return undefined;
    return { line: Buffer.concat(this.chunks).toString('utf8') };
  }
}
