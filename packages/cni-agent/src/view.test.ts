import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '@ambit/xds-types';
import { decodePolicyWorkload, ipFromBytes, ipToBytes } from './view.ts';
import { checkIstiod, istiodIdentity } from './tls.ts';

test('decodePolicyWorkload keeps what the agent needs', () => {
  const body = encodeMessage('ambit.policy.v1.PolicyWorkload', {
    uid: 'u1', name: 'web', namespace: 'shop', node: 'node-1', addresses: [Buffer.from([10, 244, 1, 5])], service_account: 'web', enrolled: true,
  });
  const pod = decodePolicyWorkload('u1', body);
  assert.deepEqual(
    { uid: pod.uid, name: pod.name, namespace: pod.namespace, node: pod.node, serviceAccount: pod.serviceAccount, enrolled: pod.enrolled, addresses: pod.addresses, key: pod.key, meshed: pod.meshed },
    { uid: 'u1', name: 'web', namespace: 'shop', node: 'node-1', serviceAccount: 'web', enrolled: true, addresses: ['10.244.1.5'], key: 'shop/web', meshed: true },
  );
});

test('decodePolicyWorkload rejects a resource whose uid is not its name, or whose address is malformed', () => {
  const body = encodeMessage('ambit.policy.v1.PolicyWorkload', { uid: 'u1', name: 'web', namespace: 'shop' });
  assert.throws(() => decodePolicyWorkload('u2', body), /differs from the resource name/);
  const bad = encodeMessage('ambit.policy.v1.PolicyWorkload', { uid: 'u1', name: 'web', namespace: 'shop', addresses: [Buffer.from([1, 2, 3])] });
  assert.throws(() => decodePolicyWorkload('u1', bad), /addresses\[0\]: expected 4 or 16 bytes, got 3/);
});

test('IP bytes round trip, IPv6 in canonical form', () => {
  for (const ip of ['10.244.1.5', '::1', 'fd00::1', '2001:db8:0:1:2:3:4:5', 'fe80::1:0:0:2', '::']) {
    assert.equal(ipFromBytes(ipToBytes(ip)), ip);
  }
  assert.equal(ipToBytes('fd00::a').length, 16);
});

test('the xDS server must carry exactly istiod\'s SPIFFE ID', () => {
  const check = checkIstiod(istiodIdentity('cluster.local'));
  assert.equal(check('10.0.0.1', { subjectaltname: 'URI:spiffe://cluster.local/ns/istio-system/sa/istiod, DNS:istiod.istio-system.svc' } as never), undefined);
  assert.match(String(check('x', { subjectaltname: 'URI:spiffe://other/ns/istio-system/sa/istiod' } as never)), /expected exactly spiffe:\/\/cluster\.local/);
  assert.match(String(check('x', { subjectaltname: 'DNS:istiod.istio-system.svc' } as never)), /no SPIFFE ID/);
});
