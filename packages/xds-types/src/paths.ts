// Where the .proto files are: the project's own proto/ and the Envoy/xDS/googleapis/validate trees
// that ship inside @grpc/grpc-js-xds (loaded in place, never copied).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The repository's proto/ directory (packages/xds-types/src -> ../../../proto). */
export const PROJECT_PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

const XDS_DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const PROTOBUFJS = dirname(require.resolve('protobufjs/package.json'));

/** Include directories, searched in order, for every import. */
export const INCLUDE_DIRS: readonly string[] = [
  PROJECT_PROTO_DIR,
  join(XDS_DEPS, 'envoy-api'),
  join(XDS_DEPS, 'xds'), // xds/* and udpa/*
  join(XDS_DEPS, 'googleapis'),
  join(XDS_DEPS, 'protoc-gen-validate'),
  PROTOBUFJS, // google/protobuf/descriptor.proto and friends
];

/**
 * The files every process needs: xDS discovery and ADS, Istio's workload, authorization and CA
 * APIs, Ambit's own, the well-known types. The ztunnel and CNI agent never need more.
 */
export const BASE_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/discovery/v3/ads.proto',
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/wrappers.proto',
  'istio/workload/workload.proto',
  'istio/security/authorization.proto',
  'istio/ca/ca.proto',
  'ambit/handoff/v1/handoff.proto',
  'ambit/policy/v1/policy.proto',
];

/**
 * Envoy's proxy configuration (LDS/RDS/CDS/EDS and the filters a waypoint runs), which only the
 * control plane and waypoints use. Loaded on the first lookup of a type the base files lack
 * (root.ts); their parsed descriptors are about 5 MB of heap a process without them is spared.
 */
export const ENVOY_PROXY_PROTO_FILES: readonly string[] = [
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/path/match/uri_template/v3/uri_template_match.proto',
];

/** Every file; their imports are followed through INCLUDE_DIRS. */
export const PROTO_FILES: readonly string[] = [...BASE_PROTO_FILES, ...ENVOY_PROXY_PROTO_FILES];
