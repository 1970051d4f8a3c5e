// TCP probe: connect, send one line, wait for the server's first line. Connected means bytes came
// back, never just the handshake (a local ztunnel always accepts, then closes if policy denies).
import net from 'node:net';
import { failure, lookupHost, serverOf, startAttempt } from './attempt.ts';
import type { ProbeOutcome, TimeoutOptions } from './probe-types.ts';
import { requireTarget } from './target.ts';

const MAX_LINE_BYTES = 64 * 1024;

export async function probeTcp(to: string, options: TimeoutOptions): Promise<ProbeOutcome> {
  const target = requireTarget(to);
  let received = Buffer.alloc(0);
  const outcome = (): ProbeOutcome =>
    received.length > 0 ? { connected: true, status: null, server: serverOf(lineOf(received)), error: null } : failure('timeout');
  const attempt = startAttempt(options.timeoutMs, outcome);
  lookupHost(target.host).then(
    (resolved) => {
      if (attempt.settled()) return;
      const socket = net.connect({ host: resolved.address, port: target.port, family: resolved.family });
      attempt.onCleanup(() => socket.destroy());
      socket.on('connect', () => socket.write('ambit-probe\n'));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.includes(0x0a) || received.length >= MAX_LINE_BYTES) attempt.settle(outcome());
      });
      socket.on('end', () => attempt.settle(received.length > 0 ? outcome() : failure('connection closed')));
      socket.on('error', (error) => (received.length > 0 ? attempt.settle(outcome()) : attempt.fail(error)));
    },
    (error: unknown) => attempt.fail(error),
  );
  return attempt.promise;
}

function lineOf(bytes: Buffer): string {
  const end = bytes.indexOf(0x0a);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}
