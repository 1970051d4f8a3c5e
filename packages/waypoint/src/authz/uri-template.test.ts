// Expected matches follow Envoy's uri_template documentation and Istio's path template docs
// ({*} = one segment, {**} = the rest, last only), written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUriTemplate } from './uri-template.ts';

test('uri templates match whole paths', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/v1/{*}/items', '/v1/shoes/items', true],
    ['/v1/{*}/items', '/v1/a/b/items', false],
    ['/v1/{*}/items', '/v1//items', false],
    ['/v1/{*}/items', '/v1/shoes/items/x', false],
    ['/v1/{**}', '/v1/a/b/c', true],
    ['/v1/{**}', '/v1/', true],
    ['/v1/{**}', '/v1', false],
    ['/v1/{**}', '/v2/a', false],
    ['/{*}/{**}', '/a/b/c', true],
    ['/users/{id}', '/users/42', true],
    ['/users/{id=*}/x', '/users/42/x', true],
    ['/files/{path=**}', '/files/a/b.txt', true],
    ['/a.b/{*}', '/aXb/c', false],
    ['/a.b/{*}', '/a.b/c', true],
  ];
  for (const [template, path, want] of cases) {
    const re = compileUriTemplate(template);
    assert.ok(re instanceof RegExp, `${template}: ${String(re)}`);
    assert.equal(re.test(path), want, `${template} vs ${path}`);
  }
});

test('bad templates are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['v1/{*}', /start with/],
    ['/v1/{**}/items', /last segment/],
    ['/v1/{foo*}', /neither/],
    ['/v1/a*b', /neither/],
    ['/{x}/{x}', /twice/],
  ];
  for (const [template, want] of cases) {
    const result = compileUriTemplate(template);
    assert.equal(typeof result, 'string', template);
    assert.match(String(result), want, template);
  }
});
