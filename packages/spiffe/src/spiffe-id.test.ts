import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmbitError } from '@ambit/core';
import { istioIdentity, parseIstioIdentity, parseSpiffeId, tryParseSpiffeId } from './spiffe-id.ts';

const valid: Array<[string, string, string]> = [
  ['spiffe://cluster.local/ns/default/sa/web', 'cluster.local', '/ns/default/sa/web'],
  ['spiffe://example.org', 'example.org', ''],
  ['spiffe://td-1_x.y/a/B/c.d-e_f', 'td-1_x.y', '/a/B/c.d-e_f'],
  ['spiffe://td/...', 'td', '/...'],
  [`spiffe://td/${'a'.repeat(2048 - 'spiffe://td/'.length)}`, 'td', `/${'a'.repeat(2048 - 'spiffe://td/'.length)}`],
];

for (const [uri, trustDomain, path] of valid) {
  test(`valid SPIFFE ID ${uri.slice(0, 60)}`, () => {
    assert.deepEqual(parseSpiffeId(uri), { trustDomain, path, uri });
    assert.deepEqual(tryParseSpiffeId(uri), { trustDomain, path, uri });
  });
}

const invalid: Array<[string, string, RegExp]> = [
  ['empty', '', /empty/],
  ['wrong scheme', 'https://cluster.local/ns/a', /scheme "https"/],
  ['upper-case scheme', 'SPIFFE://cluster.local/ns/a', /scheme "SPIFFE"/],
  ['no scheme', 'cluster.local/ns/a', /scheme is missing/],
  ['single slash', 'spiffe:/cluster.local', /scheme "spiffe"/],
  ['missing trust domain', 'spiffe:///ns/a', /trust domain is missing/],
  ['only scheme', 'spiffe://', /trust domain is missing/],
  ['upper-case trust domain', 'spiffe://Cluster.local/ns/a', /upper case "C"/],
  ['port', 'spiffe://cluster.local:8080/ns/a', /port/],
  ['userinfo', 'spiffe://user@cluster.local/ns/a', /userinfo/],
  ['userinfo with password', 'spiffe://u:p@cluster.local', /port|userinfo/],
  ['query', 'spiffe://cluster.local/ns/a?x=1', /query/],
  ['query after trust domain', 'spiffe://cluster.local?x=1', /query/],
  ['fragment', 'spiffe://cluster.local/ns/a#frag', /fragment/],
  ['empty segment', 'spiffe://cluster.local/ns//a', /empty segment/],
  ['dot segment', 'spiffe://cluster.local/ns/./a', /dot segment "."/],
  ['dot-dot segment', 'spiffe://cluster.local/ns/../a', /dot segment ".."/],
  ['percent-encoding in path', 'spiffe://cluster.local/ns/a%20b', /percent-encoding/],
  ['percent-encoding in trust domain', 'spiffe://clu%73ter.local/ns', /percent-encoding/],
  ['trailing slash', 'spiffe://cluster.local/ns/a/', /trailing slash/],
  ['trailing slash after trust domain', 'spiffe://cluster.local/', /trailing slash/],
  ['space in path', 'spiffe://cluster.local/ns/a b', /contains " "/],
  ['non-ASCII in path', 'spiffe://cluster.local/ns/é', /contains "é"/],
  ['non-ASCII trust domain', 'spiffe://clüster.local/ns', /contains "ü"/],
  ['too long', `spiffe://td/${'a'.repeat(2048)}`, /longer than 2048 bytes/],
  ['too long in bytes, not chars', `spiffe://td/${'a'.repeat(1020)}${'é'.repeat(520)}`, /longer than 2048 bytes/],
  ['trust domain over 255', `spiffe://${'a'.repeat(256)}/x`, /longer than 255/],
];

for (const [name, uri, message] of invalid) {
  test(`invalid SPIFFE ID: ${name}`, () => {
    assert.equal(tryParseSpiffeId(uri), undefined);
    assert.throws(
      () => parseSpiffeId(uri),
      (error: unknown) => error instanceof AmbitError && error.code === 'AMBIT_SPIFFE_BAD_ID' && message.test(error.message),
    );
  });
}

test('istioIdentity builds spiffe://td/ns/<ns>/sa/<sa>', () => {
  assert.equal(istioIdentity('cluster.local', 'default', 'web'), 'spiffe://cluster.local/ns/default/sa/web');
});

const badIstio: Array<[string, [string, string, string]]> = [
  ['upper-case trust domain', ['Cluster.local', 'a', 'b']],
  ['empty namespace', ['td', '', 'b']],
  ['slash in service account', ['td', 'a', 'b/c']],
  ['dot-dot namespace', ['td', '..', 'b']],
];
for (const [name, args] of badIstio) {
  test(`istioIdentity refuses ${name}`, () => {
    assert.throws(() => istioIdentity(...args), { code: 'AMBIT_SPIFFE_BAD_ID' });
  });
}

const istioCases: Array<[string, ReturnType<typeof parseIstioIdentity>]> = [
  ['spiffe://cluster.local/ns/default/sa/web', { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'web' }],
  ['spiffe://cluster.local/ns/default/sa/web/extra', undefined],
  ['spiffe://cluster.local/ns/default', undefined],
  ['spiffe://cluster.local/sa/web/ns/default', undefined],
  ['spiffe://cluster.local', undefined],
  ['spiffe://cluster.local/ns//sa/web', undefined],
  ['not a uri', undefined],
];
for (const [uri, expected] of istioCases) {
  test(`parseIstioIdentity ${uri}`, () => assert.deepEqual(parseIstioIdentity(uri), expected));
}
