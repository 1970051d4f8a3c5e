// Opens a byte stream to one endpoint: over HBONE (CONNECT `ip:port` to the endpoint's HBONE port,
// the waypoint's own certificate, the endpoint's identity required of the server) when the
// endpoint carries ambit.hbone metadata, else plain TCP (ADR 0007, ClusterLoadAssignment).
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '@ambit/core';
import { formatAuthority, type HboneCredentials, type HbonePool } from '@ambit/hbone';
import type { Endpoint } from '../contracts.ts';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';

export interface DialerOptions {
  pool: HbonePool;
  /** The waypoint's current certificate and roots; undefined while it has none. */
  credentials: () => HboneCredentials | undefined;
  /** The waypoint's SPIFFE ID and pod IP (the HBONE pool key's source). */
  identity: string;
  sourceIp: string;
}

export interface DialedStream {
  stream: Duplex;
  /** The verified SPIFFE ID of the peer (HBONE), undefined for plain TCP. */
  peerIdentity: string | undefined;
}

export class Dialer {
  readonly #options: DialerOptions;

  constructor(options: DialerOptions) {
    this.#options = options;
  }

  /** Resolves once the stream is usable (HBONE 200, or TCP connected); rejects within timeoutMs. */
  async dial(endpoint: Endpoint, timeoutMs: number, traceparent?: string): Promise<DialedStream> {
    if (endpoint.hbone === undefined) return { stream: await tcp(endpoint.ip, endpoint.port, timeoutMs), peerIdentity: undefined };
    const credentials = this.#options.credentials();
    if (credentials === undefined) throw waypointError(WAYPOINT_CODES.upstream, `no certificate for ${this.#options.identity} yet: cannot open HBONE to ${endpoint.key}`);
    const hbone = endpoint.hbone;
    const stream = await this.#options.pool.connect({
      key: { sourceIdentity: this.#options.identity, destinationIdentities: [hbone.identity], sourceIp: this.#options.sourceIp, destinationIp: endpoint.ip },
      dial: () => tcp(endpoint.ip, hbone.port, timeoutMs),
      credentials,
      authority: formatAuthority(endpoint.ip, endpoint.port),
      ...(traceparent !== undefined ? { headers: { traceparent } } : {}),
      timeoutMs: timeoutMs > 0 ? timeoutMs : 10_000,
    });
    return { stream, peerIdentity: stream.hbone.peerIdentity };
  }
}

function tcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out after ${timeoutMs}ms`)), timeoutMs) : undefined;
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Whoever reads the socket sees its end; an error event with no listener would crash the process.
      socket.on('error', () => {});
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(waypointError(WAYPOINT_CODES.upstream, `cannot connect to ${host}:${port}: ${errorMessage(error)}`, { cause: error }));
    };
    socket.once('error', onError);
  });
}
