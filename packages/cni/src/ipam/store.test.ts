// The on-disk store against a temp dir (uses the flock of @ambit/netns, no root needed).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpamStore } from './store.ts';
import type { IpamRange } from './config.ts';
import { parseIpv4 } from '../protocol/ipv4.ts';
import { cniCodeOf } from '../protocol/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ambit-ipam-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ip = (s: string): number => parseIpv4(s) ?? Number.NaN;
const range: IpamRange = { network: ip('10.5.0.0'), prefix: 29, broadcast: ip('10.5.0.7'), start: ip('10.5.0.1'), end: ip('10.5.0.6'), gateway: ip('10.5.0.1') };

test('reserve writes containerId\\nifname, rejects a duplicate, releases idempotently, round robin', () => {
  const store = new IpamStore(dir, 'net-a');
  assert.equal(store.reserve(range, { containerId: 'c1', ifname: 'eth0' }), '10.5.0.2');
  assert.equal(readFileSync(join(store.dir, '10.5.0.2'), 'utf8'), 'c1\neth0');
  assert.throws(() => store.reserve(range, { containerId: 'c1', ifname: 'eth0' }), (e: unknown) => cniCodeOf(e) === 102);
  assert.equal(store.reserve(range, { containerId: 'c1', ifname: 'net1' }), '10.5.0.3');
  assert.deepEqual(store.release({ containerId: 'c1', ifname: 'eth0' }), ['10.5.0.2']);
  assert.deepEqual(store.release({ containerId: 'c1', ifname: 'eth0' }), []);
  assert.equal(store.reserve(range, { containerId: 'c2', ifname: 'eth0' }), '10.5.0.4', 'the released .2 is not reused at once');
});

test('exhaustion is a clear error (code 101) and GC frees what is not listed', () => {
  const store = new IpamStore(dir, 'net-b');
  for (let i = 0; i < 5; i++) store.reserve(range, { containerId: `c${i}`, ifname: 'eth0' });
  assert.throws(() => store.reserve(range, { containerId: 'c9', ifname: 'eth0' }), (e: unknown) => cniCodeOf(e) === 101 && /no free address in 10\.5\.0\.1-10\.5\.0\.6/.test((e as Error).message));
  assert.deepEqual(store.gc([{ containerId: 'c0', ifname: 'eth0' }, { containerId: 'c4', ifname: 'eth0' }]).sort(), ['10.5.0.3', '10.5.0.4', '10.5.0.5']);
  assert.deepEqual(store.list().map((r) => r.ip).sort(), ['10.5.0.2', '10.5.0.6']);
  assert.deepEqual(readdirSync(store.dir).filter((n) => !n.startsWith('10.')).sort(), ['last_reserved_ip', 'lock']);
});
