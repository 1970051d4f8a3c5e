import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyStatus } from './policy-status.ts';

test('policyStatus: a condition per component, both on a policy both cannot fully honour', () => {
  const ztunnel = new Map([['AuthorizationPolicy/shop/a', 'rules with methods dropped']]);
  const waypoint = new Map([
    ['AuthorizationPolicy/shop/a', 'requestPrincipals never match'],
    ['AuthorizationPolicy/shop/b', 'CUSTOM provider "x" unknown'],
  ]);
  assert.deepEqual(policyStatus(ztunnel, waypoint), {
    'AuthorizationPolicy/shop/a': {
      conditions: [
        { type: 'ZtunnelAccepted', status: 'True', reason: 'UnsupportedValue', message: 'rules with methods dropped' },
        { type: 'WaypointAccepted', status: 'True', reason: 'UnsupportedValue', message: 'requestPrincipals never match' },
      ],
    },
    'AuthorizationPolicy/shop/b': { conditions: [{ type: 'WaypointAccepted', status: 'True', reason: 'UnsupportedValue', message: 'CUSTOM provider "x" unknown' }] },
  });
  assert.deepEqual(policyStatus(new Map(), new Map()), {});
});
