// Framing of the hand-off socket (proto/ambit/handoff/v1/handoff.proto): each message is a 4-byte
// big-endian length followed by that many bytes of protobuf. A Unix stream socket delivers chunks
// that split or join frames arbitrarily; FrameDecoder reassembles them.
import { AmbitError } from '@ambit/core';

/** Largest message accepted by default (an AddWorkload is a few hundred bytes). */
export const HANDOFF_MAX_FRAME = 64 * 1024;

const PREFIX = 4;

/** Prefixes one encoded message with its length. */
export function encodeFrame(message: Uint8Array, maxFrame: number = HANDOFF_MAX_FRAME): Buffer {
  if (message.length > maxFrame) throw tooLarge(message.length, maxFrame);
  const frame = Buffer.allocUnsafe(PREFIX + message.length);
  frame.writeUInt32BE(message.length, 0);
  frame.set(message, PREFIX);
  return frame;
}

/** Splits a byte stream into messages. */
export class FrameDecoder {
  readonly maxFrame: number;
  private pending: Buffer = Buffer.alloc(0);

  constructor(maxFrame: number = HANDOFF_MAX_FRAME) {
    this.maxFrame = maxFrame;
  }

  /** Adds a chunk and returns every message it completes, in order. Throws on an oversized length. */
  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= PREFIX) {
      const length = this.pending.readUInt32BE(offset);
      if (length > this.maxFrame) throw tooLarge(length, this.maxFrame);
      if (this.pending.length - offset - PREFIX < length) break;
      messages.push(Buffer.from(this.pending.subarray(offset + PREFIX, offset + PREFIX + length)));
      offset += PREFIX + length;
    }
    this.pending = this.pending.subarray(offset);
    return messages;
  }

  /** Bytes of an incomplete frame waiting for more input. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Call when the stream ends: throws AMBIT_XDS_FRAME_TRUNCATED if a frame was cut short. */
  end(): void {
    if (this.pending.length > 0) {
      const announced = this.pending.length >= PREFIX ? this.pending.readUInt32BE(0) : undefined;
      throw new AmbitError('AMBIT_XDS_FRAME_TRUNCATED', `the stream ended inside a frame (${this.pending.length} bytes of ${announced === undefined ? 'a length prefix' : `a ${announced}-byte frame plus prefix`})`, {
        hint: 'the peer closed the connection mid-message',
        details: { buffered: this.pending.length, ...(announced === undefined ? {} : { announced }) },
      });
    }
  }
}

/** Splits a complete buffer into messages; throws if it ends inside a frame. */
export function decodeFrames(bytes: Uint8Array, maxFrame: number = HANDOFF_MAX_FRAME): Buffer[] {
  const decoder = new FrameDecoder(maxFrame);
  const messages = decoder.push(bytes);
  decoder.end();
  return messages;
}

function tooLarge(length: number, maxFrame: number): AmbitError {
  return new AmbitError('AMBIT_XDS_FRAME_TOO_LARGE', `a hand-off frame of ${length} bytes exceeds the maximum of ${maxFrame}`, {
    hint: 'is something other than an Ambit peer connected to the socket?',
    details: { length, maxFrame },
  });
}
