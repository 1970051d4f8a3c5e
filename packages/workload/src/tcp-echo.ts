// Plain TCP: one JSON answer line, then every byte the client sent (the sniffed ones first) echoed
// back until the client half-closes; then the server ends its side. Sockets are half-open.
import type { Socket } from 'node:net';
import type { Answer } from './answer.ts';

export function serveTcpEcho(socket: Socket, sniffed: Buffer, clientEnded: boolean, answer: Answer): void {
  socket.write(`${JSON.stringify(answer)}\n`);
  if (sniffed.length > 0) socket.write(sniffed);
  if (clientEnded) {
    socket.end();
    return;
  }
  // pipe() ends the writable side once the readable side ends: that is the half-close.
  socket.pipe(socket);
  socket.resume();
}
