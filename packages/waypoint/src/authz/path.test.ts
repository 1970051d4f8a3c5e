// Expected paths follow RFC 3986 section 5.2.4 / 6.2.2 and Envoy's normalize_path with
// merge_slashes false (Istio's BASE normalisation), written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from './path.ts';

test('normalizePath', () => {
  const cases: Array<[string, string | undefined]> = [
    ['/', '/'],
    ['/api/v1/products', '/api/v1/products'],
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/public/../admin', '/admin'],
    ['/a/.b/..c', '/a/.b/..c'],
    ['/a//b', '/a//b'],
    ['/a//..', '/a/'],
    ['/%61dmin', '/admin'],
    ['/%7Euser/%2D', '/~user/-'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E/b', '/a/b'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2f..%2fb', '/a%2f..%2fb'],
    ['/a%20b', '/a%20b'],
    ['/a%zz', '/a%zz'],
    ['*', '*'],
    ['', undefined],
    ['admin', undefined],
    ['../admin', undefined],
    ['/a b', undefined],
    ['/a#frag', undefined],
    ['/a\u0000', undefined],
  ];
  for (const [raw, want] of cases) assert.equal(normalizePath(raw), want, JSON.stringify(raw));
});
