import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatProblem, waitFor, AmbitError } from './index.ts';

test('durations as DESIGN.md writes them', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500],
    ['1s', 1000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  for (const bad of ['', '5', '1 s', 's', '1x', '1s2', '-1s', 'ms']) {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CORE_BAD_DURATION', bad);
  }
});

test('problems print as file:line:col path: message [CODE]', () => {
  const base = { file: 'a.yaml', line: 3, col: 7, path: 'spec.ports[0].port', message: 'must be 1-65535', code: 'AMBIT_API_INVALID_VALUE', severity: 'error' as const };
  assert.equal(formatProblem(base), 'a.yaml:3:7 spec.ports[0].port: must be 1-65535 [AMBIT_API_INVALID_VALUE]');
  assert.equal(formatProblem({ ...base, line: 0, path: '' }), 'a.yaml must be 1-65535 [AMBIT_API_INVALID_VALUE]');
  assert.equal(formatProblem({ ...base, severity: 'warning' }), 'a.yaml:3:7 warning: spec.ports[0].port: must be 1-65535 [AMBIT_API_INVALID_VALUE]');
});

test('waitFor returns the first truthy value and times out with the thing awaited', async () => {
  let calls = 0;
  assert.equal(await waitFor(() => (++calls >= 3 ? 'done' : undefined), { timeoutMs: 1000, intervalMs: 1, what: 'x' }), 'done');
  await assert.rejects(waitFor(() => false, { timeoutMs: 30, intervalMs: 5, what: 'the moon' }), (e: unknown) => e instanceof AmbitError && e.code === 'AMBIT_CORE_TIMEOUT' && /the moon/.test(e.message));
});
