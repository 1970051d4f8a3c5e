// Copies bytes both ways between two duplex streams (an HBONE stream and a TCP socket) with
// HBONE's rules: each direction ends on its own (half-close: a FIN one way becomes END_STREAM, or
// the reverse, and the other way keeps flowing), backpressure through pipe() (a slow reader pauses
// the other side's source; nothing buffers without bound), and an error or reset on one side
// resets the other. `done` is called once, after both sides closed, with the byte counts.
import type { Duplex } from 'node:stream';
import { constants as h2, type Http2Stream } from 'node:http2';
import { Socket } from 'node:net';

export interface RelayResult {
  /** Bytes read from `a` and written to `b`. */
  bytesAToB: number;
  bytesBToA: number;
  /** The first error seen on either side, or a reset; undefined when both directions ended cleanly. */
  error: Error | undefined;
  /** Which side failed first, if any. */
  failedSide: 'a' | 'b' | undefined;
}

/**
 * Ends a duplex abruptly: RST_STREAM for an HTTP/2 stream (CONNECT_ERROR when the other side
 * failed, as RFC 9113 8.5 asks; CANCEL otherwise), TCP RST for a socket, destroy() for the rest.
 */
export function abortDuplex(stream: Duplex, reason: 'peer-error' | 'cancel'): void {
  if (stream.destroyed) return;
  if (isHttp2Stream(stream)) {
    if (!stream.closed) stream.close(reason === 'peer-error' ? h2.NGHTTP2_CONNECT_ERROR : h2.NGHTTP2_CANCEL);
    return;
  }
  if (stream instanceof Socket && typeof stream.resetAndDestroy === 'function' && !stream.connecting) {
    try {
      stream.resetAndDestroy();
      return;
    } catch {
      // not connected: destroy below
    }
  }
  stream.destroy();
}

function isHttp2Stream(stream: Duplex): stream is Duplex & Http2Stream {
  return 'rstCode' in stream && 'session' in stream && typeof (stream as Partial<Http2Stream>).close === 'function';
}

function cleanlyClosed(stream: Duplex): boolean {
  if (isHttp2Stream(stream)) return stream.rstCode === h2.NGHTTP2_NO_ERROR && stream.readableEnded && stream.writableFinished;
  return stream.readableEnded && stream.writableFinished && !stream.errored;
}

export function relay(a: Duplex, b: Duplex, done: (result: RelayResult) => void): void {
  const result: RelayResult = { bytesAToB: 0, bytesBToA: 0, error: undefined, failedSide: undefined };
  let closed = 0;
  const fail = (side: 'a' | 'b', error: Error): void => {
    if (result.error === undefined) {
      result.error = error;
      result.failedSide = side;
    }
  };
  const watch = (self: Duplex, other: Duplex, side: 'a' | 'b'): void => {
    // A duplex that ends its readable side must not end its writable side: the reverse direction keeps flowing.
    self.allowHalfOpen = true;
    self.on('error', (error: Error) => {
      fail(side, error);
      abortDuplex(other, 'peer-error');
    });
    self.once('close', () => {
      if (!cleanlyClosed(self)) {
        if (result.error === undefined) {
          const code = isHttp2Stream(self) ? ` (RST_STREAM code ${self.rstCode ?? 'none'})` : '';
          fail(side, new Error(`${side === 'a' ? 'first' : 'second'} side closed before both directions ended${code}`));
        }
        abortDuplex(other, 'peer-error');
      }
      if (++closed === 2) done(result);
    });
  };
  watch(a, b, 'a');
  watch(b, a, 'b');
  a.on('data', (chunk: Buffer) => {
    result.bytesAToB += chunk.length;
  });
  b.on('data', (chunk: Buffer) => {
    result.bytesBToA += chunk.length;
  });
  a.pipe(b);
  b.pipe(a);
}
