// HTTP/1.1 probe: any HTTP response within the timeout is connected, whatever its status (a 403
// from a waypoint is connected with status 403). The server comes from the x-ambit-pod header or
// the JSON body of Ambit's workload server.
import http from 'node:http';
import { failure, lookupHost, serverOf, startAttempt } from './attempt.ts';
import { POD_HEADER } from './http1-handler.ts';
import type { ProbeOutcome, TimeoutOptions } from './probe-types.ts';
import { requireTarget } from './target.ts';

export interface HttpProbeCallOptions extends TimeoutOptions {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function probeHttp(to: string, options: HttpProbeCallOptions): Promise<ProbeOutcome> {
  const target = requireTarget(to);
  let response: { status: number; server: string | null } | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  const outcome = (): ProbeOutcome => {
    if (response === undefined) return failure('timeout');
    const server = response.server ?? serverOf(Buffer.concat(chunks).toString('utf8'));
    return { connected: true, status: response.status, server, error: null };
  };
  const attempt = startAttempt(options.timeoutMs, outcome);
  lookupHost(target.host).then(
    (resolved) => {
      if (attempt.settled()) return;
      let request: http.ClientRequest;
      try {
        request = http.request({
          host: resolved.address,
          family: resolved.family,
          port: target.port,
          method: options.method ?? 'GET',
          path: options.path ?? '/',
          headers: { host: to, 'user-agent': 'ambit-probe', ...options.headers },
          agent: false,
        });
      } catch (error) {
        attempt.fail(error);
        return;
      }
      attempt.onCleanup(() => request.destroy());
      request.on('error', (error) => (response ? attempt.settle(outcome()) : attempt.fail(error)));
      request.on('response', (incoming) => {
        const pod = incoming.headers[POD_HEADER];
        response = { status: incoming.statusCode ?? 0, server: typeof pod === 'string' && pod.includes('/') ? pod : null };
        incoming.on('data', (chunk: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          size += chunk.length;
          chunks.push(chunk);
        });
        incoming.on('end', () => attempt.settle(outcome()));
        incoming.on('error', () => attempt.settle(outcome()));
        incoming.on('aborted', () => attempt.settle(outcome()));
        // The JSON answer is all we need; a large body (?size=N) need not be read to its end.
        if (response.server !== null && !String(incoming.headers['content-type']).startsWith('application/json')) attempt.settle(outcome());
      });
      request.end();
    },
    (error: unknown) => attempt.fail(error),
  );
  return attempt.promise;
}
