import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToBytes } from './ip.ts';

test('IP text to the raw bytes istio.workload carries', () => {
  const cases: Array<[string, number[] | undefined]> = [
    ['10.244.1.5', [10, 244, 1, 5]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['fd00:10:244::5', [0xfd, 0, 0, 0x10, 0x02, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]],
    ['::ffff:10.0.0.1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['10.244.1', undefined],
    ['not an ip', undefined],
  ];
  for (const [ip, bytes] of cases) assert.deepEqual(ipToBytes(ip) && [...ipToBytes(ip)!], bytes, ip);
});
