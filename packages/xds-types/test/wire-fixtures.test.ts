// Field numbers proven against bytes written by hand from the reference tables
// (/work/shared/reference/istio-ambient.md sections 2.1, 2.2, 3; proto/ambit/handoff/v1), never
// produced by our own encoder. Tag byte = (field number << 3) | wire type; wire type 0 = varint,
// 2 = length-delimited. Tags of fields >= 16 take two varint bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrames, decodeMessage, decodeRequest, decodeResponse, decodeHello, type ca, type security, type workload } from '@ambit/xds-types';

function hex(...groups: string[]): Buffer {
  return Buffer.from(groups.join('').replace(/\s+/g, ''), 'hex');
}



// Workload: 60 bytes (0x3c) in all.
const WORKLOAD = [
  'a2 01 02 75 31', //                uid = 20, wire 2 -> (20<<3)|2 = 162 = a2 01; len 2; "u1"
  '0a 03 70 6f 64', //                name = 1: "pod"
  '12 02 6e 73', //                   namespace = 2: "ns"
  '1a 04 0a 00 00 01', //             addresses = 3: raw 10.0.0.1
  '28 01', //                         tunnel_protocol = 5, varint: HBONE = 1
  '3a 02 73 61', //                   service_account = 7: "sa"
  '4a 02 6e 31', //                   node = 9: "n1"
  'b2 01 0f', //                      services = 22 (map entry): (22<<3)|2 = 178 = b2 01; entry len 15
  '   0a 04 6e 73 2f 73', //            entry key = 1: "ns/s"
  '   12 07', //                        entry value = 2: PortList, len 7
  '      0a 05', //                       PortList.ports = 1: Port, len 5
  '         08 50', //                      Port.service_port = 1: 80
  '         10 90 3f', //                   Port.target_port = 2: 8080 = 0x1f90 -> varint 90 3f
  '82 01 04 6e 73 2f 70', //          authorization_policies = 16: (16<<3)|2 = 130 = 82 01; "ns/p"
  'da 01 02 08 02', //                capacity = 27: (27<<3)|2 = 218 = da 01; UInt32Value{value = 1: 2}
];

test('istio.workload.Workload: field numbers from the table', () => {
  const w = decodeMessage<workload.Workload>('istio.workload.Workload', hex(...WORKLOAD));
  assert.equal(w.uid, 'u1');
  assert.equal(w.name, 'pod');
  assert.equal(w.namespace, 'ns');
  assert.deepEqual(w.addresses.map((a) => [...a]), [[10, 0, 0, 1]]);
  assert.equal(w.tunnel_protocol, 'HBONE');
  assert.equal(w.service_account, 'sa');
  assert.equal(w.node, 'n1');
  assert.deepEqual(Object.keys(w.services), ['ns/s']);
  assert.deepEqual(w.services['ns/s']?.ports, [{ service_port: 80, target_port: 8080, app_protocol: 'UNKNOWN' }]);
  assert.deepEqual(w.authorization_policies, ['ns/p']);
  assert.deepEqual(w.capacity, { value: 2 });
  // Defaults of everything the bytes did not carry.
  assert.equal(w.waypoint, null);
  assert.equal(w.status, 'HEALTHY');
  assert.equal(w.trust_domain, '');
});

test('istio.workload.Address: oneof workload = 1 wraps the same Workload', () => {
  const a = decodeMessage<workload.Address>('istio.workload.Address', hex('0a 3c', ...WORKLOAD)); // workload = 1, len 60
  assert.equal(a.type, 'workload');
  assert.equal(a.workload?.uid, 'u1');
  assert.equal(a.service, undefined);
});

test('istio.workload.Address: oneof service = 2', () => {
  const a = decodeMessage<workload.Address>('istio.workload.Address', hex(
    '12 2b', //                          service = 2, len 43
    '0a 01 73', //                       Service.name = 1: "s"
    '12 02 6e 73', //                    namespace = 2: "ns"
    '1a 01 68', //                       hostname = 3: "h"
    '22 06 12 04 0a 60 00 01', //        addresses = 4: NetworkAddress{address = 2: 10.96.0.1}
    '2a 07 08 50 10 90 3f 18 02', //     ports = 5: Port{80, 8080, app_protocol = 3: HTTP2 = 2}
    '3a 0c', //                          waypoint = 7: GatewayAddress, len 12
    '   0a 07 0a 02 6e 73 12 01 77', //    hostname = 1: NamespacedHostname{namespace = 1 "ns", hostname = 2 "w"}
    '   18 a0 75', //                      hbone_mtls_port = 3: 15008 = 0x3aa0 -> a0 75
    '70 01', //                          visibility = 14: (14<<3)|0 = 0x70; NAMESPACE = 1
  ));
  assert.equal(a.type, 'service');
  const s = a.service;
  assert.ok(s);
  assert.equal(s.name, 's');
  assert.equal(s.namespace, 'ns');
  assert.equal(s.hostname, 'h');
  assert.deepEqual([...(s.addresses[0]?.address ?? [])], [10, 96, 0, 1]);
  assert.equal(s.addresses[0]?.length, undefined); // proto3 optional, not sent
  assert.deepEqual(s.ports, [{ service_port: 80, target_port: 8080, app_protocol: 'HTTP2' }]);
  assert.equal(s.waypoint?.destination, 'hostname');
  assert.deepEqual(s.waypoint?.hostname, { namespace: 'ns', hostname: 'w' });
  assert.equal(s.waypoint?.hbone_mtls_port, 15008);
  assert.equal(s.visibility, 'NAMESPACE');
});

test('istio.workload.NetworkAddress: optional length = 3 present even when 0', () => {
  const n = decodeMessage<workload.NetworkAddress>('istio.workload.NetworkAddress', hex('12 04 0a 00 00 00', '18 00')); // address = 2; length = 3: 0
  assert.equal(n.length, 0);
});

test('istio.security.Authorization: scope, action, rule/clause/match', () => {
  const z = decodeMessage<security.Authorization>('istio.security.Authorization', hex(
    '0a 01 70', //                        name = 1: "p"
    '12 02 6e 73', //                     namespace = 2: "ns"
    '18 02', //                           scope = 3: WORKLOAD_SELECTOR = 2
    '20 01', //                           action = 4: DENY = 1
    '2a 29', //                           rules = 5: Rule, len 41
    '  0a 27', //                           Rule.clauses = 1: Clause, len 39
    '    12 25', //                           Clause.matches = 2 (1 unused): Match, len 37
    '      1a 0b 12 09 73 70 69 66 66 65 3a 2f 2f', // Match.principals = 3: StringMatch{prefix = 2: "spiffe://"}
    '      2a 08 0a 04 0a 00 00 00 10 08', //        source_ips = 5: Address{address = 1: 10.0.0.0, length = 2: 8}
    '      4a 02 90 3f', //                          destination_ports = 9, packed: [8080]
    '      5a 08 0a 02 6e 73 12 02 73 61', //        service_accounts = 11: {namespace = 1 "ns", serviceAccount = 2 "sa"}
    '30 01', //                           dry_run = 6: true
  ));
  assert.equal(z.name, 'p');
  assert.equal(z.namespace, 'ns');
  assert.equal(z.scope, 'WORKLOAD_SELECTOR');
  assert.equal(z.action, 'DENY');
  assert.equal(z.dry_run, true);
  const match = z.rules[0]?.clauses[0]?.matches[0];
  assert.ok(match);
  assert.deepEqual(match.principals, [{ prefix: 'spiffe://', match_type: 'prefix' }]);
  assert.equal(match.source_ips.length, 1);
  assert.deepEqual([...(match.source_ips[0]?.address ?? [])], [10, 0, 0, 0]);
  assert.equal(match.source_ips[0]?.length, 8);
  assert.deepEqual(match.destination_ports, [8080]);
  assert.deepEqual(match.service_accounts, [{ namespace: 'ns', serviceAccount: 'sa' }]);
  assert.deepEqual(match.not_principals, []);
});

test('istio.v1.auth.IstioCertificateRequest: csr = 1, validity_duration = 3 (int64), metadata = 4', () => {
  const r = decodeMessage<ca.IstioCertificateRequest>('istio.v1.auth.IstioCertificateRequest', hex(
    '0a 01 43', //                        csr = 1: "C"
    '18 80 a3 05', //                     validity_duration = 3: 86400 = 0x15180 -> 80 a3 05
    '22 0a', //                           metadata = 4: Struct, len 10
    '  0a 08', //                           Struct.fields = 1 (map entry), len 8
    '    0a 01 6b', //                        key = 1: "k"
    '    12 03 1a 01 76', //                  value = 2: Value{string_value = 3: "v"}
  ));
  assert.equal(r.csr, 'C');
  assert.equal(r.validity_duration, '86400'); // int64 as a decimal string
  // google.protobuf.Value keeps protobufjs's bundled camelCase names (README, Conventions).
  assert.equal(r.metadata?.fields['k']?.stringValue, 'v');
  assert.equal(r.metadata?.fields['k']?.kind, 'stringValue');
});

test('istio.v1.auth.IstioCertificateResponse: cert_chain = 1, order kept', () => {
  const r = decodeMessage<ca.IstioCertificateResponse>('istio.v1.auth.IstioCertificateResponse', hex('0a 01 41', '0a 01 42')); // "A", "B"
  assert.deepEqual(r.cert_chain, ['A', 'B']);
});

test('hand-off: two frames of WorkloadRequest (add, snapshot_sent), responses and hello', () => {
  const frames = decodeFrames(hex(
    '00 00 00 1d', //                     length 29, big-endian
    '0a 1b', //                           WorkloadRequest.add = 1: AddWorkload, len 27
    '  0a 01 75', //                        uid = 1: "u"
    '  12 01 70', //                        name = 2: "p"
    '  1a 02 6e 73', //                     namespace = 3: "ns"
    '  22 02 73 61', //                     service_account = 4: "sa"
    '  2a 02 2f 6e', //                     netns_path = 5: "/n"
    '  30 ac 02', //                        netns_inode = 6 (uint64): 300 -> ac 02
    '  3a 04 0a 00 00 01', //               addresses = 7: 10.0.0.1
    '00 00 00 02', //                     length 2
    '1a 00', //                           snapshot_sent = 3: empty
  ));
  assert.equal(frames.length, 2);
  const add = decodeRequest(frames[0] ?? Buffer.alloc(0));
  assert.equal(add.payload, 'add');
  assert.equal(add.add?.uid, 'u');
  assert.equal(add.add?.name, 'p');
  assert.equal(add.add?.namespace, 'ns');
  assert.equal(add.add?.service_account, 'sa');
  assert.equal(add.add?.netns_path, '/n');
  assert.equal(add.add?.netns_inode, '300');
  assert.deepEqual(add.add?.addresses.map((a) => [...a]), [[10, 0, 0, 1]]);
  assert.equal(decodeRequest(frames[1] ?? Buffer.alloc(0)).payload, 'snapshot_sent');

  const del = decodeRequest(hex('12 03 0a 01 75')); // del = 2: DelWorkload{uid = 1: "u"}
  assert.equal(del.del?.uid, 'u');
  const ack = decodeResponse(hex('0a 05 0a 03 62 61 64')); // ack = 1: Ack{error = 1: "bad"}
  assert.equal(ack.ack?.error, 'bad');
  assert.equal(decodeHello(hex('08 01')).version, 'V1'); // version = 1: V1
});

test('a2 01 is field 20 and not field 2 or 4: a one-byte tag would misread it', () => {
  // Sanity of the fixture itself: the same bytes with a one-byte tag 0x12 (field 2) land in namespace.
  const w = decodeMessage<workload.Workload>('istio.workload.Workload', hex('12 02 75 31'));
  assert.equal(w.namespace, 'u1');
  assert.equal(w.uid, '');
});
