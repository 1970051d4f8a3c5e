// Push behaviour under load: debouncing, a slow client among fast ones, many concurrent clients,
// authentication. Every wait is on events (or polls) with a deadline; nothing sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { ClientAuthenticator } from '../src/xds/types.ts';
import { ADDRESS, DeltaClient, MemorySource, eventually, metricValue, startServer, workload } from './xds-helpers.ts';

test('debouncing coalesces a burst of 50 changes into 1-2 pushes', async () => {
  const source = new MemorySource();
  source.set(ADDRESS, Array.from({ length: 100 }, (_, i) => workload(i, 'v0')));
  const server = await startServer({ source, debounceMs: 50, maxDebounceMs: 2000 });
  const c = new DeltaClient(server.address);
  try {
    c.subscribe(ADDRESS);
    await c.response(ADDRESS, 0);
    const pushesBefore = await metricValue(server.registry, 'pilot_xds_pushes', { type: 'wds' });
    // 50 changes in one burst (each its own onChange event), some resources changed twice.
    for (let i = 0; i < 50; i++) source.set(ADDRESS, [workload(i % 30, `v${1 + Math.floor(i / 30)}`)]);
    await c.waitFor(() => {
      for (let i = 0; i < 30; i++) if (c.version(ADDRESS, `Kubernetes//Pod/default/pod-${i}`) !== (i < 20 ? 'v2' : 'v1')) return false;
      return true;
    }, 5000, 'every change of the burst');
    const pushes = c.responsesOf(ADDRESS).length - 1;
    assert.ok(pushes >= 1 && pushes <= 2, `the burst took ${pushes} pushes`);
    const sent = c.responsesOf(ADDRESS).slice(1).reduce((n, r) => n + r.message.resources.length, 0);
    assert.ok(sent <= 60, `coalesced by name: ${sent} resources sent for 30 distinct names`);
    assert.equal((await metricValue(server.registry, 'pilot_xds_pushes', { type: 'wds' })) - pushesBefore, pushes);
  } finally {
    c.close();
    await server.close();
  }
});

test('a client that never reads does not delay delivery to 20 others, and is closed after the drain bound', async () => {
  const source = new MemorySource();
  // Big resources (64 KiB each): an unread stream fills HTTP/2 flow control, the client's read
  // buffer (16 messages) and then the server's write buffer (16 more) within about 35 pushes.
  const big = (i: number, v: string) => workload(i, v, { padding: 64 * 1024, alias: false });
  source.set(ADDRESS, Array.from({ length: 4 }, (_, i) => big(i, 'v0')));
  const drainTimeoutMs = 1500;
  const server = await startServer({ source, debounceMs: 2, maxDebounceMs: 50, drainTimeoutMs });
  const slow = new DeltaClient(server.address, { nodeId: 'ztunnel~slow', autoAck: false });
  const fast = Array.from({ length: 20 }, (_, i) => new DeltaClient(server.address, { nodeId: `ztunnel~fast-${i}` }));
  try {
    slow.subscribe(ADDRESS);
    await slow.response(ADDRESS, 0);
    slow.call.pause(); // never reads again
    for (const c of fast) c.subscribe(ADDRESS);
    await Promise.all(fast.map((c) => c.response(ADDRESS, 0)));

    const latencies: number[] = [];
    for (let change = 1; change <= 45; change++) {
      const version = `v${change}`;
      const started = performance.now();
      source.set(ADDRESS, [big(change % 4, version)]);
      await Promise.all(fast.map((c) => c.waitFor(() => c.version(ADDRESS, `Kubernetes//Pod/default/pod-${change % 4}`) === version, 2000, `${version} on a fast client`)));
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const worst = latencies[latencies.length - 1] ?? 0;
    // Bounded well below the drain timeout: had the slow stream held anything up, a change would
    // have waited for it to be closed.
    assert.ok(worst < drainTimeoutMs, `every change reached all 20 fast clients quickly (worst ${worst.toFixed(1)} ms)`);

    const line = await server.logger.waitFor((l) => l.fields['code'] === 'AMBIT_XDS_SERVER_SLOW_CLIENT', drainTimeoutMs + 5000, 'the slow client to be closed');
    assert.match(line.message, /did not read responses for 1500ms/);
    await eventually(() => server.server.clients().every((s) => s.id !== 'ztunnel~slow'), 'the slow stream to leave clients()');
    assert.equal(server.server.clients().length, 20);
    assert.equal(await metricValue(server.registry, 'pilot_xds_write_timeout'), 1);
    assert.equal(await metricValue(server.registry, 'pilot_xds'), 20);
    // Once it reads again, the slow client learns its stream is gone.
    slow.call.resume();
    const end = await slow.ended;
    assert.notEqual(end.code, grpc.status.OK);
    for (const c of fast) assert.equal(c.endedWith, undefined);
  } finally {
    slow.close();
    for (const c of fast) c.close();
    await server.close();
  }
});

test('200 concurrent clients all converge, then all converge on a change', async () => {
  const source = new MemorySource();
  source.set(ADDRESS, Array.from({ length: 500 }, (_, i) => workload(i, 'v0')));
  const server = await startServer({ source, debounceMs: 10, maxDebounceMs: 100 });
  const clients = Array.from({ length: 200 }, (_, i) => new DeltaClient(server.address, { nodeId: `ztunnel~many-${i}` }));
  try {
    for (const c of clients) c.subscribe(ADDRESS);
    await Promise.all(clients.map((c) => c.waitFor(() => c.count(ADDRESS) === 500, 20_000, 'the initial state')));
    await eventually(() => server.server.clients().length === 200 && server.server.clients().every((s) => s.types[0]?.unacked === 0), 'all ACKed', 20_000);
    source.set(ADDRESS, [workload(3, 'v1')]);
    source.remove(ADDRESS, ['Kubernetes//Pod/default/pod-4']);
    await Promise.all(clients.map((c) => c.waitFor(() => c.version(ADDRESS, 'Kubernetes//Pod/default/pod-3') === 'v1' && c.count(ADDRESS) === 499, 20_000, 'the change')));
    assert.equal(await metricValue(server.registry, 'pilot_xds'), 200);
    const convergence = server.registry.getSingleMetric('pilot_proxy_convergence_time');
    const data = await convergence?.get();
    const count = data?.values.find((v) => (v as { metricName?: string }).metricName === 'pilot_proxy_convergence_time_count')?.value ?? 0;
    assert.ok(count >= 200, `convergence observed per client (${count})`);
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
});

test('authentication: a bad or missing token is refused with UNAUTHENTICATED; a good one is served', async () => {
  const source = new MemorySource();
  source.set(ADDRESS, [workload(1, 'v1')]);
  const seen: string[] = [];
  const authenticator: ClientAuthenticator = {
    async authenticate(metadata) {
      const header = metadata.get('authorization')[0];
      const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (token === 'node-1-token') return { subject: 'node:node-1', node: 'node-1' };
      if (token === 'explode') throw new Error('token review unavailable');
      seen.push(token ?? '(none)');
      return undefined;
    },
  };
  const server = await startServer({ source, authenticator });
  const clients: DeltaClient[] = [];
  const connect = (options: ConstructorParameters<typeof DeltaClient>[1]): DeltaClient => {
    const c = new DeltaClient(server.address, options);
    clients.push(c);
    return c;
  };
  try {
    const bad = connect({ token: 'wrong' });
    bad.subscribe(ADDRESS);
    const end = await bad.ended;
    assert.equal(end.code, grpc.status.UNAUTHENTICATED);
    assert.match(end.details, /AMBIT_XDS_SERVER_UNAUTHENTICATED/);
    assert.equal(bad.responses.length, 0, 'nothing is served before authentication');

    const none = connect({});
    none.subscribe(ADDRESS);
    assert.equal((await none.ended).code, grpc.status.UNAUTHENTICATED);
    assert.deepEqual(seen, ['wrong', '(none)']);

    const failing = connect({ token: 'explode' });
    failing.subscribe(ADDRESS);
    const failed = await failing.ended;
    assert.equal(failed.code, grpc.status.UNAVAILABLE);
    assert.match(failed.details, /AMBIT_XDS_SERVER_AUTHENTICATOR_FAILED/);

    const other = connect({ token: 'node-1-token', metadata: { NODE_NAME: 'node-2' } });
    other.subscribe(ADDRESS);
    const mismatch = await other.ended;
    assert.equal(mismatch.code, grpc.status.PERMISSION_DENIED);
    assert.match(mismatch.details, /AMBIT_XDS_SERVER_NODE_MISMATCH/);

    const good = connect({ token: 'node-1-token', metadata: { NODE_NAME: 'node-1' } });
    good.subscribe(ADDRESS);
    const r = await good.response(ADDRESS, 0);
    assert.equal(r.message.resources.length, 1);
    const status = server.server.clients();
    assert.equal(status.length, 1);
    assert.equal(status[0]?.authenticatedAs, 'node:node-1');
    assert.ok(server.logger.lines.every((l) => !JSON.stringify(l.fields).includes('node-1-token')), 'tokens are never logged');
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
});

test('close() ends every stream with OK and refuses new ones', async () => {
  const source = new MemorySource();
  const server = await startServer({ source });
  const c = new DeltaClient(server.address);
  try {
    c.subscribe(ADDRESS);
    await c.response(ADDRESS, 0);
    await server.server.close();
    assert.equal((await c.ended).code, grpc.status.OK);
    const late = new DeltaClient(server.address);
    late.subscribe(ADDRESS);
    const end = await late.ended;
    assert.equal(end.code, grpc.status.UNAVAILABLE);
    late.close();
  } finally {
    c.close();
    await server.close();
  }
});
