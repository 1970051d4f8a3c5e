import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSocketTable } from './listening.ts';

// Lines in the kernel's format (see proc(5)): port 80 (0x0050) listening, port 81 (0x0051) established.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0051 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
`;

test('only sockets in the asked state count', () => {
  assert.deepEqual([...parseSocketTable(TCP, '0A')], [80]);
  assert.deepEqual([...parseSocketTable(TCP, '01')], [81]);
  assert.deepEqual([...parseSocketTable('', '0A')], []);
});
