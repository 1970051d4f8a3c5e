// The hand-off messages through their framing, as the CNI agent and the ztunnel exchange them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeHello,
  decodeRequest,
  decodeResponse,
  encodeHelloFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  FrameDecoder,
} from '@ambit/xds-types';

test('a replay (add, add, snapshot_sent, del) through a chunked stream', () => {
  const inode = '4026532841';
  const stream = Buffer.concat([
    encodeRequestFrame({ add: { uid: 'u1', name: 'a', namespace: 'x', service_account: 'sa', netns_path: '/var/run/netns/cni-1', netns_inode: inode, addresses: [Buffer.from([10, 0, 0, 1])] } }),
    encodeRequestFrame({ add: { uid: 'u2', netns_inode: '18446744073709551615' } }),
    encodeRequestFrame({ snapshot_sent: {} }),
    encodeRequestFrame({ del: { uid: 'u1' } }),
  ]);
  const decoder = new FrameDecoder();
  const requests = [];
  for (let i = 0; i < stream.length; i += 7) for (const m of decoder.push(stream.subarray(i, i + 7))) requests.push(decodeRequest(m));
  decoder.end();
  assert.deepEqual(requests.map((r) => r.payload), ['add', 'add', 'snapshot_sent', 'del']);
  assert.equal(requests[0]?.add?.netns_path, '/var/run/netns/cni-1');
  assert.equal(requests[0]?.add?.netns_inode, inode);
  assert.equal(requests[1]?.add?.netns_inode, '18446744073709551615'); // full uint64, no precision loss
  assert.equal(requests[3]?.del?.uid, 'u1');
});

test('hello and acks', () => {
  const decoder = new FrameDecoder();
  const [hello, ok, bad] = decoder.push(Buffer.concat([
    encodeHelloFrame({ version: 'V1' }),
    encodeResponseFrame({ ack: {} }),
    encodeResponseFrame({ ack: { error: 'netns inode mismatch' } }),
  ]));
  assert.equal(decodeHello(hello ?? Buffer.alloc(0)).version, 'V1');
  const okAck = decodeResponse(ok ?? Buffer.alloc(0));
  assert.equal(okAck.payload, 'ack');
  assert.equal(okAck.ack?.error, '');
  assert.equal(decodeResponse(bad ?? Buffer.alloc(0)).ack?.error, 'netns inode mismatch');
});
