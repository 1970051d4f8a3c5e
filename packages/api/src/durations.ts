// Duration strings in the two formats users write in policy YAML.
// - Istio fields (google.protobuf.Duration, checked by the CRD's CEL `duration(self)`): Go's
//   time.ParseDuration format, `1h30m`, `1.5s`, `300ms`; istiod requires at least 1ms.
// - Gateway API fields (GEP-2257): `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, integers only, `0s` allowed.

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go duration string, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;
  let pos = 0;
  let total = 0;
  const body = text;
  if (body.startsWith('-') || body.startsWith('+')) return undefined;
  if (body === '') return undefined;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * (GO_UNITS[m[2] ?? ''] ?? NaN);
    pos = re.lastIndex;
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Rule for Istio durations: a Go duration of at least 1ms. */
export function istioDuration(v: string): string | undefined {
  const ms = parseGoDuration(v);
  if (ms === undefined) return 'must be a duration such as 5s, 300ms, 1m30s or 1h';
  if (ms < 1) return 'must be a duration of at least 1ms';
  return undefined;
}

const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** Milliseconds in a Gateway API duration, or undefined when it is not one. */
export function parseGatewayDuration(text: string): number | undefined {
  if (!GATEWAY_DURATION.test(text)) return undefined;
  return parseGoDuration(text);
}

/** Rule for Gateway API durations (GEP-2257). */
export function gatewayDuration(v: string): string | undefined {
  return GATEWAY_DURATION.test(v) ? undefined : 'must be a Gateway API duration: 1 to 4 parts of up to 5 digits each followed by h, m, s or ms, such as 10s, 500ms or 1h30m';
}
