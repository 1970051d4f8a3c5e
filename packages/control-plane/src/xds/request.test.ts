import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { parseDeltaRequest, structToJson } from './request.ts';
import { XdsStreamError } from './errors.ts';

const node = { id: 'ztunnel~1', cluster: 'c', metadata: { fields: { NODE_NAME: { kind: 'string_value', string_value: 'node-1' } } } };

function rejects(value: unknown, first: boolean, code: string, pattern: RegExp): void {
  assert.throws(
    () => parseDeltaRequest(value, first),
    (error: unknown) => {
      assert.ok(error instanceof XdsStreamError);
      assert.equal(error.code, code);
      assert.equal(error.grpcCode, grpc.status.INVALID_ARGUMENT);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('parses a request in the xds-types conversion', () => {
  const r = parseDeltaRequest(
    {
      node,
      type_url: 'type.googleapis.com/istio.workload.Address',
      resource_names_subscribe: ['*'],
      resource_names_unsubscribe: [],
      initial_resource_versions: { a: '1' },
      response_nonce: '',
      error_detail: null,
    },
    true,
  );
  assert.equal(r.node?.id, 'ztunnel~1');
  assert.deepEqual(r.node?.metadata, { NODE_NAME: 'node-1' });
  assert.deepEqual(r.subscribe, ['*']);
  assert.deepEqual([...r.initialResourceVersions], [['a', '1']]);
  assert.equal(r.errorDetail, undefined);
});

test('later requests need no node; an error_detail makes a NACK', () => {
  const r = parseDeltaRequest({ type_url: 't', response_nonce: 'n1', error_detail: { code: 3, message: 'bad', details: [{ type_url: 'x', value: Buffer.from([1]) }] } }, false);
  assert.equal(r.node, undefined);
  assert.equal(r.errorDetail?.message, 'bad');
  assert.equal(r.errorDetail?.details.length, 1);
});

test('malformed requests are refused with INVALID_ARGUMENT naming the field', () => {
  rejects({ type_url: 't' }, true, 'AMBIT_XDS_SERVER_MISSING_NODE', /no node/);
  rejects({ node: { id: '' }, type_url: 't' }, true, 'AMBIT_XDS_SERVER_MISSING_NODE', /empty id/);
  rejects({ node, type_url: '' }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /type_url is empty/);
  rejects({ node, type_url: 't', resource_names_subscribe: ['a', 7] }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /resource_names_subscribe\[1\] must be a string, got number/);
  rejects({ node, type_url: 't', resource_names_unsubscribe: [''] }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /resource_names_unsubscribe\[0\] is empty/);
  rejects({ node, type_url: 't', resource_names_subscribe: 'a' }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /must be a list/);
  rejects({ node, type_url: 't', initial_resource_versions: { a: 1 } }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /initial_resource_versions\["a"\] must be a string/);
  rejects(null, false, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /must be a message, got null/);
  rejects({ node: 'x', type_url: 't' }, true, 'AMBIT_XDS_SERVER_INVALID_REQUEST', /node must be a message/);
});

test('node metadata Struct becomes JSON (nested values, lists, nulls)', () => {
  const json = structToJson({
    fields: {
      s: { kind: 'string_value', string_value: 'x' },
      n: { kind: 'number_value', number_value: 2 },
      b: { kind: 'bool_value', bool_value: true },
      z: { kind: 'null_value', null_value: 'NULL_VALUE' },
      o: { kind: 'struct_value', struct_value: { fields: { k: { kind: 'string_value', string_value: 'v' } } } },
      l: { kind: 'list_value', list_value: { values: [{ kind: 'number_value', number_value: 1 }, { kind: 'string_value', string_value: 'two' }] } },
      bad: 'not a value',
    },
  });
  assert.deepEqual(json, { s: 'x', n: 2, b: true, z: null, o: { k: 'v' }, l: [1, 'two'], bad: null });
  assert.deepEqual(structToJson(null), {});
  // protobufjs' bundled struct.proto spells the members in camelCase.
  assert.deepEqual(structToJson({ fields: { a: { kind: 'stringValue', stringValue: 'x' }, b: { numberValue: 3 } } }), { a: 'x', b: 3 });
});
