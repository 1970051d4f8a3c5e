// Field readers shared by several kinds.
import { DUPLICATE, INVALID_TYPE, INVALID_VALUE } from '../codes.ts';
import { checkValue, describe, readList, readString } from '../reader.ts';
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

/** A string that must be one of `values`; reports INVALID_VALUE (with a case hint) otherwise. */
export function readEnum<T extends string>(ctx: Ctx, f: Field, values: readonly T[]): T | undefined {
  const v = readString(ctx, f);
  if (v === undefined) return undefined;
  const found = values.find((x) => x === v);
  if (found === undefined) {
    const near = values.find((x) => x.toLowerCase() === v.toLowerCase());
    const hint = near ? ` (values are case-sensitive: "${near}")` : '';
    ctx.error(INVALID_VALUE, f.at, f.path, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}${hint}`);
  }
  return found;
}

/** A string checked by a rule (a NameRule-style function); INVALID_VALUE at the field when it fails. */
export function readChecked(ctx: Ctx, f: Field, rule: (v: string) => string | undefined): string | undefined {
  return checkValue(ctx, f, readString(ctx, f), rule);
}

/**
 * A list of strings, each checked by `rule` at its own position. Returns undefined when the
 * field or any item is bad, so a partly valid list never reaches a resource.
 */
export function readCheckedList(ctx: Ctx, f: Field, rule: (v: string) => string | undefined): string[] | undefined {
  const before = ctx.errorCount();
  const list = readList(ctx, f, (item) => readChecked(ctx, item, rule));
  return ctx.errorCount() === before ? list : undefined;
}

/** Reports a list longer than `max` (the CRD's maxItems) at the list; true when within bounds. */
export function checkMaxItems(ctx: Ctx, f: Field, max: number): boolean {
  if (f.node.type === 'seq' && f.node.items.length > max) {
    ctx.error(INVALID_VALUE, f.at, f.path, `must have at most ${max} items, got ${f.node.items.length}`);
    return false;
  }
  return true;
}

/** Number of items written in a list field (0 for anything that is not a list). */
export function itemCount(f: Field | undefined): number {
  return f?.node.type === 'seq' ? f.node.items.length : 0;
}

/** A number (integer or not), as YAML writes it; a quoted number is a type error. */
export function readNumber(ctx: Ctx, f: Field): number | undefined {
  const n = f.node;
  if (n.type === 'scalar' && typeof n.value === 'number' && Number.isFinite(n.value)) return n.value;
  ctx.error(INVALID_TYPE, f.at, f.path, `must be a number, got ${describe(n)}`);
  return undefined;
}

/** Rule: not the empty string. */
export const nonEmpty = (v: string): string | undefined => (v === '' ? 'must not be empty' : undefined);

/** Reports each later item whose `key(item)` repeats an earlier one, at the later item. */
export function reportRepeats<T>(ctx: Ctx, items: ReadonlyArray<{ value: T; field: Field }>, key: (v: T) => string, what: string): void {
  const seen = new Map<string, string>();
  for (const { value, field } of items) {
    const k = key(value);
    const first = seen.get(k);
    if (first !== undefined) ctx.error(DUPLICATE, field.at, field.path, `duplicate ${what} ${JSON.stringify(k)} (already used by ${first})`);
    else seen.set(k, field.path);
  }
}
