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

interface Side {
  stream: Duplex;
  name: 'a' | 'b';
  /** Its readable side ended ('end'). */
  readEnded: boolean;
  /** We ended its writable side because the other side's readable ended. */
  weEnded: boolean;
}

/**
 * Clean = both directions ended normally: the side's readable ended, we ended its writable, and
 * (HTTP/2) no reset code. A stream's own writableFinished cannot tell: node marks a reset stream
 * finished.
 */
function cleanlyClosed(side: Side): boolean {
  const { stream } = side;
  if (!side.readEnded || !side.weEnded || stream.errored) return false;
  return !isHttp2Stream(stream) || stream.rstCode === undefined || stream.rstCode === h2.NGHTTP2_NO_ERROR;
}

export function relay(a: Duplex, b: Duplex, done: (result: RelayResult) => void): void {
  const result: RelayResult = { bytesAToB: 0, bytesBToA: 0, error: undefined, failedSide: undefined };
  let closed = 0;
  const sa: Side = { stream: a, name: 'a', readEnded: false, weEnded: false };
  const sb: Side = { stream: b, name: 'b', readEnded: false, weEnded: false };
  const fail = (side: Side, error: Error): void => {
    if (result.error === undefined) {
      result.error = error;
      result.failedSide = side.name;
    }
  };
  const watch = (self: Side, other: Side): void => {
    const stream = self.stream;
    // A duplex that ends its readable side must not end its writable side: the reverse direction keeps flowing.
    stream.allowHalfOpen = true;
    stream.on('error', (error: Error) => {
      fail(self, error);
      abortDuplex(other.stream, 'peer-error');
    });
    stream.once('end', () => {
      self.readEnded = true;
      // A reset also ends an HTTP/2 stream's readable side before 'close' reports it: decide one
      // turn later, when the close handler below has already aborted the other side.
      setImmediate(() => {
        const to = other.stream;
        if (to.destroyed || to.writableEnded) return;
        if (isHttp2Stream(stream) && stream.destroyed && !self.weEnded) return;
        other.weEnded = true;
        to.end();
      });
    });
    stream.once('close', () => {
      if (!cleanlyClosed(self)) {
        if (result.error === undefined) {
          const code = isHttp2Stream(stream) ? ` (RST_STREAM code ${stream.rstCode ?? 'none'})` : '';
          fail(self, new Error(`${self.name === 'a' ? 'first' : 'second'} side closed before both directions ended${code}`));
        }
        abortDuplex(other.stream, 'peer-error');
      }
      if (++closed === 2) done(result);
    });
  };
  watch(sa, sb);
  watch(sb, sa);
  a.on('data', (chunk: Buffer) => {
    result.bytesAToB += chunk.length;
  });
  b.on('data', (chunk: Buffer) => {
    result.bytesBToA += chunk.length;
  });
  // end: false: each direction is ended by the 'end' handlers above, which tell a FIN from a reset.
  a.pipe(b, { end: false });
  b.pipe(a, { end: false });
}
