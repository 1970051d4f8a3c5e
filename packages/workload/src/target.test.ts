import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget } from './target.ts';

test('parseTarget', () => {
  const cases: [string, object | null][] = [
    ['10.244.1.5:80', { host: '10.244.1.5', port: 80 }],
    ['backend-api.production:8080', { host: 'backend-api.production', port: 8080 }],
    ['web.default.svc.cluster.local:443', { host: 'web.default.svc.cluster.local', port: 443 }],
    ['[fd00::1]:53', { host: 'fd00::1', port: 53 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['10.0.0.1', null],
    ['10.0.0.1:0', null],
    ['10.0.0.1:65536', null],
    ['fd00::1:80', null],
    [':80', null],
    ['a b:80', null],
    ['host:80x', null],
  ];
  for (const [to, want] of cases) assert.deepEqual(parseTarget(to), want, to);
});
