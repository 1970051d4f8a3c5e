// The xDS boundary: decoded istio.workload.Address -> domain types, or an error naming the field
// (the xDS client NACKs just that resource).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type workload as pb } from '@ambit/xds-types';
import { addressFromProto, ConversionError } from './convert.ts';
import { ProxyState } from './store.ts';

const decode = (value: object): pb.Address => decodeMessage<pb.Address>('istio.workload.Address', encodeMessage('istio.workload.Address', value));

test('a workload with elided defaults gets the mesh trust domain, default account and identity', () => {
  const entry = addressFromProto(
    decode({
      workload: {
        uid: 'Kubernetes//Pod/prod/web-0',
        name: 'web-0',
        namespace: 'prod',
        addresses: [Uint8Array.from([10, 244, 1, 5])],
        tunnel_protocol: 'HBONE',
        node: 'node-1',
        services: { 'prod/web.prod.svc.cluster.local': { ports: [{ service_port: 80, target_port: 8080 }] } },
        authorization_policies: ['prod/allow'],
      },
    }),
  );
  assert.equal(entry.kind, 'workload');
  const w = entry.kind === 'workload' ? entry.workload : undefined;
  assert.deepEqual([w?.addresses, w?.protocol, w?.identity, w?.healthy, w?.capacity], [['10.244.1.5'], 'HBONE', 'spiffe://cluster.local/ns/prod/sa/default', true, 1]);
  assert.equal(w?.services.get('prod/web.prod.svc.cluster.local')?.get(80), 8080);
});

test('IPv6 addresses print in canonical compressed form', () => {
  const bytes = Uint8Array.from([0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
  const entry = addressFromProto(decode({ workload: { uid: 'u', namespace: 'n', addresses: [bytes] } }));
  assert.deepEqual(entry.kind === 'workload' ? entry.workload.addresses : [], ['fd00:10::5']);
});

test('malformed resources are refused with the field named', () => {
  const cases: Array<[object, RegExp]> = [
    [{ workload: { uid: '', namespace: 'n', addresses: [Uint8Array.from([1, 2, 3, 4])] } }, /workload\.uid/],
    [{ workload: { uid: 'u', namespace: 'n', addresses: [Uint8Array.from([1, 2, 3])] } }, /workload\.addresses\[0\]: an address must be 4 or 16 bytes/],
    [{ workload: { uid: 'u', namespace: 'n' } }, /workload\.addresses/],
    [{ service: { name: 's', namespace: 'n', hostname: '' } }, /service\.hostname/],
    [{}, /neither workload nor service/],
  ];
  for (const [value, message] of cases) assert.throws(() => addressFromProto(decode(value)), (e: unknown) => e instanceof ConversionError && message.test(e.message), JSON.stringify(value));
});

test('the store indexes by address and removes cleanly', () => {
  const s = new ProxyState();
  const svc = addressFromProto(decode({ service: { name: 'web', namespace: 'prod', hostname: 'web.prod.svc.cluster.local', addresses: [{ address: Uint8Array.from([10, 96, 0, 20]) }], ports: [{ service_port: 80, target_port: 8080 }] } }));
  const w = addressFromProto(decode({ workload: { uid: 'w', namespace: 'prod', addresses: [Uint8Array.from([10, 244, 1, 5])], services: { 'prod/web.prod.svc.cluster.local': { ports: [{ service_port: 80, target_port: 8080 }] } } } }));
  s.apply(new Map([['prod/web.prod.svc.cluster.local', svc], ['w', w]]), []);
  const service = s.serviceByAddress('', '10.96.0.20');
  assert.equal(service?.hostname, 'web.prod.svc.cluster.local');
  assert.deepEqual(s.endpointsOf(service!, 80).map((e) => [e.workload.uid, e.port]), [['w', 8080]]);
  s.apply(new Map(), ['w']);
  assert.equal(s.workloadByAddress('', '10.244.1.5'), undefined);
  assert.deepEqual(s.endpointsOf(service!, 80), []);
});
