// The byte pipe between two stream ends: both directions, TCP half-close carried in each
// direction on its own (one side's end ends the other side's writable only), backpressure through
// pipe(), and an error or reset on either side tears down both. Resolves once both directions are
// done or the pair failed.
import type { Duplex } from 'node:stream';
import { Socket } from 'node:net';

export interface PipeResult {
  error: Error | undefined;
}

function abort(stream: Duplex): void {
  if (stream instanceof Socket && !stream.destroyed) stream.resetAndDestroy();
  else stream.destroy();
}

export function pipeBoth(a: Duplex, b: Duplex): Promise<PipeResult> {
  return new Promise((resolve) => {
    let done = false;
    let aEnded = false;
    let bEnded = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      if (error) {
        // Propagate the failure as a reset, not a FIN: a half-open peer would read a FIN as a
        // clean end of data.
        abort(a);
        abort(b);
      }
      resolve({ error });
    };
    const check = (): void => {
      if (aEnded && bEnded) {
        // Both halves closed cleanly: release the sockets.
        a.destroy();
        b.destroy();
        finish();
      }
    };
    a.once('end', () => {
      aEnded = true;
      check();
    });
    b.once('end', () => {
      bEnded = true;
      check();
    });
    a.once('error', (e: Error) => finish(e));
    b.once('error', (e: Error) => finish(e));
    a.once('close', () => (aEnded && bEnded ? undefined : finish(done ? undefined : new Error('connection closed'))));
    b.once('close', () => (aEnded && bEnded ? undefined : finish(done ? undefined : new Error('connection closed'))));
    a.pipe(b);
    b.pipe(a);
  });
}
