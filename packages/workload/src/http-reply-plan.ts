// What an HTTP request asks the workload server to do, from its query string:
//   ?status=NNN   answer with that status (200..599)
//   ?delayMs=N    wait N ms first (at most MAX_DELAY_MS)
//   ?size=N       a body of N bytes instead of the JSON answer (at most MAX_SIZE_BYTES)
// Values out of range are clamped; values that are not integers are ignored. Pure.

export const MAX_DELAY_MS = 10_000;
export const MAX_SIZE_BYTES = 64 * 1024 * 1024;

export interface HttpReplyPlan {
  status: number;
  delayMs: number;
  /** null: the JSON answer is the body. */
  size: number | null;
}

function integerParam(params: URLSearchParams, name: string): number | null {
  const text = params.get(name);
  if (text === null || !/^\d{1,12}$/.test(text.trim())) return null;
  return Number(text.trim());
}

export function planHttpReply(path: string): HttpReplyPlan {
  const withoutFragment = path.split('#', 1)[0] ?? '';
  const queryStart = withoutFragment.indexOf('?');
  const params = new URLSearchParams(queryStart === -1 ? '' : withoutFragment.slice(queryStart + 1));
  const status = integerParam(params, 'status');
  const delayMs = integerParam(params, 'delayMs');
  const size = integerParam(params, 'size');
  return {
    status: status !== null && status >= 200 && status <= 599 ? status : 200,
    delayMs: delayMs === null ? 0 : Math.min(delayMs, MAX_DELAY_MS),
    size: size === null ? null : Math.min(size, MAX_SIZE_BYTES),
  };
}

/** Statuses whose responses never carry a body. */
export function statusHasBody(status: number, method: string): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 205 && status !== 304;
}
