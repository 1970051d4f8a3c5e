import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from './settings.ts';

const BASE = {
  NODE_NAME: 'node-1',
  POD_NAME: 'waypoint-7d9f',
  POD_NAMESPACE: 'shop',
  POD_IP: '10.244.1.7',
  SERVICE_ACCOUNT: 'waypoint',
  GATEWAY_NAME: 'waypoint',
  XDS_ADDRESS: '10.240.0.2:15012',
  ROOT_CA: '/etc/ambit/root.pem',
  TOKEN_FILE: '/var/run/ambit/node-token',
};

test('defaults: ADR 0007 ports, CA at the xDS address, cluster.local', () => {
  const s = readSettings(BASE);
  assert.equal(s.caAddress, '10.240.0.2:15012');
  assert.equal(s.trustDomain, 'cluster.local');
  assert.deepEqual([s.hbonePort, s.adminPort, s.metricsPort, s.readinessPort], [15008, 15000, 15020, 15021]);
  assert.equal(s.listenHost, '0.0.0.0');
  assert.equal(s.logFormat, 'text');
  assert.equal(s.accessLog, 'json', 'an access log line per request unless turned off');
});

const accessLogs: Array<[string, 'json' | 'off' | RegExp]> = [
  ['json', 'json'],
  ['off', 'off'],
  ['', 'json'],
  ['OFF', /ACCESS_LOG=OFF is not one of json, off/],
  ['text', /ACCESS_LOG=text is not one of json, off/],
];
for (const [value, want] of accessLogs) {
  test(`ACCESS_LOG=${value}`, () => {
    if (want instanceof RegExp) assert.throws(() => readSettings({ ...BASE, ACCESS_LOG: value }), (e: Error & { code?: string }) => e.code === 'AMBIT_WAYPOINT_BAD_SETTING' && want.test(e.message));
    else assert.equal(readSettings({ ...BASE, ACCESS_LOG: value }).accessLog, want);
  });
}

for (const name of Object.keys(BASE)) {
  test(`${name} is required`, () => {
    const env: Record<string, string> = { ...BASE };
    delete env[name];
    assert.throws(() => readSettings(env), (e: Error & { code?: string }) => e.code === 'AMBIT_WAYPOINT_BAD_SETTING' && e.message === `${name} is required`);
  });
}

test('a port out of range is named', () => {
  assert.throws(() => readSettings({ ...BASE, HBONE_PORT: '70000' }), /HBONE_PORT=70000 is not an integer in \[1, 65535\]/);
});
