// Field readers shared by several kinds.
import { INVALID_VALUE } from '../codes.ts';
import { readString } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import { PROTOCOLS } from '../types.ts';
import type { Protocol } from '../types.ts';

/** protocol: TCP, UDP or SCTP; absent means TCP (Kubernetes' default). */
export function readProtocol(ctx: Ctx, f: Field | undefined): Protocol | undefined {
  if (!f) return 'TCP';
  const v = readString(ctx, f);
  if (v === undefined) return undefined;
  const p = PROTOCOLS.find((x) => x === v);
  if (!p) {
    const hint = PROTOCOLS.find((x) => x === v.toUpperCase()) ? ` (protocols are upper case: "${v.toUpperCase()}")` : '';
    ctx.error(INVALID_VALUE, f.at, f.path, `must be one of TCP, UDP, SCTP, got ${JSON.stringify(v)}${hint}`);
  }
  return p;
}

/** Drops undefined values so output YAML has no `key: null` noise. */
export function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
