// A Root made from the bundled descriptor (the base files' protobufjs JSON) must be the Root the
// .proto parser makes: every message and enum with the same fields, numbers, wire types, presence,
// packing and oneofs, and the same bytes for the same object. The Envoy proxy files must still load
// into it on demand without redefining what it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { CONVERSION } from './options.ts';
import { pruneDefaults } from './prune.ts';
import { ENVOY_PROXY_PROTO_FILES } from './paths.ts';
import { parseBaseDescriptor, parseBaseRoot, rootFromDescriptor } from './root.ts';

const parsed = parseBaseRoot();
const descriptor = JSON.parse(JSON.stringify(parseBaseDescriptor())) as ReturnType<typeof parseBaseDescriptor>;
const fromJson = rootFromDescriptor(descriptor);

function allTypes(ns: protobuf.NamespaceBase, out: Array<protobuf.Type | protobuf.Enum> = []): Array<protobuf.Type | protobuf.Enum> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) allTypes(nested, out);
  }
  return out;
}

/** What decides the wire format and the decoded shape of a field. */
function fieldShape(field: protobuf.Field): Record<string, unknown> {
  field.resolve();
  return {
    id: field.id,
    type: field.type,
    repeated: field.repeated,
    map: field instanceof protobuf.MapField ? (field as protobuf.MapField).keyType : null,
    packed: field.packed,
    presence: Boolean((field as unknown as { hasPresence?: unknown }).hasPresence),
    oneof: field.partOf?.name ?? null,
    resolved: field.resolvedType?.fullName ?? null,
    defaultValue: field.typeDefault instanceof Object ? String(field.typeDefault) : field.typeDefault,
  };
}

test('every base message and enum is the same in the descriptor Root as in the parsed one', () => {
  const types = allTypes(parsed);
  assert.ok(types.length > 100, `only ${types.length} types parsed`);
  for (const type of types) {
    const other = fromJson.lookup(type.fullName);
    assert.ok(other, `${type.fullName} missing from the descriptor Root`);
    if (type instanceof protobuf.Enum) {
      assert.deepEqual((other as protobuf.Enum).values, type.values, type.fullName);
      continue;
    }
    const otherType = other as protobuf.Type;
    assert.deepEqual(Object.keys(otherType.fields).sort(), Object.keys(type.fields).sort(), type.fullName);
    for (const [name, field] of Object.entries(type.fields)) {
      assert.deepEqual(fieldShape(otherType.fields[name] as protobuf.Field), fieldShape(field), `${type.fullName}.${name}`);
    }
    assert.deepEqual(otherType.oneofsArray.map((o) => [o.name, o.oneof]), type.oneofsArray.map((o) => [o.name, o.oneof]), type.fullName);
  }
  assert.equal(allTypes(fromJson).length, types.length);
});

test('the same object encodes to the same bytes and decodes to the same object with either Root', () => {
  const samples: Array<[string, object]> = [
    ['istio.workload.Address', { workload: { uid: 'c/u1', name: 'p', namespace: 'ns', addresses: [Buffer.from([10, 0, 0, 1])], tunnel_protocol: 'HBONE', services: { 'ns/s.ns.svc': { ports: [{ service_port: 80, target_port: 8080 }] } } } }],
    ['istio.security.Authorization', { name: 'deny', namespace: 'ns', action: 'DENY', rules: [{ clauses: [{ matches: [{ destination_ports: [80, 443], not_principals: [{ exact: 'x' }] }] }] }] }],
    ['envoy.service.discovery.v3.DeltaDiscoveryRequest', { type_url: 't', resource_names_subscribe: ['*'], initial_resource_versions: { a: 'v1' }, node: { id: 'n', metadata: { fields: { K: { stringValue: 'v' } } } } }],
    ['istio.v1.auth.IstioCertificateRequest', { csr: 'pem', validity_duration: '86400' }],
  ];
  for (const [name, value] of samples) {
    const a = parsed.lookupType(name);
    const b = fromJson.lookupType(name);
    const bytesA = a.encode(a.fromObject(pruneDefaults(a, value))).finish();
    const bytesB = b.encode(b.fromObject(pruneDefaults(b, value))).finish();
    assert.ok(bytesA.length > 4, name);
    assert.deepEqual([...bytesB], [...bytesA], name);
    assert.deepEqual(b.toObject(b.decode(bytesA), CONVERSION), a.toObject(a.decode(bytesA), CONVERSION), name);
  }
});

test('the Envoy proxy files load into the descriptor Root on demand, without redefining base types', () => {
  const root = rootFromDescriptor(descriptor);
  root.loadSync([...ENVOY_PROXY_PROTO_FILES], { keepCase: true });
  root.resolveAll();
  const listener = root.lookupType('envoy.config.listener.v3.Listener');
  const bytes = listener.encode(listener.fromObject({ name: 'main_internal', address: { socket_address: { address: '0.0.0.0', port_value: 15008 } } })).finish();
  const decoded = listener.toObject(listener.decode(bytes), CONVERSION) as { name: string; address: { socket_address: { port_value: number } } };
  assert.equal(decoded.name, 'main_internal');
  assert.equal(decoded.address.socket_address.port_value, 15008);
});
