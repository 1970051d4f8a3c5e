// UDP: every datagram gets one datagram back carrying the JSON answer. `local` is the bound
// address: Node cannot read a datagram's destination address (no IP_PKTINFO), so with a wildcard
// bind it reads 0.0.0.0:PORT.
import dgram from 'node:dgram';
import type { Logger } from '@ambit/core';
import { formatEndpoint, makeAnswer, type ServerIdentity } from './answer.ts';
import { listenError } from './listen-error.ts';

export function bindUdpEcho(identity: ServerIdentity, host: string, port: number, logger: Logger): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (_message, remote) => {
    const bound = socket.address();
    const answer = makeAnswer(identity, { peer: formatEndpoint(remote.address, remote.port), local: formatEndpoint(bound.address, bound.port) }, 'udp');
    socket.send(`${JSON.stringify(answer)}\n`, remote.port, remote.address, (error) => {
      if (error) logger.debug({ err: error, peer: answer.peer }, 'UDP reply failed');
    });
  });
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.close();
      reject(listenError('UDP', host, port, error));
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      socket.on('error', (error) => logger.warn({ err: error, port }, 'UDP socket error'));
      resolve(socket);
    });
  });
}
