// Kubernetes label selectors (metav1.LabelSelector): reading with validation, and matching.
import { INVALID_VALUE } from './codes.ts';
import { labelValue, qualifiedName } from './names.ts';
import { checkValue, childPath, readList, readObject, readString, readStringMap } from './reader.ts';
import type { Ctx, Field } from './reader.ts';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export const SELECTOR_OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Whether a selector selects an object with these labels, as Kubernetes'
 * `metav1.LabelSelectorAsSelector` does:
 * - `null`/`undefined` (no selector at all) selects NOTHING;
 * - `{}` (no matchLabels, no matchExpressions) selects EVERYTHING;
 * - otherwise every matchLabels pair AND every expression must hold.
 * Where an API gives an absent selector another meaning (a NetworkPolicy peer without
 * podSelector, a Service without selector), the caller handles absence before calling this.
 * `NotIn` and `DoesNotExist` hold for objects lacking the key. An unknown operator (unvalidated
 * input) never matches, so a mistake fails closed.
 */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Record<string, string>): boolean {
  if (selector === null || selector === undefined) return false;
  const has = (key: string): boolean => Object.hasOwn(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has(req.key) || !values.includes(labels[req.key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has(req.key) && values.includes(labels[req.key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has(req.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(req.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when the selector has no requirement at all (`{}`), i.e. selects everything. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

export function readLabels(ctx: Ctx, f: Field): Record<string, string> | undefined {
  return readStringMap(ctx, f, qualifiedName, labelValue);
}

/** Reads and validates a LabelSelector as the API server does (ValidateLabelSelector). */
export function readLabelSelector(ctx: Ctx, f: Field): LabelSelector | undefined {
  const obj = readObject(ctx, f, { matchLabels: 'read', matchExpressions: 'read' });
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const selector: LabelSelector = {};
  const ml = obj.get('matchLabels');
  if (ml) {
    const labels = readLabels(ctx, ml);
    if (labels) selector.matchLabels = labels;
  }
  const me = obj.get('matchExpressions');
  if (me) {
    const exprs = readList(ctx, me, (item) => readRequirement(ctx, item));
    if (exprs) selector.matchExpressions = exprs;
  }
  return ctx.errorCount() === before ? selector : undefined;
}

function readRequirement(ctx: Ctx, f: Field): LabelSelectorRequirement | undefined {
  const obj = readObject(ctx, f, { key: 'read', operator: 'read', values: 'read' });
  if (!obj) return undefined;
  const keyField = obj.require('key');
  const key = keyField ? checkValue(ctx, keyField, readString(ctx, keyField), qualifiedName) : undefined;
  const opField = obj.require('operator');
  let operator: SelectorOperator | undefined;
  if (opField) {
    const op = readString(ctx, opField);
    if (op !== undefined) {
      operator = SELECTOR_OPERATORS.find((o) => o === op);
      if (!operator) ctx.error(INVALID_VALUE, opField.at, opField.path, `must be one of In, NotIn, Exists, DoesNotExist, got ${JSON.stringify(op)}`);
    }
  }
  const valuesField = obj.get('values');
  let values: string[] | undefined;
  if (valuesField) {
    values = readList(ctx, valuesField, (item) => checkValue(ctx, item, readString(ctx, item), labelValue));
    if (values && valuesField.node.type === 'seq' && values.length !== valuesField.node.items.length) values = undefined;
  }
  if (operator === 'In' || operator === 'NotIn') {
    const count = valuesField?.node.type === 'seq' ? valuesField.node.items.length : 0;
    if (count === 0) {
      ctx.error(INVALID_VALUE, valuesField?.at ?? obj.self.at, valuesField?.path ?? childPath(obj.self.path, 'values'),
        `must be a non-empty list when operator is ${operator}`);
      return undefined;
    }
  } else if (operator && valuesField?.node.type === 'seq' && valuesField.node.items.length > 0) {
    ctx.error(INVALID_VALUE, valuesField.at, valuesField.path, `must be empty when operator is ${operator}`);
    return undefined;
  }
  if (key === undefined || operator === undefined) return undefined;
  if (operator === 'In' || operator === 'NotIn') return values ? { key, operator, values } : undefined;
  return { key, operator };
}

/** Renders a selector the way kubectl does: `app=web,tier in (a,b),!legacy`. */
export function formatSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    if (r.operator === 'In') parts.push(`${r.key} in (${(r.values ?? []).join(',')})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${(r.values ?? []).join(',')})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.join(',');
}
