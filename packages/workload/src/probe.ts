// The probe library: run a ProbeRequest's probes concurrently (at most `concurrency` at a time)
// and report one ProbeResult per probe, in order. Each probe is bounded by its own timeoutMs.
import type { ProbeOutcome, ProbeRequest, ProbeResult, ProbeSpec } from './probe-types.ts';
import { failure } from './attempt.ts';
import { probeError } from './probe-errors.ts';
import { probeGrpc } from './probe-grpc.ts';
import { probeHttp } from './probe-http.ts';
import { probeTcp } from './probe-tcp.ts';
import { probeUdp } from './probe-udp.ts';

export { probeTcp } from './probe-tcp.ts';
export { probeUdp } from './probe-udp.ts';
export { probeHttp, type HttpProbeCallOptions } from './probe-http.ts';
export { probeGrpc, type GrpcProbeOptions } from './probe-grpc.ts';

export const DEFAULT_CONCURRENCY = 64;

export interface RunProbesOptions {
  /** Probes in flight at once; default 64. */
  concurrency?: number;
  /** Called as each probe finishes, with its index in the request. */
  onResult?: (index: number, result: ProbeResult) => void;
}

export function probeOnce(spec: ProbeSpec): Promise<ProbeOutcome> {
  if (spec.protocol === 'UDP') return probeUdp(spec.to, { timeoutMs: spec.timeoutMs });
  if (spec.grpc === true) {
    return probeGrpc(spec.to, {
      timeoutMs: spec.timeoutMs,
      ...(spec.http ? { path: spec.http.path, metadata: spec.http.headers } : {}),
    });
  }
  if (spec.http) return probeHttp(spec.to, { timeoutMs: spec.timeoutMs, ...spec.http });
  return probeTcp(spec.to, { timeoutMs: spec.timeoutMs });
}

export async function runProbes(request: ProbeRequest, options: RunProbesOptions = {}): Promise<ProbeResult[]> {
  const limit = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const results: ProbeResult[] = new Array<ProbeResult>(request.probes.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < request.probes.length) {
      const index = next++;
      const spec = request.probes[index];
      if (spec === undefined) continue;
      let outcome: ProbeOutcome;
      try {
        outcome = await probeOnce(spec);
      } catch (error) {
        outcome = failure(probeError(error));
      }
      const result: ProbeResult = { from: request.from, to: spec.to, protocol: spec.protocol, ...outcome };
      results[index] = result;
      options.onResult?.(index, result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, request.probes.length) }, () => worker()));
  return results;
}
