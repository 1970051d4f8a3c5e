import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yaml } from './helpers.ts';

test('yaml`` strips the first newline and common indentation', () => {
  const text = yaml`
    a: 1
    b:
      c: 2
  `;
  assert.equal(text, 'a: 1\nb:\n  c: 2\n');
});
