// Hand-written protobuf codec for the two messages of proto/ambit/workload/v1/echo.proto, plus
// gRPC's length-prefixed message framing. Only what these messages need: varints and
// length-delimited fields; unknown fields are skipped as protobuf requires.
import { AmbitError } from '@ambit/core';

export interface EchoRequest {
  message: string;
}

export interface EchoReply {
  json: string;
  message: string;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export function encodeVarint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', `cannot encode ${value} as a varint`, {
      hint: 'varints here are non-negative safe integers',
    });
  }
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Reads a varint at `offset`; returns the value and the offset after it. */
export function decodeVarint(bytes: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const byte = bytes[i] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) break;
      return { value, next: i + 1 };
    }
    scale *= 0x80;
  }
  throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', `truncated or oversized varint at byte ${offset}`);
}

function encodeStringField(field: number, value: string): Buffer {
  if (value === '') return Buffer.alloc(0); // proto3: default values are not written
  const data = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeVarint(field * 8 + WIRE_LEN), encodeVarint(data.length), data]);
}

/** Calls `onString` for each length-delimited field; skips other known wire types. */
function readFields(bytes: Buffer, onString: (field: number, value: Buffer) => void): void {
  let offset = 0;
  while (offset < bytes.length) {
    const tag = decodeVarint(bytes, offset);
    offset = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', `field number 0 at byte ${offset}`);
    if (wire === WIRE_VARINT) {
      offset = decodeVarint(bytes, offset).next;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      offset += wire === WIRE_FIXED64 ? 8 : 4;
    } else if (wire === WIRE_LEN) {
      const length = decodeVarint(bytes, offset);
      const end = length.next + length.value;
      if (end > bytes.length) {
        throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', `field ${field} runs past the end of the message (${end} > ${bytes.length} bytes)`);
      }
      onString(field, bytes.subarray(length.next, end));
      offset = end;
    } else {
      throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', `unsupported wire type ${wire} for field ${field}`);
    }
    if (offset > bytes.length) throw new AmbitError('AMBIT_WORKLOAD_BAD_PROTOBUF', 'message is truncated');
  }
}

export function encodeEchoRequest(request: EchoRequest): Buffer {
  return encodeStringField(1, request.message);
}

export function decodeEchoRequest(bytes: Buffer): EchoRequest {
  const request: EchoRequest = { message: '' };
  readFields(bytes, (field, value) => {
    if (field === 1) request.message = value.toString('utf8');
  });
  return request;
}

export function encodeEchoReply(reply: EchoReply): Buffer {
  return Buffer.concat([encodeStringField(1, reply.json), encodeStringField(2, reply.message)]);
}

export function decodeEchoReply(bytes: Buffer): EchoReply {
  const reply: EchoReply = { json: '', message: '' };
  readFields(bytes, (field, value) => {
    if (field === 1) reply.json = value.toString('utf8');
    else if (field === 2) reply.message = value.toString('utf8');
  });
  return reply;
}

/** One gRPC length-prefixed message: flag byte (0 = not compressed), 4-byte big-endian length. */
export function frameGrpcMessage(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export interface GrpcFrame {
  compressed: boolean;
  message: Buffer;
}

/** Splits a complete gRPC body into its messages; throws on a truncated frame. */
export function parseGrpcFrames(body: Buffer): GrpcFrame[] {
  const frames: GrpcFrame[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 5 > body.length) {
      throw new AmbitError('AMBIT_WORKLOAD_BAD_GRPC_FRAME', `truncated gRPC message prefix at byte ${offset}`);
    }
    const flag = body.readUInt8(offset);
    const length = body.readUInt32BE(offset + 1);
    const end = offset + 5 + length;
    if (end > body.length) {
      throw new AmbitError('AMBIT_WORKLOAD_BAD_GRPC_FRAME', `gRPC message of ${length} bytes is truncated (${body.length - offset - 5} present)`);
    }
    frames.push({ compressed: flag !== 0, message: body.subarray(offset + 5, end) });
    offset = end;
  }
  return frames;
}
