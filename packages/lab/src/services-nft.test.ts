import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderServicesTable } from './services-nft.ts';

// The golden file is reviewed by hand: it is what the kernel gets for two services, one with two
// endpoints (random choice), one UDP with one endpoint, and one without endpoints (no DNAT at all).
test('services table matches the reviewed golden file', () => {
  const text = renderServicesTable([
    {
      id: 'x/web:80/TCP',
      clusterIP: '10.96.0.11',
      port: 80,
      protocol: 'TCP',
      endpoints: [
        { ip: '10.244.1.2', port: 8080 },
        { ip: '10.244.2.2', port: 8080 },
      ],
    },
    { id: 'kube-system/kube-dns:53/UDP', clusterIP: '10.96.0.10', port: 53, protocol: 'UDP', endpoints: [{ ip: '10.244.1.3', port: 53 }] },
    { id: 'x/empty:81/TCP', clusterIP: '10.96.0.12', port: 81, protocol: 'TCP', endpoints: [] },
  ]);
  const golden = readFileSync(new URL('../test/golden/services.nft', import.meta.url), 'utf8');
  assert.equal(text, golden);
});

test('an empty service list still replaces the table atomically', () => {
  const text = renderServicesTable([]);
  assert.match(text, /^table ip ambit-services \{\}\ndelete table ip ambit-services\ntable ip ambit-services \{/);
  assert.doesNotMatch(text, /vmap/);
});
