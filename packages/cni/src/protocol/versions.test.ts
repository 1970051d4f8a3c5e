import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, negotiateVersion, versionInfo } from './versions.ts';

const negotiation: Array<[string, string | undefined, string[] | undefined, string | undefined]> = [
  ['plain 1.0.0', '1.0.0', undefined, '1.0.0'],
  ['plain 1.1.0', '1.1.0', undefined, '1.1.0'],
  ['highest of cniVersions', '1.0.0', ['0.4.0', '1.0.0', '1.1.0'], '1.1.0'],
  ['newer than supported falls back', '2.0.0', ['1.0.0', '2.0.0'], '1.0.0'],
  ['only unsupported', '0.4.0', ['0.3.1'], undefined],
  ['nothing offered', undefined, undefined, undefined],
];
for (const [name, v, vs, expected] of negotiation) {
  test(`negotiateVersion: ${name}`, () => {
    assert.equal(negotiateVersion(v, vs), expected);
  });
}

test('compareVersions orders numerically', () => {
  assert.ok(compareVersions('0.10.0', '0.4.0') > 0);
  assert.ok(compareVersions('1.0.0', '1.1.0') < 0);
  assert.equal(compareVersions('1.1.0', '1.1.0'), 0);
});

test('VERSION reply lists 1.0.0 and 1.1.0', () => {
  assert.deepEqual(versionInfo(), { cniVersion: '1.1.0', supportedVersions: ['1.0.0', '1.1.0'] });
});
