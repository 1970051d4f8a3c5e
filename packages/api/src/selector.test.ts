// selectorMatches, from Kubernetes semantics (apimachinery labels.Selector and
// metav1.LabelSelectorAsSelector): nil selects nothing, {} everything, terms are AND-ed, and
// NotIn/DoesNotExist hold when the key is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSelector, selectorMatches } from './selector.ts';
import type { LabelSelector } from './selector.ts';

const cases: Array<{ name: string; selector: LabelSelector | null | undefined; labels: Record<string, string>; matches: boolean }> = [
  { name: 'empty selector matches an object without labels', selector: {}, labels: {}, matches: true },
  { name: 'empty selector matches any labels', selector: {}, labels: { app: 'web' }, matches: true },
  { name: 'empty matchLabels and matchExpressions still match everything', selector: { matchLabels: {}, matchExpressions: [] }, labels: { a: 'b' }, matches: true },
  { name: 'null selector matches nothing', selector: null, labels: {}, matches: false },
  { name: 'undefined selector matches nothing', selector: undefined, labels: { app: 'web' }, matches: false },
  { name: 'matchLabels: a subset of the labels matches', selector: { matchLabels: { app: 'web' } }, labels: { app: 'web', tier: 'fe' }, matches: true },
  { name: 'matchLabels: a different value does not match', selector: { matchLabels: { app: 'web' } }, labels: { app: 'api' }, matches: false },
  { name: 'matchLabels: a missing key does not match', selector: { matchLabels: { app: 'web' } }, labels: {}, matches: false },
  { name: 'matchLabels: every pair must hold', selector: { matchLabels: { app: 'web', tier: 'fe' } }, labels: { app: 'web' }, matches: false },
  { name: 'matchLabels: an empty value matches only an empty value', selector: { matchLabels: { canary: '' } }, labels: { canary: '' }, matches: true },
  { name: 'In: value listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] }, labels: { env: 'staging' }, matches: true },
  { name: 'In: value not listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels: { env: 'dev' }, matches: false },
  { name: 'In: key absent does not match', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels: {}, matches: false },
  { name: 'NotIn: key absent matches', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: { app: 'web' }, matches: true },
  { name: 'NotIn: value listed does not match', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: { env: 'prod' }, matches: false },
  { name: 'NotIn: other value matches', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: { env: 'dev' }, matches: true },
  { name: 'Exists: key with an empty value exists', selector: { matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, labels: { canary: '' }, matches: true },
  { name: 'Exists: key absent', selector: { matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, labels: {}, matches: false },
  { name: 'DoesNotExist: key absent matches', selector: { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }, labels: { app: 'web' }, matches: true },
  { name: 'DoesNotExist: key present does not match, whatever its value', selector: { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }, labels: { legacy: '' }, matches: false },
  {
    name: 'matchLabels AND matchExpressions: both must hold (expression fails)',
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['be'] }] },
    labels: { app: 'web', tier: 'fe' },
    matches: false,
  },
  {
    name: 'matchLabels AND matchExpressions: both must hold (labels fail)',
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['be'] }] },
    labels: { app: 'api', tier: 'be' },
    matches: false,
  },
  {
    name: 'matchLabels AND matchExpressions: both hold',
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['be'] }] },
    labels: { app: 'web', tier: 'be' },
    matches: true,
  },
  {
    name: 'several expressions are AND-ed: In and NotIn on the same key',
    selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }, { key: 'env', operator: 'NotIn', values: ['staging'] }] },
    labels: { env: 'staging' },
    matches: false,
  },
  {
    name: 'several expressions are AND-ed: all hold',
    selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }, { key: 'env', operator: 'NotIn', values: ['staging'] }, { key: 'debug', operator: 'DoesNotExist' }] },
    labels: { env: 'prod' },
    matches: true,
  },
  { name: 'keys of Object.prototype are not labels (Exists)', selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels: {}, matches: false },
  { name: 'keys of Object.prototype are not labels (DoesNotExist)', selector: { matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, labels: {}, matches: true },
  { name: 'In with an empty string value', selector: { matchExpressions: [{ key: 'canary', operator: 'In', values: [''] }] }, labels: { canary: '' }, matches: true },
];

for (const c of cases) {
  test(`selectorMatches: ${c.name}`, () => {
    assert.equal(selectorMatches(c.selector, c.labels), c.matches);
  });
}

test('selectorMatches: an unknown operator (unvalidated input) fails closed', () => {
  const selector = { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] } as unknown as LabelSelector;
  assert.equal(selectorMatches(selector, { a: '2' }), false);
});

test('formatSelector renders like kubectl', () => {
  assert.equal(
    formatSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'canary', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    }),
    'app=web,tier in (a,b),env notin (dev),canary,!legacy',
  );
});
