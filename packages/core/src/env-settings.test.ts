import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envSettings } from './env-settings.ts';

const CODE = 'AMBIT_TEST_BAD_SETTING';
const env = { NAME: 'x', EMPTY: '', PORT: '8080', BIG: '70000', HALF: '1.5', WORD: 'abc', MODE: 'off', ODD: 'loud' };

test('each reader: value, default when unset or empty, error naming the variable and value', () => {
  const s = envSettings(env, CODE, { requiredHint: 'set by the deployment' });
  const cases: Array<{ what: string; run: () => unknown; want: unknown }> = [
    { what: 'required, set', run: () => s.required('NAME'), want: 'x' },
    { what: 'required, empty', run: () => s.required('EMPTY'), want: /^EMPTY is required$/ },
    { what: 'required, unset', run: () => s.required('NOPE'), want: /^NOPE is required$/ },
    { what: 'integer, in range', run: () => s.integer('PORT', 1, 0, 10_000), want: 8080 },
    { what: 'integer, unset', run: () => s.integer('NOPE', 7, 0, 10), want: 7 },
    { what: 'integer, empty', run: () => s.integer('EMPTY', 7, 0, 10), want: 7 },
    { what: 'integer, above max', run: () => s.integer('BIG', 1, 0, 65535), want: /^BIG=70000 is not an integer in \[0, 65535\]$/ },
    { what: 'integer, fraction', run: () => s.integer('HALF', 1, 0, 10), want: /^HALF=1\.5 is not an integer in \[0, 10\]$/ },
    { what: 'port', run: () => s.port('PORT', 1), want: 8080 },
    { what: 'port, unset', run: () => s.port('NOPE', 15000), want: 15000 },
    { what: 'port, out of range', run: () => s.port('BIG', 1), want: /^BIG=70000 is not a port number \(1-65535\)$/ },
    { what: 'port, not a number', run: () => s.port('WORD', 1), want: /^WORD=abc is not a port number \(1-65535\)$/ },
    { what: 'oneOf, allowed', run: () => s.oneOf('MODE', ['json', 'off'], 'json'), want: 'off' },
    { what: 'oneOf, unset', run: () => s.oneOf('NOPE', ['json', 'off'], 'json'), want: 'json' },
    { what: 'oneOf, other', run: () => s.oneOf('ODD', ['json', 'off'], 'json'), want: /^ODD=loud is not one of json, off$/ },
  ];
  for (const c of cases) {
    if (c.want instanceof RegExp) {
      const pattern = c.want;
      assert.throws(c.run, (e: Error & { code?: string }) => e.code === CODE && pattern.test(e.message), c.what);
    } else assert.equal(c.run(), c.want, c.what);
  }
});

test('the hint goes with a missing required value only', () => {
  const s = envSettings({}, CODE, { requiredHint: 'set by the deployment' });
  assert.throws(() => s.required('X'), (e: Error & { hint?: string }) => e.hint === 'set by the deployment');
  assert.throws(() => envSettings({}, CODE).required('X'), (e: Error & { hint?: string }) => e.hint === undefined);
});
