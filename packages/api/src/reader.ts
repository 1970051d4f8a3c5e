// Small typed readers over the positioned tree. Each reader reports what is wrong with its field
// into the context and returns undefined, so callers carry on and every problem is collected.
import type { Problem } from '@ambit/core';
import { DUPLICATE, IGNORED_FIELD, INVALID_TYPE, INVALID_VALUE, REQUIRED, UNKNOWN_FIELD } from './codes.ts';
import type { PNode, Pos } from './yaml-tree.ts';

/** A field being read: its node, where it is named in the file, and its dotted path. */
export interface Field {
  node: PNode;
  /** The key's position for a map value, the item's position for a list item. */
  at: Pos;
  path: string;
}

export class Ctx {
  readonly file: string;
  readonly problems: Problem[] = [];

  constructor(file: string) {
    this.file = file;
  }

  error(code: string, at: Pos, path: string, message: string): void {
    this.problems.push({ file: this.file, line: at.line, col: at.col, path, message, code, severity: 'error' });
  }

  warn(code: string, at: Pos, path: string, message: string): void {
    this.problems.push({ file: this.file, line: at.line, col: at.col, path, message, code, severity: 'warning' });
  }

  errorCount(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }
}

/**
 * What a kind knows about the keys of one object:
 * - `read`: modelled by Ambit, read by the caller;
 * - `ignore`: valid Kubernetes field with no meaning for Ambit (server-set noise, cosmetics), accepted silently;
 * - `warn`: valid Kubernetes field Ambit does not honour, accepted with a warning.
 * Any other key is an unknown field (an error, as with `kubectl --validate=strict`).
 */
export type FieldRule = 'read' | 'ignore' | 'warn';
/** Keys of an object and their rules; the key `*` gives the rule for every key not listed. */
export type FieldTable = Readonly<Record<string, FieldRule>>;

export function childPath(parent: string, key: string): string {
  const part = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (part.startsWith('[')) return `${parent}${part}`;
  return parent ? `${parent}.${part}` : part;
}

export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** How a value reads in a message: `70000`, `"abc"`, `true`, `a list`, `an object`. */
export function describe(node: PNode): string {
  if (node.type === 'map') return 'an object';
  if (node.type === 'seq') return 'a list';
  if (typeof node.value === 'string') return JSON.stringify(node.value);
  return String(node.value);
}

function typeName(node: PNode): string {
  if (node.type === 'map') return 'an object';
  if (node.type === 'seq') return 'a list';
  if (node.value === null) return 'null';
  if (typeof node.value === 'string') return `a string (${JSON.stringify(node.value)})`;
  return `a ${typeof node.value} (${node.source || String(node.value)})`;
}

function isNull(node: PNode): boolean {
  return node.type === 'scalar' && node.value === null;
}

export interface ObjectReader {
  self: Field;
  /** The field, or undefined when absent or null (Kubernetes treats `key: null` as absent). */
  get(key: string): Field | undefined;
  /** Like get, but reports AMBIT_API_REQUIRED when absent. */
  require(key: string): Field | undefined;
}

/**
 * Reads a map field against its table: reports unknown keys (with a suggestion), warns on keys
 * Ambit does not honour, reports duplicate keys. Returns undefined (and reports) when not a map.
 */
export function readObject(ctx: Ctx, f: Field, table: FieldTable): ObjectReader | undefined {
  if (f.node.type !== 'map') {
    ctx.error(INVALID_TYPE, f.at, f.path, `must be an object, got ${typeName(f.node)}`);
    return undefined;
  }
  const fields = new Map<string, Field>();
  for (const e of f.node.entries) {
    const path = childPath(f.path, e.key);
    if (fields.has(e.key)) {
      ctx.error(DUPLICATE, e.keyAt, path, `duplicate key "${e.key}" (a later key would silently replace the earlier one)`);
      continue;
    }
    const rule = Object.hasOwn(table, e.key) && e.key !== '*' ? table[e.key] : table['*'];
    if (rule === undefined) {
      const hint = suggest(e.key, Object.keys(table).filter((k) => k !== '*'));
      ctx.error(UNKNOWN_FIELD, e.keyAt, path, `unknown field "${e.key}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
      continue;
    }
    if (rule === 'warn') ctx.warn(IGNORED_FIELD, e.keyAt, path, `is a Kubernetes field that Ambit does not use; ignored`);
    if (rule !== 'read') continue;
    fields.set(e.key, { node: e.value, at: e.keyAt, path });
  }
  const self = f;
  const get = (key: string): Field | undefined => {
    const v = fields.get(key);
    return v && !isNull(v.node) ? v : undefined;
  };
  return {
    self,
    get,
    require(key: string) {
      const v = get(key);
      if (!v) ctx.error(REQUIRED, self.at, childPath(self.path, key), 'is required');
      return v;
    },
  };
}

const YAML11_BOOLEANS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

export function readString(ctx: Ctx, f: Field): string | undefined {
  const n = f.node;
  if (n.type === 'scalar' && typeof n.value === 'string') {
    if (n.plain && YAML11_BOOLEANS.test(n.value)) {
      ctx.error(INVALID_TYPE, f.at, f.path, `must be a string, got ${n.value} unquoted, which Kubernetes (YAML 1.1) reads as a boolean; quote it: "${n.value}"`);
      return undefined;
    }
    return n.value;
  }
  const quoteHint = n.type === 'scalar' && n.value !== null ? `; quote it: "${n.source}"` : '';
  ctx.error(INVALID_TYPE, f.at, f.path, `must be a string, got ${typeName(n)}${quoteHint}`);
  return undefined;
}

export function readBool(ctx: Ctx, f: Field): boolean | undefined {
  const n = f.node;
  if (n.type === 'scalar' && typeof n.value === 'boolean') return n.value;
  ctx.error(INVALID_TYPE, f.at, f.path, `must be a boolean (true or false), got ${typeName(n)}`);
  return undefined;
}

/** An integer in [min, max]; a non-number is a type error, an out-of-range number a value error. */
export function readInt(ctx: Ctx, f: Field, min: number, max: number): number | undefined {
  const n = f.node;
  if (n.type !== 'scalar' || typeof n.value !== 'number') {
    ctx.error(INVALID_TYPE, f.at, f.path, `must be an integer, got ${typeName(n)}`);
    return undefined;
  }
  const v = n.value;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `between ${min} and ${max}`;
    ctx.error(INVALID_VALUE, f.at, f.path, `must be an integer ${range}, got ${n.source || String(v)}`);
    return undefined;
  }
  return v;
}

/** A list whose items are read by `item`; items that fail are dropped after reporting. */
export function readList<T>(ctx: Ctx, f: Field, item: (f: Field, index: number) => T | undefined): T[] | undefined {
  const n = f.node;
  if (n.type !== 'seq') {
    ctx.error(INVALID_TYPE, f.at, f.path, `must be a list, got ${typeName(n)}`);
    return undefined;
  }
  const out: T[] = [];
  n.items.forEach((node, i) => {
    const v = item({ node, at: node.at, path: itemPath(f.path, i) }, i);
    if (v !== undefined) out.push(v);
  });
  return out;
}

export function readStringList(ctx: Ctx, f: Field): string[] | undefined {
  return readList(ctx, f, (item) => readString(ctx, item));
}

/** A map of strings; `check(key, value)` returns an error message for a bad entry. */
export function readStringMap(
  ctx: Ctx,
  f: Field,
  checkKey: (key: string) => string | undefined,
  checkValue: (value: string) => string | undefined,
): Record<string, string> | undefined {
  const n = f.node;
  if (n.type !== 'map') {
    ctx.error(INVALID_TYPE, f.at, f.path, `must be a map of strings, got ${typeName(n)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const e of n.entries) {
    const path = childPath(f.path, e.key);
    if (seen.has(e.key)) {
      ctx.error(DUPLICATE, e.keyAt, path, `duplicate key "${e.key}"`);
      continue;
    }
    seen.add(e.key);
    const keyError = checkKey(e.key);
    if (keyError) ctx.error(INVALID_VALUE, e.keyAt, path, `invalid key ${JSON.stringify(e.key)}: ${keyError}`);
    const entry: Field = { node: e.value, at: e.keyAt, path };
    // `key:` with no value reads as null; Kubernetes rejects null where a string is expected.
    const value = readString(ctx, entry);
    if (value === undefined) continue;
    const valueError = checkValue(value);
    if (valueError) {
      ctx.error(INVALID_VALUE, e.keyAt, path, `${valueError}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (!keyError && e.key !== '__proto__') out[e.key] = value;
  }
  return out;
}

/** Checks a string read from `f` with a rule returning an error message; reports INVALID_VALUE. */
export function checkValue(ctx: Ctx, f: Field, value: string | undefined, rule: (v: string) => string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const err = rule(value);
  if (err) {
    ctx.error(INVALID_VALUE, f.at, f.path, `${err}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

/** The known key closest to a misspelt one, if close enough to be a likely typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 4)) + 1 ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
