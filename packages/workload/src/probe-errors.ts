// Short, stable error strings for probe results, from Node's error codes. Pure.

const BY_CODE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ECONNABORTED: 'connection reset',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTFOUND: 'no such host',
  ENODATA: 'no such host',
  EAI_NONAME: 'no such host',
  EAI_NODATA: 'no such host',
  EAI_AGAIN: 'dns unavailable',
  EAI_FAIL: 'dns unavailable',
  ERR_HTTP2_GOAWAY_SESSION: 'connection reset',
  ERR_HTTP2_STREAM_CANCEL: 'connection reset',
  ERR_INVALID_CHAR: 'invalid header',
  ERR_INVALID_HTTP_TOKEN: 'invalid header',
  ERR_HTTP2_INVALID_CONNECTION_HEADERS: 'invalid header',
};

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
}

export function probeError(error: unknown): string {
  // A stream cancelled because its session failed carries the session's error as its cause.
  if (codeOf(error) === 'ERR_HTTP2_STREAM_CANCEL' && error instanceof Error && codeOf(error.cause) !== '') return probeError(error.cause);
  const code = codeOf(error);
  const known = BY_CODE[code];
  if (known) return known;
  if (code.startsWith('HPE_')) return 'bad http response';
  if (code.startsWith('ERR_HTTP2_')) return 'http2 error';
  if (code !== '') return code.toLowerCase();
  return error instanceof Error ? error.message : String(error);
}
