// Which resources a NACK rejects. The xDS protocol has no field for it (a NACK is a request with
// response_nonce and error_detail, a google.rpc.Status), so the server reads two conventions:
//
//  1. Ambit's clients: error_detail.details holds one google.protobuf.Any per rejected resource,
//     of type `type.googleapis.com/google.rpc.ResourceInfo` with resource_type = the type URL,
//     resource_name = the rejected resource's name and description = why. Exact and unambiguous.
//  2. ztunnel (src/xds/client.rs): error_detail.message is `<name>: <reason>` per rejected
//     resource, joined with "; ". Names are recovered by taking the text before the first ": " of
//     each segment, and kept only if it is a name the server sent on this stream for the type
//     (so a reason containing "; " cannot invent names).
//
// Names from (1) are trusted as given; (2) is used only when (1) yields nothing.
import { decodeResourceInfo } from './wire.ts';
import type { ErrorDetail } from './request.ts';

export const RESOURCE_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ResourceInfo';

/** Most names recorded per NACK (the status page stays small whatever a client sends). */
const MAX_NAMES = 100;

export function rejectedNames(typeUrl: string, detail: ErrorDetail, sentToClient: (name: string) => boolean): string[] {
  const names = new Set<string>();
  for (const any of detail.details) {
    if (any.typeUrl !== RESOURCE_INFO_TYPE_URL) continue;
    const info = decodeResourceInfo(any.value);
    if (info === undefined || info.resourceName === '') continue;
    if (info.resourceType !== '' && info.resourceType !== typeUrl) continue;
    names.add(info.resourceName);
    if (names.size >= MAX_NAMES) break;
  }
  if (names.size > 0) return [...names];
  for (const segment of detail.message.split('; ')) {
    const colon = segment.indexOf(': ');
    if (colon <= 0) continue;
    const candidate = segment.slice(0, colon).trim();
    if (candidate !== '' && sentToClient(candidate)) names.add(candidate);
    if (names.size >= MAX_NAMES) break;
  }
  return [...names];
}
