// Writes a body of exactly `size` bytes to a writable (an HTTP/1 response or an HTTP/2 stream),
// chunk by chunk with backpressure, so a 64 MiB body never sits in memory at once.
import type { Writable } from 'node:stream';

const CHUNK = Buffer.alloc(64 * 1024, 0x61); // 'a'

export function writeSizedBody(out: Writable, size: number): void {
  let remaining = size;
  const pump = (): void => {
    while (remaining > 0 && !out.destroyed) {
      const chunk = remaining >= CHUNK.length ? CHUNK : CHUNK.subarray(0, remaining);
      remaining -= chunk.length;
      if (!out.write(chunk)) {
        out.once('drain', pump);
        return;
      }
    }
    if (!out.destroyed) out.end();
  };
  pump();
}
