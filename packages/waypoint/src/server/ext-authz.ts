// The ext_authz HTTP transport (contracts.ts ExtAuthzTransport): one HTTP/1.1 check request to an
// endpoint of the named cluster, through the same upstream machinery as routed requests (HBONE
// with the waypoint's certificate for meshed authorizers). Failures reject; the authorization
// chain turns them into status_on_error or failure_mode_allow.
import type { Readable } from 'node:stream';
import type { ExtAuthzTransport } from '../contracts.ts';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';
import type { HttpUpstreams } from '../upstream/http-upstreams.ts';
import type { ConfigView } from './context.ts';
import { forwardable } from './request-headers.ts';

/** An authorizer's answer larger than this is refused (the check is a small message). */
const MAX_CHECK_BODY = 64 * 1024;

async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`the response body exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function extAuthzTransport(config: ConfigView, upstreams: HttpUpstreams): ExtAuthzTransport {
  return async ({ cluster: name, method, path, headers, timeoutMs }) => {
    const cluster = config.cluster(name);
    if (cluster === undefined) throw waypointError(WAYPOINT_CODES.upstream, `ext_authz cluster ${name} is not held (CDS has not delivered it)`);
    const endpoint = cluster.pick(new Set());
    if (endpoint === undefined) throw waypointError(WAYPOINT_CODES.upstream, `ext_authz cluster ${name} has no healthy endpoint`);
    const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : new AbortController().signal;
    // The check carries the original request's Host (Envoy always sends it); the authorizer's
    // host from the cluster name is the fallback.
    const authority = headers.find(([n]) => n === 'host')?.[1] ?? name.split('|')[3] ?? endpoint.key;
    const outcome = await upstreams.http1(endpoint, { method, path, authority, headers: forwardable(headers), body: undefined, connectTimeoutMs: cluster.connectTimeoutMs, signal });
    cluster.record(endpoint, outcome);
    if (outcome.kind !== 'response') throw waypointError(WAYPOINT_CODES.upstream, `ext_authz check to ${endpoint.key} of ${name} failed (${outcome.kind}): ${outcome.error.message}`, { cause: outcome.error });
    const body = await readText(outcome.body, MAX_CHECK_BODY);
    return { status: outcome.status, headers: outcome.headers, body };
  };
}
