// UDP probe: send a datagram every RESEND_MS until an answer comes back or the timeout. The socket
// is connected, so an ICMP port unreachable surfaces as "connection refused".
import dgram from 'node:dgram';
import { lookupHost, serverOf, startAttempt } from './attempt.ts';
import type { ProbeOutcome, TimeoutOptions } from './probe-types.ts';
import { requireTarget } from './target.ts';

export const RESEND_MS = 200;
const PAYLOAD = Buffer.from('ambit-probe\n');

export async function probeUdp(to: string, options: TimeoutOptions): Promise<ProbeOutcome> {
  const target = requireTarget(to);
  const attempt = startAttempt(options.timeoutMs);
  lookupHost(target.host).then(
    (resolved) => {
      if (attempt.settled()) return;
      const socket = dgram.createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
      let timer: NodeJS.Timeout | undefined;
      attempt.onCleanup(() => {
        clearInterval(timer);
        socket.close();
      });
      socket.on('error', (error) => attempt.fail(error));
      socket.on('message', (message) => {
        attempt.settle({ connected: true, status: null, server: serverOf(message.toString('utf8').trim()), error: null });
      });
      socket.connect(target.port, resolved.address, () => {
        if (attempt.settled()) return;
        const send = (): void => socket.send(PAYLOAD, (error) => error && attempt.fail(error));
        send();
        timer = setInterval(send, RESEND_MS);
      });
    },
    (error: unknown) => attempt.fail(error),
  );
  return attempt.promise;
}
