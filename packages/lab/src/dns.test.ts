import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHostsFile, renderResolvConf, dnsmasqCommand } from './dns.ts';

test('hosts file names each service in the three forms a pod may ask for', () => {
  const text = renderHostsFile([
    { namespace: 'y', name: 'b', addresses: ['10.96.0.12'] },
    { namespace: 'x', name: 'a', addresses: ['10.96.0.11'] },
  ]);
  assert.deepEqual(text.split('\n').slice(1, 3), [
    '10.96.0.11 a.x.svc.cluster.local a.x.svc a.x',
    '10.96.0.12 b.y.svc.cluster.local b.y.svc b.y',
  ]);
});

test('resolv.conf searches the pod namespace first, as kubelet writes it', () => {
  assert.equal(renderResolvConf('x'), 'search x.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
});

test('dnsmasq never forwards: no upstream, no resolv.conf', () => {
  const args = dnsmasqCommand('/tmp/hosts');
  assert.ok(args.includes('--no-resolv'));
  assert.ok(!args.some((a) => a.startsWith('--server')));
});
