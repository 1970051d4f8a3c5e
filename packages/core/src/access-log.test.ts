import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { createLogger } from './index.ts';
import { JsonLineLogger, LineWriter, MAX_PENDING_BYTES } from './access-log.ts';

const NOW = new Date('2026-11-22T12:00:00.000Z');

/** A destination that records what it was given and answers with the scripted results. */
function destination(script: Array<number | 'EAGAIN' | 'EPIPE'> = []): { writes: string[]; write: (data: Buffer) => number } {
  const writes: string[] = [];
  return {
    writes,
    write: (data) => {
      const step = script.shift();
      if (step === 'EAGAIN' || step === 'EPIPE') throw Object.assign(new Error(step), { code: step });
      const n = step === undefined ? data.length : Math.min(step, data.length);
      writes.push(data.subarray(0, n).toString());
      return n;
    },
  };
}

const cases: Array<{ name: string; format: 'json' | 'text'; bindings: Record<string, unknown>; fields: Record<string, unknown>; want: string }> = [
  {
    name: 'json: numeric level, bindings before fields, undefined fields left out, msg last',
    format: 'json',
    bindings: { component: 'waypoint', scope: 'access' },
    fields: { method: 'GET', response_code: 200, grpc_status: undefined, audited: ['a'] },
    want: '{"level":30,"time":"2026-11-22T12:00:00.000Z","component":"waypoint","scope":"access","method":"GET","response_code":200,"audited":["a"],"msg":"request"}\n',
  },
  {
    name: 'text: the level as a label; quotes and newlines in values escaped',
    format: 'text',
    bindings: {},
    fields: { path: '/a"b\nc' },
    want: '{"level":"info","time":"2026-11-22T12:00:00.000Z","path":"/a\\"b\\nc","msg":"request"}\n',
  },
  {
    name: 'no fields and no bindings',
    format: 'json',
    bindings: {},
    fields: {},
    want: '{"level":30,"time":"2026-11-22T12:00:00.000Z","msg":"request"}\n',
  },
];

for (const c of cases) {
  test(`JsonLineLogger: ${c.name}`, async () => {
    const d = destination();
    new JsonLineLogger(new LineWriter(d.write), c.format, c.bindings, () => NOW).info(c.fields, 'request');
    await turn();
    assert.deepEqual(d.writes, [c.want]);
  });
}

test('JsonLineLogger: child bindings add to the parent\'s; warn and error carry pino\'s levels', async () => {
  const d = destination();
  const root = new JsonLineLogger(new LineWriter(d.write), 'json', { component: 'waypoint' }, () => NOW);
  const child = root.child({ scope: 'access' });
  child.warn({}, 'w');
  child.error({}, 'e');
  await turn();
  assert.deepEqual(d.writes.join('').trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { level: 40, time: NOW.toISOString(), component: 'waypoint', scope: 'access', msg: 'w' },
    { level: 50, time: NOW.toISOString(), component: 'waypoint', scope: 'access', msg: 'e' },
  ]);
});

test('JsonLineLogger writes the keys and values the process logger (pino) writes for the same line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'access-log-'));
  try {
    const file = join(dir, 'pino.log');
    const fields = { start_time: NOW.toISOString(), method: 'POST', path: '/x?y=1', response_code: 503, response_flags: 'UF,URX', grpc_status: undefined, duration: 12, audited: ['ns[a]-policy[b]-rule[0]'] };
    createLogger({ component: 'waypoint', format: 'json', destination: file }).child({ gateway: 'ns/gw', pod: 'p', scope: 'access' }).info(fields, 'request');
    const d = destination();
    new JsonLineLogger(new LineWriter(d.write), 'json', { component: 'waypoint', gateway: 'ns/gw', pod: 'p', scope: 'access' }, () => NOW).info(fields, 'request');
    await turn();
    const fromPino = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const ours = JSON.parse(d.writes.join('')) as Record<string, unknown>;
    // pino's time is its own clock; everything else, key order included, must match.
    assert.deepEqual(Object.keys(ours), Object.keys(fromPino));
    assert.deepEqual({ ...ours, time: '' }, { ...fromPino, time: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LineWriter: the lines of one event-loop turn leave in one write, in order', async () => {
  const d = destination();
  const w = new LineWriter(d.write);
  w.push('a\n');
  w.push('b\n');
  assert.deepEqual(d.writes, [], 'nothing written before the turn ends');
  await turn();
  w.push('c\n');
  await turn();
  assert.deepEqual(d.writes, ['a\nb\n', 'c\n']);
});

test('LineWriter: a partial write keeps the rest first; EAGAIN holds the lines and retries without blocking', async () => {
  const d = destination([3, 'EAGAIN']);
  const w = new LineWriter(d.write);
  w.push('one\n');
  w.push('two\n');
  await turn();
  assert.deepEqual(d.writes, ['one'], 'three bytes went, then the destination would block');
  w.push('three\n');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(d.writes, ['one', '\ntwo\nthree\n']);
  assert.equal(w.dropped, 0);
});

test('LineWriter: above MAX_PENDING_BYTES new lines are dropped and counted; a failed destination counts its lines', async () => {
  const blocked = destination(Array.from({ length: 1000 }, () => 'EAGAIN' as const));
  const w = new LineWriter(blocked.write);
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < MAX_PENDING_BYTES / line.length + 10; i++) w.push(line);
  assert.equal(w.dropped, 9, 'the 4 MiB held (4096 lines of 1 KiB, plus the one that crossed the limit), the rest dropped');
  const broken = destination(['EPIPE']);
  const w2 = new LineWriter(broken.write);
  w2.push('a\n');
  w2.push('b\n');
  await turn();
  assert.equal(w2.dropped, 2);
  assert.deepEqual(broken.writes, []);
});
