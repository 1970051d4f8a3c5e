// @ambit/xds-types: the one place where protobuf lives. Everything is loaded from .proto files at
// run time (Envoy's from @grpc/grpc-js-xds, Ambit's and Istio's from proto/); nothing is generated.
// Field naming convention (options.ts): snake_case as in the .proto files, int64 as strings, enums
// as names, bytes as Buffer, defaults filled in, unset messages null, oneofs named.
export { TYPE_URL, type TypeUrl } from './type-urls.ts';
export { encodeMessage, decodeMessage } from './codec.ts';
export { packAny, unpackAny, typeNameOfUrl, TYPE_URL_PREFIX, type PackedAny } from './any.ts';
export {
  loadAdsServiceDefinition,
  loadCaServiceDefinition,
  adsClientConstructor,
  caClientConstructor,
  ADS_SERVICE,
  CA_SERVICE,
} from './services.ts';
export { CONVERSION, PROTO_LOADER_OPTIONS } from './options.ts';
export { protoRoot } from './root.ts';
export { INCLUDE_DIRS, PROTO_FILES, BASE_PROTO_FILES, ENVOY_PROXY_PROTO_FILES, PROJECT_PROTO_DIR } from './paths.ts';
export type { Init } from './input.ts';
export { encodeFrame, decodeFrames, FrameDecoder, HANDOFF_MAX_FRAME } from './frame.ts';
export {
  HANDOFF_TYPE,
  encodeHelloFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  decodeHello,
  decodeRequest,
  decodeResponse,
} from './handoff.ts';

// Message interfaces, one namespace per proto package: `import type { workload } from
// '@ambit/xds-types'` then `workload.Workload`, or `import type * as pb` then `pb.workload.Workload`.
export type * as google from './types/google.ts';
export type * as workload from './types/workload.ts';
export type * as security from './types/security.ts';
export type * as ca from './types/ca.ts';
export type * as discovery from './types/discovery.ts';
export type * as handoff from './types/handoff.ts';
export type * as policy from './types/policy.ts';
export type * as envoy from './types/envoy.ts';
export { ENVOY_TYPE, ENVOY_FILTER, HBONE_ENDPOINT_METADATA } from './types/envoy.ts';
