// @ambit/workload: the lab's built-in workload server and the probe that measures connectivity.
export { startWorkloadServer, type WorkloadServer, type WorkloadServerOptions } from './server.ts';
export type { Answer, AnswerProtocol, AnswerHeaders } from './answer.ts';
export { runProbes, probeTcp, probeUdp, probeHttp, probeGrpc, DEFAULT_CONCURRENCY, type RunProbesOptions, type HttpProbeCallOptions, type GrpcProbeOptions } from './probe.ts';
export { parseProbeRequest } from './probe-request.ts';
export type { ProbeRequest, ProbeSpec, ProbeResult, ProbeOutcome, ProbeProtocol, HttpProbeOptions, TimeoutOptions } from './probe-types.ts';
export type { ParseResult } from './parse-result.ts';
export { ECHO_PATH } from './grpc-handler.ts';
export { encodeEchoRequest, decodeEchoRequest, encodeEchoReply, decodeEchoReply, frameGrpcMessage, parseGrpcFrames, type EchoRequest, type EchoReply } from './grpc-codec.ts';
export { SERVER_MAIN_PATH, PROBE_MAIN_PATH } from './entry-points.ts';
export { parseServerArgs, SERVER_USAGE, type ServerArgs } from './server-args.ts';
export { MAX_DELAY_MS, MAX_SIZE_BYTES } from './http-reply-plan.ts';
