// DeltaDiscoveryRequest as grpc-js hands it over (unknown, in @ambit/xds-types' conversion:
// snake_case, unset messages null, repeated fields [], maps {}) -> a validated DeltaRequest.
// This is the one boundary where the server touches the wire shape of requests.
import * as grpc from '@grpc/grpc-js';
import { XDS_SERVER_ERROR_CODES, XdsStreamError } from './errors.ts';

export interface RequestNode {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
}

export interface ErrorDetail {
  code: number;
  message: string;
  /** google.protobuf.Any entries of google.rpc.Status.details. */
  details: { typeUrl: string; value: Uint8Array }[];
}

export interface DeltaRequest {
  node: RequestNode | undefined;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  initialResourceVersions: Map<string, string>;
  /** '' when the request is not an ACK/NACK. */
  responseNonce: string;
  /** Set on a NACK. */
  errorDetail: ErrorDetail | undefined;
}

/** Longest name or type URL accepted; protects the maps and logs from garbage. */
const MAX_NAME_LENGTH = 4096;

function invalid(message: string, hint?: string): XdsStreamError {
  return new XdsStreamError(XDS_SERVER_ERROR_CODES.INVALID_REQUEST, grpc.status.INVALID_ARGUMENT, message, hint ? { hint } : {});
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function optionalString(record: Record<string, unknown>, field: string, path: string): string {
  const value = record[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(`${path}.${field} must be a string, got ${typeof value}`);
  return value;
}

function nameList(record: Record<string, unknown>, field: string): string[] {
  const value = record[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${field} must be a list of resource names, got ${typeof value}`);
  const names: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const name: unknown = value[i];
    if (typeof name !== 'string') throw invalid(`${field}[${i}] must be a string, got ${name === null ? 'null' : typeof name}`);
    if (name === '') throw invalid(`${field}[${i}] is empty; resource names are non-empty strings`);
    if (name.length > MAX_NAME_LENGTH) throw invalid(`${field}[${i}] is ${name.length} characters long (at most ${MAX_NAME_LENGTH})`);
    names.push(name);
  }
  return names;
}

/** Value members, snake_case (as in struct.proto) and camelCase (protobufjs' bundled struct.proto). */
const VALUE_MEMBERS: Record<string, 'null' | 'scalar' | 'struct' | 'list'> = {
  null_value: 'null',
  nullValue: 'null',
  number_value: 'scalar',
  numberValue: 'scalar',
  string_value: 'scalar',
  stringValue: 'scalar',
  bool_value: 'scalar',
  boolValue: 'scalar',
  struct_value: 'struct',
  structValue: 'struct',
  list_value: 'list',
  listValue: 'list',
};

/** google.protobuf.Value as decoded (`kind` names the set member) -> JSON. */
export function valueToJson(value: unknown, depth = 0): unknown {
  if (!isRecord(value) || depth > 32) return null;
  let member = typeof value['kind'] === 'string' ? value['kind'] : undefined;
  if (member === undefined) member = Object.keys(value).find((k) => k in VALUE_MEMBERS && value[k] !== undefined && value[k] !== null);
  if (member === undefined) return null;
  const v = value[member];
  switch (VALUE_MEMBERS[member]) {
    case 'scalar':
      return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
    case 'struct':
      return structToJson(v, depth + 1);
    case 'list': {
      const values = isRecord(v) && Array.isArray(v['values']) ? (v['values'] as unknown[]) : [];
      return values.map((item) => valueToJson(item, depth + 1));
    }
    default:
      return null;
  }
}

/** google.protobuf.Struct -> a JSON object (node.metadata); anything malformed reads as {}. */
export function structToJson(struct: unknown, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(struct) || !isRecord(struct['fields'])) return out;
  for (const [key, value] of Object.entries(struct['fields'])) out[key] = valueToJson(value, depth);
  return out;
}

function parseNode(value: unknown): RequestNode | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid(`node must be a message, got ${typeof value}`);
  const id = optionalString(value, 'id', 'node');
  if (id.length > MAX_NAME_LENGTH) throw invalid(`node.id is ${id.length} characters long (at most ${MAX_NAME_LENGTH})`);
  return { id, cluster: optionalString(value, 'cluster', 'node'), metadata: structToJson(value['metadata']) };
}

function parseErrorDetail(value: unknown): ErrorDetail | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid(`error_detail must be a google.rpc.Status, got ${typeof value}`);
  const code = value['code'];
  const details: ErrorDetail['details'] = [];
  const raw = value['details'];
  if (Array.isArray(raw)) {
    for (const entry of raw as unknown[]) {
      if (!isRecord(entry)) continue;
      const typeUrl = entry['type_url'];
      const bytes = entry['value'];
      if (typeof typeUrl === 'string' && bytes instanceof Uint8Array) details.push({ typeUrl, value: bytes });
    }
  }
  return { code: typeof code === 'number' ? code : 0, message: optionalString(value, 'message', 'error_detail'), details };
}

function parseVersions(value: unknown): Map<string, string> {
  const versions = new Map<string, string>();
  if (value === undefined || value === null) return versions;
  if (!isRecord(value)) throw invalid(`initial_resource_versions must be a map of name to version, got ${typeof value}`);
  for (const [name, version] of Object.entries(value)) {
    if (name === '' || name.length > MAX_NAME_LENGTH) throw invalid(`initial_resource_versions has an empty or overlong name`);
    if (typeof version !== 'string') throw invalid(`initial_resource_versions[${JSON.stringify(name)}] must be a string, got ${typeof version}`);
    versions.set(name, version);
  }
  return versions;
}

/**
 * Parses one request. `first` is true for the first request of the stream, which must name the
 * node (Envoy's set_node_on_first_message_only; ztunnel sends it on every request).
 * Throws XdsStreamError (INVALID_ARGUMENT) naming the offending field.
 */
export function parseDeltaRequest(value: unknown, first: boolean): DeltaRequest {
  if (!isRecord(value)) throw invalid(`a DeltaDiscoveryRequest must be a message, got ${value === null ? 'null' : typeof value}`);
  const node = parseNode(value['node']);
  if (first && (node === undefined || node.id === '')) {
    throw new XdsStreamError(
      XDS_SERVER_ERROR_CODES.MISSING_NODE,
      grpc.status.INVALID_ARGUMENT,
      node === undefined ? 'the first DeltaDiscoveryRequest of a stream has no node' : 'the first DeltaDiscoveryRequest of a stream has a node with an empty id',
      { hint: 'set node.id (and node.metadata) on the first request, e.g. ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local' },
    );
  }
  const typeUrl = optionalString(value, 'type_url', 'request');
  if (typeUrl === '') throw invalid('type_url is empty', 'ADS multiplexes types: every request names its type URL');
  if (typeUrl.length > MAX_NAME_LENGTH) throw invalid(`type_url is ${typeUrl.length} characters long (at most ${MAX_NAME_LENGTH})`);
  return {
    node,
    typeUrl,
    subscribe: nameList(value, 'resource_names_subscribe'),
    unsubscribe: nameList(value, 'resource_names_unsubscribe'),
    initialResourceVersions: parseVersions(value['initial_resource_versions']),
    responseNonce: optionalString(value, 'response_nonce', 'request'),
    errorDetail: parseErrorDetail(value['error_detail']),
  };
}
