// The probe process's input, parsed from unknown JSON into a ProbeRequest, listing every problem
// with its field path. Pure.
import type { HttpProbeOptions, ProbeRequest, ProbeSpec } from './probe-types.ts';
import type { ParseResult } from './parse-result.ts';
import { parseTarget } from './target.ts';

export const DEFAULT_TIMEOUT_MS = 1000;
export const MAX_TIMEOUT_MS = 300_000;
export const MAX_PROBES = 10_000;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseHttp(value: unknown, at: string, problems: string[]): HttpProbeOptions | undefined {
  if (!isRecord(value)) {
    problems.push(`${at}: expected an object {"path","method","headers"}`);
    return undefined;
  }
  const path = value['path'] ?? '/';
  const method = value['method'] ?? 'GET';
  const headers = value['headers'] ?? {};
  const result: HttpProbeOptions = { path: '/', method: 'GET', headers: {} };
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s]/.test(path)) problems.push(`${at}.path: expected a path starting with "/" without spaces`);
  else result.path = path;
  if (typeof method !== 'string' || !TOKEN.test(method)) problems.push(`${at}.method: expected an HTTP method such as GET`);
  else result.method = method.toUpperCase();
  if (!isRecord(headers)) {
    problems.push(`${at}.headers: expected an object of strings`);
  } else {
    for (const [name, headerValue] of Object.entries(headers)) {
      if (!TOKEN.test(name)) problems.push(`${at}.headers: "${name}" is not a valid header name`);
      else if (typeof headerValue !== 'string' || !HEADER_VALUE.test(headerValue)) problems.push(`${at}.headers.${name}: expected a string without line breaks`);
      else result.headers[name.toLowerCase()] = headerValue;
    }
  }
  return result;
}

function parseSpec(value: unknown, at: string, problems: string[]): ProbeSpec | undefined {
  if (!isRecord(value)) {
    problems.push(`${at}: expected an object {"to","protocol","timeoutMs"}`);
    return undefined;
  }
  const before = problems.length;
  const to = value['to'];
  if (typeof to !== 'string' || parseTarget(to) === null) problems.push(`${at}.to: expected HOST:PORT (port 1..65535), got ${JSON.stringify(to)}`);
  const protocolText = value['protocol'] ?? 'TCP';
  const protocol = typeof protocolText === 'string' ? protocolText.toUpperCase() : '';
  if (protocol !== 'TCP' && protocol !== 'UDP') problems.push(`${at}.protocol: expected "TCP" or "UDP", got ${JSON.stringify(protocolText)}`);
  const timeoutMs = value['timeoutMs'] ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    problems.push(`${at}.timeoutMs: expected an integer 1..${MAX_TIMEOUT_MS}, got ${JSON.stringify(timeoutMs)}`);
  }
  const http = value['http'] === undefined ? undefined : parseHttp(value['http'], `${at}.http`, problems);
  const grpc = value['grpc'] ?? false;
  if (typeof grpc !== 'boolean') problems.push(`${at}.grpc: expected true or false`);
  if (protocol === 'UDP' && (http !== undefined || grpc === true)) problems.push(`${at}: http and grpc probes need protocol TCP`);
  if (problems.length > before || typeof to !== 'string' || (protocol !== 'TCP' && protocol !== 'UDP') || typeof timeoutMs !== 'number') return undefined;
  return {
    to,
    protocol,
    timeoutMs,
    ...(http === undefined ? {} : { http }),
    ...(grpc === true ? { grpc } : {}),
  };
}

export function parseProbeRequest(value: unknown): ParseResult<ProbeRequest> {
  const problems: string[] = [];
  if (!isRecord(value)) return { ok: false, problems: ['expected a JSON object {"from","probes":[...]}'] };
  const from = value['from'];
  if (typeof from !== 'string' || from === '') problems.push('from: expected "namespace/pod"');
  const list = value['probes'];
  const probes: ProbeSpec[] = [];
  if (!Array.isArray(list)) problems.push('probes: expected an array');
  else if (list.length > MAX_PROBES) problems.push(`probes: at most ${MAX_PROBES} probes, got ${list.length}`);
  else {
    list.forEach((item: unknown, index) => {
      const spec = parseSpec(item, `probes[${index}]`, problems);
      if (spec) probes.push(spec);
    });
  }
  if (problems.length > 0 || typeof from !== 'string') return { ok: false, problems };
  return { ok: true, value: { from, probes } };
}
