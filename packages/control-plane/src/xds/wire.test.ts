import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage } from '@ambit/xds-types';
import type { discovery } from '@ambit/xds-types';
import { rejectedNames, RESOURCE_INFO_TYPE_URL } from './nack.ts';
import { decodeResourceInfo, encodeDeltaResponse, encodeResource, encodeResourceInfo } from './wire.ts';
import type { XdsResource } from './types.ts';

const T = 'type.googleapis.com/istio.workload.Address';

test('encodeDeltaResponse decodes as envoy.service.discovery.v3.DeltaDiscoveryResponse', () => {
  const big: XdsResource = { name: 'Kubernetes//Pod/default/ünïcode', version: 'v1', body: new Uint8Array(300).fill(7), aliases: ['net/10.0.0.1', 'net/fd00::1'] };
  const small: XdsResource = { name: 'b', version: '', body: new Uint8Array(0) };
  const bytes = encodeDeltaResponse({
    systemVersionInfo: '42',
    typeUrl: T,
    nonce: 'abc-1',
    resources: [encodeResource(T, big), encodeResource(T, small)],
    removed: ['gone', 'also/gone'],
  });
  const decoded = decodeMessage<discovery.DeltaDiscoveryResponse>('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes);
  assert.equal(decoded.system_version_info, '42');
  assert.equal(decoded.type_url, T);
  assert.equal(decoded.nonce, 'abc-1');
  assert.deepEqual(decoded.removed_resources, ['gone', 'also/gone']);
  assert.equal(decoded.resources.length, 2);
  const [first, second] = decoded.resources;
  assert.equal(first?.name, big.name);
  assert.equal(first?.version, 'v1');
  assert.deepEqual(first?.aliases, ['net/10.0.0.1', 'net/fd00::1']);
  assert.equal(first?.resource?.type_url, T);
  assert.deepEqual(Uint8Array.from(first?.resource?.value ?? []), big.body);
  assert.equal(second?.name, 'b');
  assert.deepEqual(second?.aliases, []);
});

test('encodeResource caches per resource object and type URL', () => {
  const r: XdsResource = { name: 'a', version: '1', body: new Uint8Array([1, 2]) };
  assert.equal(encodeResource(T, r), encodeResource(T, r));
  assert.notEqual(encodeResource(T, r), encodeResource('type.googleapis.com/other', r));
});

test('an empty response is a valid message', () => {
  const bytes = encodeDeltaResponse({ systemVersionInfo: '', typeUrl: T, nonce: 'n', resources: [], removed: [] });
  const decoded = decodeMessage<discovery.DeltaDiscoveryResponse>('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes);
  assert.deepEqual(decoded.resources, []);
  assert.equal(decoded.nonce, 'n');
});

test('ResourceInfo round trip; garbage decodes to undefined', () => {
  const info = { resourceType: T, resourceName: 'Kubernetes//Pod/default/a', description: 'bad address length 5' };
  assert.deepEqual(decodeResourceInfo(encodeResourceInfo(info)), info);
  assert.equal(decodeResourceInfo(new Uint8Array([0x0a, 0x10, 0x41])), undefined);
  assert.equal(decodeResourceInfo(new Uint8Array([0x0b])), undefined);
});

test('NACK names from google.rpc.ResourceInfo details (Ambit convention)', () => {
  const detail = {
    code: 3,
    message: 'rejected 2 resources',
    details: [
      { typeUrl: RESOURCE_INFO_TYPE_URL, value: encodeResourceInfo({ resourceType: T, resourceName: 'a', description: 'x' }) },
      { typeUrl: RESOURCE_INFO_TYPE_URL, value: encodeResourceInfo({ resourceType: '', resourceName: 'b', description: 'y' }) },
      { typeUrl: RESOURCE_INFO_TYPE_URL, value: encodeResourceInfo({ resourceType: 'type.googleapis.com/other', resourceName: 'c', description: 'z' }) },
      { typeUrl: 'type.googleapis.com/google.rpc.DebugInfo', value: new Uint8Array([1]) },
    ],
  };
  assert.deepEqual(rejectedNames(T, detail, () => false), ['a', 'b']);
});

test('NACK names from a ztunnel message ("name: reason; name: reason"), only names sent', () => {
  const sent = new Set(['Kubernetes//Pod/default/a', 'ns/svc.ns.svc.cluster.local']);
  const detail = {
    code: 0,
    message: 'Kubernetes//Pod/default/a: invalid address; weird; made-up: reason; ns/svc.ns.svc.cluster.local: bad port: 0',
    details: [],
  };
  assert.deepEqual(rejectedNames(T, detail, (n) => sent.has(n)), ['Kubernetes//Pod/default/a', 'ns/svc.ns.svc.cluster.local']);
  assert.deepEqual(rejectedNames(T, { code: 0, message: 'decode failed', details: [] }, () => true), []);
});
