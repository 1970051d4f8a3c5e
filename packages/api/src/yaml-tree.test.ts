// Malformed YAML: the problem is reported at the syntax error, and other documents and files
// are still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '@ambit/core';
import { parseResources } from './parse.ts';
import { problemsOf } from './testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    // "a" continues on the next line as "a labels", which then becomes a multi-line key.
    name: 'bad indentation: a key indented under a plain value',
    text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   labels: x\n',
    problems: ['4:9  AMBIT_API_YAML_SYNTAX'],
  },
  {
    name: 'unclosed quote: reported at the opening quote',
    text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "web\n  labels: {}\n',
    problems: ['4:9  AMBIT_API_YAML_SYNTAX'],
  },
  {
    name: 'a tab used for indentation',
    text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n',
    problems: ['4:1  AMBIT_API_YAML_SYNTAX'],
  },
  {
    name: 'unclosed flow sequence',
    text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  finalizers: [a, b\n',
    problems: ['6:1  AMBIT_API_YAML_SYNTAX'],
  },
  {
    name: 'a syntax error in one document does not hide problems in the next',
    text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: B\n',
    problems: ['4:1  AMBIT_API_YAML_SYNTAX', '9:3 metadata.name AMBIT_API_INVALID_VALUE'],
  },
];

for (const c of cases) {
  test(`YAML syntax: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('YAML syntax: messages say what is wrong and how to fix common causes', () => {
  const { problems } = parseResources([
    { path: 'tab.yaml', text: 'a:\n\tb: 1\n' },
    { path: 'quote.yaml', text: "a: 'x\nb: 1\n" },
  ]);
  assert.deepEqual(problems.map(formatProblem), [
    'tab.yaml:2:1 invalid YAML: tabs are not allowed as indentation (indent with spaces; YAML does not allow tabs for indentation) [AMBIT_API_YAML_SYNTAX]',
    'quote.yaml:1:4 invalid YAML: unclosed single quote (the string runs to line 3 and is never closed) [AMBIT_API_YAML_SYNTAX]',
  ]);
});
