// The one error for a port the workload server cannot bind, naming the protocol and port.
import { AmbitError } from '@ambit/core';

export function listenError(protocol: 'TCP' | 'UDP', host: string, port: number, error: NodeJS.ErrnoException): AmbitError {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'address not available',
  };
  const reason = reasons[error.code ?? ''] ?? error.message;
  return new AmbitError('AMBIT_WORKLOAD_LISTEN_FAILED', `cannot listen on ${protocol} port ${port} at ${host}: ${reason}`, {
    cause: error,
    details: { protocol, host, port, errno: error.code },
    ...(error.code === 'EADDRINUSE' ? { hint: `another process already uses ${protocol} port ${port} in this network namespace` } : {}),
  });
}
