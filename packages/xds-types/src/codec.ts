// encodeMessage / decodeMessage: plain objects (options.ts convention) <-> protobuf bytes.
import { AmbitError } from '@ambit/core';
import { checkMessage } from './check.ts';
import { CONVERSION } from './options.ts';
import { pruneDefaults } from './prune.ts';
import { messageType } from './root.ts';

/**
 * Encodes a plain object as the message `typeName` (fully qualified, e.g. 'istio.workload.Address').
 * The object is checked first; a misspelt field, a wrong type or two members of one oneof throw
 * AMBIT_XDS_ENCODE naming the path of the field. Implicit-presence fields holding their zero value
 * are left out, so a decoded object re-encodes to the bytes it came from.
 */
export function encodeMessage(typeName: string, value: object): Uint8Array {
  const type = messageType(typeName);
  const problem = checkMessage(type, value);
  if (problem) throw encodeError(typeName, problem);
  try {
    const message = type.fromObject(pruneDefaults(type, value));
    const verified = type.verify(message);
    if (verified) throw encodeError(typeName, `${type.name}.${verified}`);
    return type.encode(message).finish();
  } catch (cause) {
    if (cause instanceof AmbitError) throw cause;
    throw encodeError(typeName, (cause as Error).message, cause);
  }
}

/** Decodes bytes as the message `typeName`; truncated or malformed input throws AMBIT_XDS_DECODE. */
export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const type = messageType(typeName);
  try {
    return type.toObject(type.decode(bytes), CONVERSION) as T;
  } catch (cause) {
    throw new AmbitError('AMBIT_XDS_DECODE', `cannot decode ${bytes.length} bytes as ${typeName}: ${(cause as Error).message}`, {
      cause,
      hint: 'the bytes are not this message type, or were truncated',
      details: { typeName, length: bytes.length },
    });
  }
}

function encodeError(typeName: string, problem: string, cause?: unknown): AmbitError {
  return new AmbitError('AMBIT_XDS_ENCODE', `cannot encode ${typeName}: ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'field names are snake_case, enums are names or numbers, 64-bit integers are decimal strings, bytes are Uint8Array',
    details: { typeName },
  });
}
