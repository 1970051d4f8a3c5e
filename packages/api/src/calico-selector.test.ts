// Calico selector semantics, written from Calico's documentation (tigera docs "selectors",
// summarized in reference/cni-netpol.md 4.2), not from this implementation's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchCalicoSelector, parseCalicoSelector } from './calico-selector.ts';

const matching: Array<{ selector: string; labels: Record<string, string>; want: boolean; why: string }> = [
  { selector: "a == 'x'", labels: { a: 'x' }, want: true, why: 'equality holds' },
  { selector: "a == 'x'", labels: { a: 'y' }, want: false, why: 'other value' },
  { selector: "a == 'x'", labels: {}, want: false, why: '== is false when the label is absent' },
  { selector: "a != 'x'", labels: {}, want: true, why: '!= is true when the label is absent' },
  { selector: "a != 'x'", labels: { a: 'x' }, want: false, why: '!= with the same value' },
  { selector: "a != 'x'", labels: { a: 'y' }, want: true, why: '!= with another value' },
  { selector: 'has(a)', labels: { a: '' }, want: true, why: 'has() is true for an empty value' },
  { selector: 'has(a)', labels: {}, want: false, why: 'has() on an absent label' },
  { selector: '!has(a)', labels: {}, want: true, why: '!has() on an absent label' },
  { selector: '!has(a)', labels: { a: 'x' }, want: false, why: '!has() on a present label' },
  { selector: "a in {'x', 'y'}", labels: { a: 'y' }, want: true, why: 'in: member' },
  { selector: "a in {'x', 'y'}", labels: { a: 'z' }, want: false, why: 'in: not a member' },
  { selector: "a in {'x'}", labels: {}, want: false, why: 'in is false when the label is absent' },
  { selector: 'a in {}', labels: { a: 'x' }, want: false, why: 'in the empty set matches nothing' },
  { selector: 'a in {}', labels: {}, want: false, why: 'in the empty set matches nothing, absent label too' },
  { selector: "a not in {'x', 'y'}", labels: {}, want: true, why: 'not in is true when the label is absent' },
  { selector: "a not in {'x', 'y'}", labels: { a: 'x' }, want: false, why: 'not in: member' },
  { selector: "a not in {'x', 'y'}", labels: { a: 'z' }, want: true, why: 'not in: not a member' },
  { selector: 'a not in {}', labels: { a: 'x' }, want: true, why: 'not in the empty set matches everything' },
  { selector: "a contains 'ell'", labels: { a: 'hello' }, want: true, why: 'contains' },
  { selector: "a contains 'ell'", labels: {}, want: false, why: 'contains on an absent label' },
  { selector: "a starts with 'he'", labels: { a: 'hello' }, want: true, why: 'starts with' },
  { selector: "a ends with 'lo'", labels: { a: 'hello' }, want: true, why: 'ends with' },
  { selector: "a ends with 'he'", labels: { a: 'hello' }, want: false, why: 'ends with, other suffix' },
  { selector: 'all()', labels: {}, want: true, why: 'all() matches everything' },
  { selector: '', labels: { a: 'x' }, want: true, why: 'an empty selector is all()' },
  { selector: '   ', labels: {}, want: true, why: 'a blank selector is all()' },
  { selector: 'global()', labels: { 'projectcalico.org/namespace': 'shop' }, want: false, why: 'global() excludes namespaced entities' },
  { selector: 'global()', labels: { role: 'net' }, want: true, why: 'global() matches non-namespaced entities' },
  { selector: "projectcalico.org/name == 'shop'", labels: { 'projectcalico.org/name': 'shop' }, want: true, why: 'prefixed keys with dots and slashes' },
  { selector: 'role == "db"', labels: { role: 'db' }, want: true, why: 'double quotes' },
  { selector: "!a == 'x'", labels: {}, want: true, why: '! applies to the match expression: !(a == x)' },
  { selector: "a == 'x' || b == 'y' && c == 'z'", labels: { a: 'x' }, want: true, why: '&& binds tighter than ||: a || (b && c)' },
  { selector: "a == 'x' || b == 'y' && c == 'z'", labels: { b: 'y' }, want: false, why: '&& binds tighter than ||: b alone is not enough' },
  { selector: "(a == 'x' || b == 'y') && c == 'z'", labels: { a: 'x' }, want: false, why: 'parentheses regroup' },
  { selector: "!a == 'x' && b == 'y'", labels: { b: 'y' }, want: true, why: '! binds tighter than &&: (!a==x) && b==y' },
  { selector: "!(a == 'x' && b == 'y')", labels: { a: 'x', b: 'y' }, want: false, why: 'negated group' },
  { selector: "!!has(a)", labels: { a: '1' }, want: true, why: 'double negation' },
  { selector: "has(projectcalico.org/orchestrator) && projectcalico.org/orchestrator == 'k8s'", labels: { 'projectcalico.org/orchestrator': 'k8s' }, want: true, why: 'the selector Calico writes for Kubernetes policies' },
];

for (const c of matching) {
  test(`Calico selector: ${JSON.stringify(c.selector)} on ${JSON.stringify(c.labels)} is ${c.want} (${c.why})`, () => {
    const r = parseCalicoSelector(c.selector);
    assert.ok(r.ok, r.ok ? '' : `${r.message} at ${r.offset}`);
    assert.equal(matchCalicoSelector(r.ast, c.labels), c.want);
  });
}

const errors: Array<{ selector: string; offset: number; message: RegExp }> = [
  { selector: "a = 'x'", offset: 2, message: /unexpected "="/ },
  { selector: "a == x", offset: 5, message: /expected a quoted string after "=="/ },
  { selector: "a == 'x", offset: 5, message: /unterminated string/ },
  { selector: 'has(a', offset: 5, message: /"\)" to close has\(/ },
  { selector: 'has()', offset: 4, message: /label name inside has/ },
  { selector: "a == 'x' &&", offset: 11, message: /found the end of the selector/ },
  { selector: "a == 'x' & b == 'y'", offset: 9, message: /did you mean "&&"/ },
  { selector: "(a == 'x'", offset: 9, message: /expected "\)"/ },
  { selector: "a in ('x')", offset: 5, message: /"\{" to open the set/ },
  { selector: "a in {'x' 'y'}", offset: 10, message: /"," or "\}"/ },
  { selector: 'a', offset: 1, message: /expected an operator after label "a"/ },
  { selector: "a === 'x'", offset: 4, message: /unexpected "="/ },
  { selector: "a == 'x' b == 'y'", offset: 9, message: /expected "&&", "\|\|" or the end/ },
  { selector: 'all', offset: 3, message: /expected an operator after label "all"/ },
  { selector: 'all(x)', offset: 4, message: /all\(\) takes no argument/ },
  { selector: "a == 'x' #", offset: 9, message: /unexpected character "#"/ },
  { selector: "a not {'x'}", offset: 2, message: /expected an operator/ },
];

for (const c of errors) {
  test(`Calico selector: ${JSON.stringify(c.selector)} is rejected at offset ${c.offset}`, () => {
    const r = parseCalicoSelector(c.selector);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.offset, c.offset, r.message);
    assert.match(r.message, c.message);
  });
}
