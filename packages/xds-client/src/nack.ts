// Building a NACK (a DeltaDiscoveryRequest's error_detail, a google.rpc.Status) that names every
// rejected resource the two ways the control plane reads (packages/control-plane README, "NACK
// convention"):
//
//  1. details: one google.protobuf.Any per rejected resource, type
//     `type.googleapis.com/google.rpc.ResourceInfo`, with resource_type = the type URL,
//     resource_name = the name, description = why. The server trusts these names as given.
//  2. message: `<name>: <reason>` per resource joined with "; " (ztunnel's format), for people and
//     for servers that only read the message.
//
// google.rpc.ResourceInfo is not in the loaded protos (xds-types), and it is four string fields, so
// it is encoded by hand here: resource_type = 1, resource_name = 2, owner = 3 (unused), description = 4.

export const RESOURCE_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ResourceInfo';
/** google.rpc.Code.INVALID_ARGUMENT. */
export const INVALID_ARGUMENT = 3;
/** Most resources named per NACK (the server records at most 100 too); the message counts the rest. */
export const MAX_NACK_NAMES = 100;
/** Longest reason kept per resource, in characters. */
export const MAX_REASON_LENGTH = 512;

export interface Rejection {
  /** The resource's name; for a problem with no usable name, a label such as `resources[3]`. */
  name: string;
  reason: string;
  /** The name is a label, not a resource name: it goes in the message but not in details. */
  anonymous?: boolean;
}

/** The error_detail of a NACK, as the request encoder takes it (snake_case, bytes as Buffer). */
export interface NackDetail {
  code: number;
  message: string;
  details: { type_url: string; value: Buffer }[];
}

export interface ResourceInfo {
  resourceType: string;
  resourceName: string;
  description: string;
}

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Encodes a google.rpc.ResourceInfo (empty fields are left out, as proto3 does). */
export function encodeResourceInfo(info: ResourceInfo): Buffer {
  const fields: Array<[number, Buffer]> = [];
  const add = (field: number, text: string): void => {
    if (text !== '') fields.push([field, Buffer.from(text, 'utf8')]);
  };
  add(1, info.resourceType);
  add(2, info.resourceName);
  add(4, info.description);
  let size = 0;
  for (const [, bytes] of fields) size += 1 + varintLength(bytes.length) + bytes.length;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const [field, bytes] of fields) {
    out[offset++] = (field << 3) | 2;
    let length = bytes.length;
    while (length >= 0x80) {
      out[offset++] = (length & 0x7f) | 0x80;
      length = Math.floor(length / 128);
    }
    out[offset++] = length;
    bytes.copy(out, offset);
    offset += bytes.length;
  }
  return out;
}

/** One line, at most MAX_REASON_LENGTH characters. */
export function cleanReason(reason: string): string {
  const oneLine = reason.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'rejected';
  return oneLine.length > MAX_REASON_LENGTH ? `${oneLine.slice(0, MAX_REASON_LENGTH - 3)}...` : oneLine;
}

/** The error_detail for rejecting `rejections` of `typeUrl` (INVALID_ARGUMENT, message and ResourceInfo details). */
export function buildNack(typeUrl: string, rejections: readonly Rejection[]): NackDetail {
  const shown = rejections.slice(0, MAX_NACK_NAMES);
  const segments = shown.map((r) => `${r.name}: ${cleanReason(r.reason)}`);
  if (rejections.length > shown.length) segments.push(`and ${rejections.length - shown.length} more rejected`);
  const details = shown
    .filter((r) => r.anonymous !== true)
    .map((r) => ({
      type_url: RESOURCE_INFO_TYPE_URL,
      value: encodeResourceInfo({ resourceType: typeUrl, resourceName: r.name, description: cleanReason(r.reason) }),
    }));
  return { code: INVALID_ARGUMENT, message: segments.join('; '), details };
}
