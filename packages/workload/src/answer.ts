// The answer every protocol of the workload server carries: who served, who asked, over what.

export type AnswerProtocol = 'tcp' | 'udp' | 'http/1.1' | 'h2c' | 'grpc';

export type AnswerHeaders = Record<string, string | string[]>;

export interface Answer {
  /** `namespace/name` of the pod this server runs in. */
  pod: string;
  node: string;
  /** `ip:port` of the client as this server sees it (`[ip]:port` for IPv6). */
  peer: string;
  /** `ip:port` the connection or datagram arrived on. */
  local: string;
  protocol: AnswerProtocol;
  method: string | null;
  path: string | null;
  headers: AnswerHeaders | null;
}

export interface ServerIdentity {
  pod: string;
  node: string;
}

/** `ip:port`, with brackets around IPv6 addresses; IPv4-mapped IPv6 addresses are shown as IPv4. */
export function formatEndpoint(ip: string | undefined, port: number | undefined): string {
  const address = ip ?? 'unknown';
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  const host = plain.includes(':') ? `[${plain}]` : plain;
  return `${host}:${port ?? 0}`;
}

export function makeAnswer(
  identity: ServerIdentity,
  endpoints: { peer: string; local: string },
  protocol: AnswerProtocol,
  request: { method: string; path: string; headers: AnswerHeaders } | null = null,
): Answer {
  return {
    pod: identity.pod,
    node: identity.node,
    peer: endpoints.peer,
    local: endpoints.local,
    protocol,
    method: request?.method ?? null,
    path: request?.path ?? null,
    headers: request?.headers ?? null,
  };
}
