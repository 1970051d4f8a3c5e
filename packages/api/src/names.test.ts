// Name and label rules, from k8s.io/apimachinery/pkg/util/validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dns1123Label, dns1123Subdomain, envVarName, ianaSvcName, ipAddress, ipv4, labelValue, qualifiedName } from './names.ts';
import type { NameRule } from './names.ts';

const rules: Array<{ rule: string; check: NameRule; valid: string[]; invalid: string[] }> = [
  {
    rule: 'dns1123Label',
    check: dns1123Label,
    valid: ['a', 'web', 'web-1', '1web', '0', 'a'.repeat(63)],
    invalid: ['', 'Web', 'web_1', '-web', 'web-', 'web.v1', 'a'.repeat(64)],
  },
  {
    rule: 'dns1123Subdomain',
    check: dns1123Subdomain,
    valid: ['a', 'web.v1', 'a.b-c.d', `${'a'.repeat(63)}.${'b'.repeat(63)}`, 'a'.repeat(253)],
    invalid: ['', 'Web', 'web..v1', '.web', 'web.', 'web.-v1', 'web_1', 'a'.repeat(254)],
  },
  {
    rule: 'qualifiedName (label keys)',
    check: qualifiedName,
    valid: ['app', 'App_1.x-y', 'app.kubernetes.io/name', 'example.com/A', 'a/b', 'k'.repeat(63), `example.com/${'k'.repeat(63)}`],
    invalid: ['', '/a', 'a/', 'a/b/c', 'Example.com/a', '-a', 'a-', '_a', 'a b', 'k'.repeat(64), `${'p'.repeat(254)}/a`],
  },
  {
    rule: 'labelValue',
    check: labelValue,
    valid: ['', 'a', 'Web_1.2-x', 'v'.repeat(63), '1.0'],
    invalid: ['-a', 'a-', '.a', 'a b', 'a/b', 'v'.repeat(64)],
  },
  {
    rule: 'ianaSvcName (container port names)',
    check: ianaSvcName,
    valid: ['http', 'h2c', '9p', 'a-b', 'http-metrics', 'a'.repeat(15)],
    invalid: ['', '80', 'HTTP', 'a--b', '-http', 'http-', 'h_ttp', 'a.b', 'a'.repeat(16)],
  },
  {
    rule: 'ipv4',
    check: ipv4,
    valid: ['0.0.0.0', '10.96.0.10', '255.255.255.255'],
    invalid: ['', '10.96.0', '10.96.0.256', '010.96.0.1', '10.96.0.1.2', '::1', 'a.b.c.d', '10.96.0.-1'],
  },
  {
    rule: 'ipAddress (status fields)',
    check: ipAddress,
    valid: ['10.244.1.5', '::1', 'fd00:10:244::5', '2001:db8:0:0:0:0:0:1', '::ffff:10.0.0.1'],
    invalid: ['', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'g::1', '10.0.0.1/24'],
  },
  {
    rule: 'envVarName',
    check: envVarName,
    valid: ['PORT', 'my.var', 'a-b', '_x'],
    invalid: ['', 'A=B', 'tab\there', 'é'],
  },
];

for (const r of rules) {
  test(`${r.rule}: accepts ${r.valid.length} valid values`, () => {
    for (const v of r.valid) assert.equal(r.check(v), undefined, `${JSON.stringify(v)} should be valid`);
  });
  test(`${r.rule}: rejects ${r.invalid.length} invalid values`, () => {
    for (const v of r.invalid) assert.match(r.check(v) ?? '', /^must /, `${JSON.stringify(v)} should be invalid`);
  });
}
