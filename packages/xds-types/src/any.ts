// google.protobuf.Any packing, as xDS carries every resource.
import { AmbitError } from '@ambit/core';
import { decodeMessage, encodeMessage } from './codec.ts';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The wire object of a google.protobuf.Any in this package's convention. */
export interface PackedAny {
  type_url: string;
  value: Buffer;
}

/** The message name of a type URL: everything after the last '/'. */
export function typeNameOfUrl(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  const name = typeUrl.slice(slash + 1);
  if (slash < 0 || name === '') {
    throw new AmbitError('AMBIT_XDS_ANY', `bad type URL ${JSON.stringify(typeUrl)}`, {
      hint: 'type URLs look like type.googleapis.com/istio.workload.Address',
      details: { typeUrl },
    });
  }
  return name;
}

/** Encodes `value` as the message named by `typeUrl` and wraps it in an Any. */
export function packAny(typeUrl: string, value: object): PackedAny {
  const bytes = encodeMessage(typeNameOfUrl(typeUrl), value);
  return { type_url: typeUrl, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Decodes an Any (snake_case or camelCase type URL key) as the message its type URL names. */
export function unpackAny<T>(any: { type_url?: string; typeUrl?: string; value?: Uint8Array }): T {
  const typeUrl = any.type_url ?? any.typeUrl;
  if (typeUrl === undefined || typeUrl === '') {
    throw new AmbitError('AMBIT_XDS_ANY', 'an Any without a type URL', { hint: 'the resource was packed without type_url' });
  }
  return decodeMessage<T>(typeNameOfUrl(typeUrl), any.value ?? new Uint8Array(0));
}
