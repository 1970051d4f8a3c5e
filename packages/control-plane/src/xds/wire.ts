// Hand-written protobuf encoding of DeltaDiscoveryResponse, so that each resource is encoded once
// per version (as an envoy.service.discovery.v3.Resource, cached per XdsResource object) and a
// response to N clients costs N concatenations, not N protobuf encodings. The service definition's
// response serializer passes these Buffers through untouched (see server.ts). A unit test decodes
// the output with @ambit/xds-types' decodeMessage to keep this in step with discovery.proto:
//
//   DeltaDiscoveryResponse { string system_version_info = 1; repeated Resource resources = 2;
//                            string type_url = 4; string nonce = 5; repeated string removed_resources = 6; }
//   Resource { string version = 1; google.protobuf.Any resource = 2; string name = 3; repeated string aliases = 4; }
//   Any { string type_url = 1; bytes value = 2; }
import type { XdsResource } from './types.ts';

const WIRE_LEN = 2;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

class Writer {
  readonly buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.offset++] = value;
  }

  tag(field: number): void {
    this.varint((field << 3) | WIRE_LEN);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field);
    this.varint(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }
}

/** Size of a length-delimited field holding `length` bytes. */
function fieldSize(field: number, length: number): number {
  return varintSize((field << 3) | WIRE_LEN) + varintSize(length) + length;
}

const encodedResources = new WeakMap<XdsResource, { typeUrl: string; bytes: Buffer }>();

/** The encoded envoy Resource for `resource` (Any.type_url = typeUrl); cached per resource object. */
export function encodeResource(typeUrl: string, resource: XdsResource): Buffer {
  const cached = encodedResources.get(resource);
  if (cached !== undefined && cached.typeUrl === typeUrl) return cached.bytes;
  const typeUrlBytes = Buffer.from(typeUrl, 'utf8');
  const nameBytes = Buffer.from(resource.name, 'utf8');
  const versionBytes = Buffer.from(resource.version, 'utf8');
  const aliasBytes = (resource.aliases ?? []).map((a) => Buffer.from(a, 'utf8'));
  const anySize = fieldSize(1, typeUrlBytes.length) + fieldSize(2, resource.body.length);
  let size = fieldSize(1, versionBytes.length) + fieldSize(2, anySize) + fieldSize(3, nameBytes.length);
  for (const alias of aliasBytes) size += fieldSize(4, alias.length);
  const w = new Writer(size);
  w.bytes(1, versionBytes);
  w.tag(2);
  w.varint(anySize);
  w.bytes(1, typeUrlBytes);
  w.bytes(2, resource.body);
  w.bytes(3, nameBytes);
  for (const alias of aliasBytes) w.bytes(4, alias);
  encodedResources.set(resource, { typeUrl, bytes: w.buffer });
  return w.buffer;
}

export interface ResponseParts {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: readonly Buffer[];
  removed: readonly string[];
}

/** Encodes a DeltaDiscoveryResponse from already encoded Resources. */
export function encodeDeltaResponse(parts: ResponseParts): Buffer {
  const version = Buffer.from(parts.systemVersionInfo, 'utf8');
  const typeUrl = Buffer.from(parts.typeUrl, 'utf8');
  const nonce = Buffer.from(parts.nonce, 'utf8');
  const removed = parts.removed.map((r) => Buffer.from(r, 'utf8'));
  let size = fieldSize(1, version.length) + fieldSize(4, typeUrl.length) + fieldSize(5, nonce.length);
  for (const r of parts.resources) size += fieldSize(2, r.length);
  for (const r of removed) size += fieldSize(6, r.length);
  const w = new Writer(size);
  w.bytes(1, version);
  for (const r of parts.resources) w.bytes(2, r);
  w.bytes(4, typeUrl);
  w.bytes(5, nonce);
  for (const r of removed) w.bytes(6, r);
  return w.buffer;
}

/**
 * Reads the string fields of an encoded google.rpc.ResourceInfo (resource_type = 1,
 * resource_name = 2, owner = 3, description = 4): Ambit's NACK detail (see nack.ts).
 * Returns undefined for bytes that are not a well-formed message of that shape.
 */
export function decodeResourceInfo(bytes: Uint8Array): { resourceType: string; resourceName: string; description: string } | undefined {
  const out = { resourceType: '', resourceName: '', description: '' };
  let offset = 0;
  const readVarint = (): number | undefined => {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 5; i++) {
      if (offset >= bytes.length) return undefined;
      const byte = bytes[offset++] as number;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    return undefined;
  };
  while (offset < bytes.length) {
    const key = readVarint();
    if (key === undefined) return undefined;
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      if (readVarint() === undefined) return undefined;
      continue;
    }
    if (wire !== WIRE_LEN) return undefined;
    const length = readVarint();
    if (length === undefined || offset + length > bytes.length) return undefined;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('utf8');
    offset += length;
    if (field === 1) out.resourceType = text;
    else if (field === 2) out.resourceName = text;
    else if (field === 4) out.description = text;
  }
  return out;
}

/** Encodes a google.rpc.ResourceInfo (for clients and tests that NACK the Ambit way). */
export function encodeResourceInfo(info: { resourceType: string; resourceName: string; description: string }): Buffer {
  const type = Buffer.from(info.resourceType, 'utf8');
  const name = Buffer.from(info.resourceName, 'utf8');
  const description = Buffer.from(info.description, 'utf8');
  const w = new Writer(fieldSize(1, type.length) + fieldSize(2, name.length) + fieldSize(4, description.length));
  w.bytes(1, type);
  w.bytes(2, name);
  w.bytes(4, description);
  return w.buffer;
}
