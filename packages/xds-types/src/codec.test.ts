import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAmbitError } from '@ambit/core';
import { decodeMessage, encodeMessage } from './codec.ts';
import { packAny, unpackAny } from './any.ts';
import { TYPE_URL } from './type-urls.ts';
import type { Address } from './types/workload.ts';

function rejects(c: string, pattern: RegExp, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isAmbitError(e) && e.code === c && pattern.test(e.message));
}

test('encode names the bad field: unknown (camelCase) key, wrong scalar, bad enum, two oneof members', () => {
  rejects('AMBIT_XDS_ENCODE', /Address\.workload\.serviceAccount: no such field/, () => encodeMessage('istio.workload.Address', { workload: { serviceAccount: 'x' } }));
  rejects('AMBIT_XDS_ENCODE', /services\["ns\/s"\]\.ports\[0\]\.target_port: expected a uint32/, () =>
    encodeMessage('istio.workload.Workload', { services: { 'ns/s': { ports: [{ target_port: -1 }] } } }));
  rejects('AMBIT_XDS_ENCODE', /tunnel_protocol: "HBONEX" is not a value/, () => encodeMessage('istio.workload.Workload', { tunnel_protocol: 'HBONEX' }));
  rejects('AMBIT_XDS_ENCODE', /oneof type has more than one member/, () => encodeMessage('istio.workload.Address', { workload: {}, service: {} }));
  rejects('AMBIT_XDS_ENCODE', /addresses\[0\]: expected bytes/, () => encodeMessage('istio.workload.Workload', { addresses: ['10.0.0.1'] }));
  rejects('AMBIT_XDS_ENCODE', /validity_duration: expected an int64/, () => encodeMessage('istio.v1.auth.IstioCertificateRequest', { validity_duration: '1.5' }));
  rejects('AMBIT_XDS_UNKNOWN_TYPE', /Workload/, () => encodeMessage('Workload', {}));
});

test('inputs: enum numbers, int64 numbers and strings, nulls', () => {
  const bytes = encodeMessage('istio.v1.auth.IstioCertificateRequest', { csr: 'x', validity_duration: 86400, metadata: null });
  assert.equal(decodeMessage<{ validity_duration: string }>('istio.v1.auth.IstioCertificateRequest', bytes).validity_duration, '86400');
  const big = encodeMessage('ambit.handoff.v1.AddWorkload', { netns_inode: '18446744073709551615' });
  assert.equal(decodeMessage<{ netns_inode: string }>('ambit.handoff.v1.AddWorkload', big).netns_inode, '18446744073709551615');
  const w = decodeMessage<{ tunnel_protocol: string }>('istio.workload.Workload', encodeMessage('istio.workload.Workload', { tunnel_protocol: 1 }));
  assert.equal(w.tunnel_protocol, 'HBONE');
});

test('an unknown enum number survives as a number', () => {
  const w = decodeMessage<{ tunnel_protocol: unknown }>('istio.workload.Workload', Uint8Array.of(0x28, 0x09)); // tunnel_protocol = 9
  assert.equal(w.tunnel_protocol, 9);
});

test('decode of garbage or truncated bytes throws AMBIT_XDS_DECODE', () => {
  rejects('AMBIT_XDS_DECODE', /istio\.workload\.Address/, () => decodeMessage('istio.workload.Address', Uint8Array.of(0x0a, 0x05, 0x01)));
  rejects('AMBIT_XDS_DECODE', /./, () => decodeMessage('istio.workload.Address', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)));
});

test('decoded objects re-encode to the same bytes', () => {
  const input = { workload: { uid: 'u', addresses: [Buffer.from([10, 0, 0, 1])], services: { 'ns/s': { ports: [{ service_port: 80, target_port: 8080 }] } }, capacity: { value: 3 } } };
  const bytes = encodeMessage('istio.workload.Address', input);
  const decoded = decodeMessage<Address>('istio.workload.Address', bytes);
  assert.deepEqual(encodeMessage('istio.workload.Address', decoded), bytes);
});

test('packAny / unpackAny', () => {
  const any = packAny(TYPE_URL.authorization, { name: 'p', namespace: 'ns', action: 'DENY' });
  assert.equal(any.type_url, 'type.googleapis.com/istio.security.Authorization');
  assert.ok(Buffer.isBuffer(any.value));
  assert.deepEqual([...any.value.subarray(0, 3)], [0x0a, 0x01, 0x70]); // name = 1: "p"
  const back = unpackAny<{ name: string; action: string }>(any);
  assert.equal(back.name, 'p');
  assert.equal(back.action, 'DENY');
  assert.equal(unpackAny<{ name: string }>({ typeUrl: any.type_url, value: any.value }).name, 'p');
  rejects('AMBIT_XDS_ANY', /type URL/, () => unpackAny({ value: any.value }));
  rejects('AMBIT_XDS_ANY', /bad type URL/, () => packAny('istio.security.Authorization/', {}));
  rejects('AMBIT_XDS_UNKNOWN_TYPE', /nope\.Thing/, () => unpackAny({ type_url: 'type.googleapis.com/nope.Thing', value: any.value }));
});

test('TYPE_URL names loadable messages', () => {
  for (const url of Object.values(TYPE_URL)) assert.doesNotThrow(() => unpackAny({ type_url: url, value: new Uint8Array(0) }), url);
});

test('zero values are left out, other values kept: "0" is a string, not a default', () => {
  assert.deepEqual([...encodeMessage('istio.workload.Workload', { name: '', native_tunnel: false, status: 'HEALTHY', addresses: [] })], []);
  assert.deepEqual([...encodeMessage('istio.workload.Workload', { name: '0' })], [0x0a, 0x01, 0x30]);
  // proto3 optional and message fields keep explicit presence, even at zero / empty.
  assert.deepEqual([...encodeMessage('istio.workload.NetworkAddress', { length: 0 })], [0x18, 0x00]);
  assert.deepEqual([...encodeMessage('ambit.policy.v1.NetworkPolicyPeer', { pod_selector: {} })], [0x0a, 0x00]);
});
