// @ambit/xds-client against the real control-plane Delta ADS server (packages/control-plane
// src/xds) over 127.0.0.1 with insecure credentials: wildcard and explicit subscriptions, deltas,
// per-resource NACKs, removal, a control-plane restart on the same port, close(). Waits are on
// events (onChange, logs) or polls with a deadline; nothing sleeps.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { waitFor, type Logger } from '@ambit/core';
import { decodeMessage, encodeMessage, loadAdsServiceDefinition, TYPE_URL, type workload, type security } from '@ambit/xds-types';
import { DeltaXdsClient, type StateChange, type XdsClientOptions } from '@ambit/xds-client';
import { DeltaAdsServer } from '@ambit/control-plane/xds';
import type { ClientInfo, ClientStatus, XdsResource } from '@ambit/control-plane/xds';
import { rejectedNames } from '@ambit/control-plane/xds/nack';
import { MemorySource, RecordingLogger, startServer, type TestServer } from '@ambit/control-plane/test/xds-helpers';

const ADDRESS = TYPE_URL.address;
const AUTHZ = TYPE_URL.authorization;
const NODE_ID = 'ztunnel~10.0.0.9~ztunnel-xds-client-test.istio-system~istio-system.svc.cluster.local';
const TIMEOUT = 5000;

// ---------------------------------------------------------------------------------------------
// Resources and the domain types the client's decode produces

interface Wl {
  uid: string;
  ip: string;
}

function uid(n: number): string {
  return `Kubernetes//Pod/default/pod-${n}`;
}

/** A Workload resource; `octets` lets a test send a malformed (5-byte) address. */
function wl(n: number, version: string, octets: number[] = [10, 0, 0, n]): XdsResource {
  const name = uid(n);
  const body = encodeMessage('istio.workload.Address', { workload: { uid: name, name: `pod-${n}`, namespace: 'default', addresses: [Uint8Array.from(octets)] } });
  return { name, version, body };
}

function policy(name: string, version: string): XdsResource {
  const [namespace, policyName] = name.split('/') as [string, string];
  return { name, version, body: encodeMessage('istio.security.Authorization', { name: policyName, namespace, action: 'DENY' }) };
}

/** How many times decode ran per name (to prove a rejected version is not sent again). */
const decodeCalls = new Map<string, number>();

function decodeWorkload(name: string, body: Uint8Array): Wl {
  decodeCalls.set(name, (decodeCalls.get(name) ?? 0) + 1);
  const address = decodeMessage<workload.Address>('istio.workload.Address', body);
  if (address.type !== 'workload' || address.workload === undefined) throw new Error('not a workload');
  const w = address.workload;
  if (w.uid !== name) throw new Error(`uid ${w.uid} is not the resource name`);
  const ip = w.addresses[0];
  if (ip === undefined || (ip.length !== 4 && ip.length !== 16)) return new Error(`address has ${ip?.length ?? 0} bytes`) as unknown as Wl;
  return { uid: w.uid, ip: [...ip].join('.') };
}

function decodePolicy(_name: string, body: Uint8Array): string {
  const a = decodeMessage<security.Authorization>('istio.security.Authorization', body);
  return `${a.namespace}/${a.name}:${String(a.action)}`;
}

// ---------------------------------------------------------------------------------------------
// Recording onChange

interface Recorded<T> {
  upserted: Map<string, T>;
  removed: string[];
  state: Map<string, T>;
}

class Changes<T> {
  readonly list: Recorded<T>[] = [];
  private readonly waiters = new Set<() => void>();

  readonly onChange = (change: StateChange<T>): void => {
    this.list.push({ upserted: new Map(change.upserted), removed: [...change.removed], state: new Map(change.state) });
    for (const w of [...this.waiters]) w();
  };

  /** Resolves with the first change at index >= from that matches. */
  next(match: (c: Recorded<T>) => boolean, what: string, from = 0): Promise<Recorded<T>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.list.slice(from).find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${TIMEOUT}ms waiting for a change: ${what}`));
      }, TIMEOUT);
      const waiter = (): void => void check();
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!check()) this.waiters.add(waiter);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Harness

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function eventually<T>(check: () => T | undefined | false, what: string): Promise<T> {
  return waitFor(check, { timeoutMs: TIMEOUT, intervalMs: 2, maxIntervalMs: 20, what });
}

function clientOptions(address: string, logger: Logger, extra: Partial<XdsClientOptions> = {}): XdsClientOptions {
  return {
    address,
    credentials: grpc.credentials.createInsecure(),
    node: { id: NODE_ID, cluster: 'Kubernetes', metadata: { NAME: 'ztunnel-xds-client-test', NAMESPACE: 'istio-system', NODE_NAME: 'node-1' } },
    logger,
    ...extra,
  };
}

function newClient(address: string, extra: Partial<XdsClientOptions> = {}): { client: DeltaXdsClient; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const client = new DeltaXdsClient(clientOptions(address, logger, extra));
  cleanups.push(() => client.close());
  return { client, logger };
}

async function server(source: MemorySource, extra: Parameters<typeof startServer>[0] | object = {}): Promise<TestServer> {
  const s = await startServer({ source, ...extra });
  cleanups.push(() => s.close());
  return s;
}

function typeStatus(s: TestServer, typeUrl: string): ClientStatus['types'][number] | undefined {
  return s.server.clients().find((c) => c.id === NODE_ID)?.types.find((t) => t.typeUrl === typeUrl);
}

/** A DeltaAdsServer bound to a given address, recording the requests it reads. */
async function serveAt(address: string, source: MemorySource, registry: TestServer['registry']): Promise<{ server: DeltaAdsServer; requests: Record<string, unknown>[]; close(): Promise<void> }> {
  const requests: Record<string, unknown>[] = [];
  const server = new DeltaAdsServer({ source, logger: new RecordingLogger(), registry, debounceMs: 10, maxDebounceMs: 200 });
  const { definition, implementation } = server.service();
  const handler = implementation['DeltaAggregatedResources'] as grpc.handleBidiStreamingCall<unknown, unknown>;
  const grpcServer = new grpc.Server();
  grpcServer.addService(definition, {
    ...implementation,
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      handler(call); // attaches the server's own 'data' listener first (no authenticator here)
      call.on('data', (request: Record<string, unknown>) => requests.push(request));
    },
  });
  await new Promise<number>((resolve, reject) => grpcServer.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  const close = async (): Promise<void> => {
    await server.close();
    await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
  };
  cleanups.push(close);
  return { server, requests, close };
}

// ---------------------------------------------------------------------------------------------

describe('xds-client against the control-plane Delta ADS server', () => {
  test('wildcard: every resource of both types arrives, ready() resolves, node and metadata reach the server, metrics count', async () => {
    const source = new MemorySource();
    source.set(ADDRESS, [wl(1, 'v1'), wl(2, 'v1'), wl(3, 'v1')]);
    source.set(AUTHZ, [policy('default/deny-all', 'v1')]);
    const opened: ClientInfo[] = [];
    const s = await server(source, {
      callbacks: { onStreamOpen: (info: ClientInfo) => opened.push(info) },
      authenticator: { authenticate: (md: grpc.Metadata) => Promise.resolve(md.get('authorization')[0] === 'Bearer node-1-token' ? { subject: 'node:node-1', node: 'node-1' } : undefined) },
    });
    const metadata = async (): Promise<grpc.Metadata> => {
      const m = new grpc.Metadata();
      m.set('authorization', 'Bearer node-1-token');
      return m;
    };
    const { client } = newClient(s.address, { registry: s.registry, metadata });
    const addresses = new Changes<Wl>();
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload, onChange: addresses.onChange });
    client.subscribe<string>({ typeUrl: AUTHZ, decode: decodePolicy });
    client.start();
    await client.ready(TIMEOUT);

    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()].sort(), [uid(1), uid(2), uid(3)]);
    assert.deepEqual(client.state<Wl>(ADDRESS).get(uid(2)), { uid: uid(2), ip: '10.0.0.2' });
    assert.deepEqual([...client.state<string>(AUTHZ).values()], ['default/deny-all:DENY']);
    assert.equal(addresses.list.length, 1);
    assert.equal(addresses.list[0]?.upserted.size, 3);

    const info = opened.find((o) => o.id === NODE_ID);
    assert.ok(info, 'the server saw the node id');
    assert.equal(info.cluster, 'Kubernetes');
    assert.deepEqual(info.metadata, { NAME: 'ztunnel-xds-client-test', NAMESPACE: 'istio-system', NODE_NAME: 'node-1' });
    assert.equal(info.authenticated?.subject, 'node:node-1', 'per-stream metadata carried the bearer token');

    const status = client.status();
    assert.equal(status.connected, true);
    assert.equal(status.connects, 1);
    const wds = status.types.find((t) => t.typeUrl === ADDRESS);
    assert.equal(wds?.resources, 3);
    assert.equal(wds?.ready, true);
    assert.equal(wds?.lastNack, undefined);
    await eventually(() => typeStatus(s, ADDRESS)?.lastAckedNonce === wds?.lastNonce, 'the server records the ACK of the last nonce');
    assert.equal(typeStatus(s, ADDRESS)?.wildcard, true);

    const text = await s.registry.metrics();
    assert.match(text, /istio_xds_message_total\{url="type\.googleapis\.com\/istio\.workload\.Address"\} 1\n/);
    assert.match(text, /istio_xds_message_bytes_total\{url="type\.googleapis\.com\/istio\.workload\.Address"\} [1-9]\d*\n/);
  });

  test('changes arrive as deltas; a bad resource is NACKed by name while the rest apply; it is not resent; its next good version is; removal applies', async () => {
    const source = new MemorySource();
    source.set(ADDRESS, [wl(1, 'v1'), wl(2, 'v1'), wl(3, 'v1'), wl(4, 'v1')]);
    const s = await server(source);
    const { client, logger } = newClient(s.address);
    const changes = new Changes<Wl>();
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload, onChange: changes.onChange });
    client.start();
    await client.ready(TIMEOUT);

    // A change is a delta: only the changed and added resources travel.
    let from = changes.list.length;
    source.set(ADDRESS, [wl(1, 'v2', [10, 1, 0, 1]), wl(5, 'v1')]);
    const delta = await changes.next((c) => c.upserted.size > 0, 'the first delta', from);
    assert.deepEqual([...delta.upserted.keys()].sort(), [uid(1), uid(5)]);
    assert.deepEqual(delta.state.get(uid(1)), { uid: uid(1), ip: '10.1.0.1' });
    assert.equal(delta.state.size, 5);

    // One response with two good resources and one bad one: the good apply, the bad is NACKed alone
    // and keeps its last good version.
    decodeCalls.clear();
    from = changes.list.length;
    source.set(ADDRESS, [wl(2, 'v2', [10, 2, 0, 2]), wl(3, 'v2-bad', [10, 0, 0, 3, 99]), wl(6, 'v1')]);
    const mixed = await changes.next((c) => c.upserted.size > 0, 'the mixed response', from);
    assert.deepEqual([...mixed.upserted.keys()].sort(), [uid(2), uid(6)]);
    assert.deepEqual(client.state<Wl>(ADDRESS).get(uid(3)), { uid: uid(3), ip: '10.0.0.3' }, 'the last good version of the rejected resource stays');
    const nack = await eventually(() => typeStatus(s, ADDRESS)?.lastNack, 'the server records the NACK');
    assert.deepEqual(nack.names, [uid(3)], 'the server read exactly the rejected name (ResourceInfo details)');
    assert.equal(nack.error, `${uid(3)}: address has 5 bytes`);
    const mine = client.status().types.find((t) => t.typeUrl === ADDRESS);
    assert.equal(mine?.lastNack, `${uid(3)}: address has 5 bytes`);
    assert.equal(mine?.rejected, 1);
    assert.equal(nack.nonce, mine?.lastNonce);
    const warned = logger.lines.find((l) => l.fields['code'] === 'AMBIT_XDS_CLIENT_REJECTED');
    assert.deepEqual(warned?.fields['names'], [uid(3)]);

    // The rejected version is not sent again: a later unrelated change carries only itself.
    from = changes.list.length;
    source.set(ADDRESS, [wl(7, 'v1')]);
    const later = await changes.next((c) => c.upserted.has(uid(7)), 'the change after the NACK', from);
    assert.deepEqual([...later.upserted.keys()], [uid(7)]);
    assert.equal(decodeCalls.get(uid(3)), 1, 'the bad version was decoded once, never resent');
    assert.deepEqual(typeStatus(s, ADDRESS)?.lastNack?.nonce, nack.nonce, 'no further NACK');

    // The next good version of the rejected resource is accepted.
    from = changes.list.length;
    source.set(ADDRESS, [wl(3, 'v3', [10, 3, 0, 3])]);
    const fixed = await changes.next((c) => c.upserted.has(uid(3)), 'the fixed resource', from);
    assert.deepEqual(fixed.upserted.get(uid(3)), { uid: uid(3), ip: '10.3.0.3' });
    assert.equal(client.status().types[0]?.rejected, 0);

    // Removal.
    from = changes.list.length;
    source.remove(ADDRESS, [uid(1), uid(6)]);
    const removal = await changes.next((c) => c.removed.length > 0, 'the removal', from);
    assert.deepEqual([...removal.removed].sort(), [uid(1), uid(6)]);
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()].sort(), [uid(2), uid(3), uid(4), uid(5), uid(7)]);
  });

  test('control plane restart on the same port: old state kept meanwhile, reconnect sends initial_resource_versions, ends with exactly the new state', async () => {
    const sourceA = new MemorySource();
    sourceA.set(ADDRESS, [wl(1, 'v1'), wl(2, 'v1'), wl(3, 'v1'), wl(4, 'v1')]);
    sourceA.set(AUTHZ, [policy('default/a', 'v1')]);
    const a = await server(sourceA);
    const { client, logger } = newClient(a.address, { registry: a.registry });
    const changes = new Changes<Wl>();
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload, onChange: changes.onChange });
    client.subscribe<string>({ typeUrl: AUTHZ, decode: decodePolicy });
    client.start();
    await client.ready(TIMEOUT);
    const before = new Map(client.state<Wl>(ADDRESS));

    await a.close();
    await eventually(() => !client.status().connected, 'the client notices the stream ended');
    assert.deepEqual(new Map(client.state<Wl>(ADDRESS)), before, 'the data plane keeps serving the last state');
    await logger.waitFor((l) => l.fields['code'] === 'AMBIT_XDS_CLIENT_STREAM' && l.level === 'warn', TIMEOUT, 'the stream-ended warning');

    // The new control plane: 1 and 4 unchanged, 2 changed, 3 deleted, 5 new; the policy deleted.
    const sourceB = new MemorySource();
    sourceB.set(ADDRESS, [wl(1, 'v1'), wl(2, 'v2', [10, 2, 2, 2]), wl(4, 'v1'), wl(5, 'v1')]);
    const from = changes.list.length;
    const b = await serveAt(a.address, sourceB, a.registry);
    const resync = await changes.next(() => true, 'the first response from the new control plane', from);
    await eventually(() => client.status().connects === 2 && client.state<string>(AUTHZ).size === 0, 'the reconnect and the policy removal');

    const first = b.requests.find((r) => r['type_url'] === ADDRESS);
    assert.ok(first, 'the new server received an Address request');
    assert.deepEqual(first['initial_resource_versions'], { [uid(1)]: 'v1', [uid(2)]: 'v1', [uid(3)]: 'v1', [uid(4)]: 'v1' });
    assert.deepEqual(first['resource_names_subscribe'], []);
    assert.equal((b.requests[0]?.['node'] as { id?: string } | undefined)?.id, NODE_ID, 'the first request of the new stream carries the node');
    const authzFirst = b.requests.find((r) => r['type_url'] === AUTHZ);
    assert.deepEqual(authzFirst?.['initial_resource_versions'], { 'default/a': 'v1' });

    // Because of those versions only the difference travelled.
    assert.deepEqual([...resync.upserted.keys()].sort(), [uid(2), uid(5)]);
    assert.deepEqual(resync.removed, [uid(3)]);
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()].sort(), [uid(1), uid(2), uid(4), uid(5)]);
    assert.deepEqual(client.state<Wl>(ADDRESS).get(uid(2)), { uid: uid(2), ip: '10.2.2.2' });

    const text = await a.registry.metrics();
    assert.match(text, /istio_xds_connection_terminations_total\{reason="Reconnect"\} 1\n/);
  });

  test('explicit names: only those arrive; names can be added and dropped; a missing name does not block readiness', async () => {
    const source = new MemorySource();
    source.set(ADDRESS, [wl(1, 'v1'), wl(2, 'v1'), wl(3, 'v1')]);
    const s = await server(source);
    const { client } = newClient(s.address);
    const changes = new Changes<Wl>();
    client.subscribe<Wl>({ typeUrl: ADDRESS, names: [uid(1), 'default/missing.default.svc.cluster.local'], decode: decodeWorkload, onChange: changes.onChange });
    client.start();
    await client.ready(TIMEOUT);
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()], [uid(1)]);
    const st = await eventually(() => typeStatus(s, ADDRESS), 'the server status');
    assert.equal(st.wildcard, false);

    let from = changes.list.length;
    client.updateSubscription(ADDRESS, [uid(2)], []);
    await changes.next((c) => c.upserted.has(uid(2)), 'the newly subscribed name', from);
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()].sort(), [uid(1), uid(2)]);

    // Changes to unsubscribed resources never arrive; unsubscribing drops the name locally.
    from = changes.list.length;
    client.updateSubscription(ADDRESS, [], [uid(1)]);
    const dropped = await changes.next((c) => c.removed.length > 0, 'the local drop', from);
    assert.deepEqual(dropped.removed, [uid(1)]);
    source.set(ADDRESS, [wl(1, 'v2'), wl(3, 'v2'), wl(2, 'v2', [10, 9, 9, 2])]);
    const update = await changes.next((c) => c.upserted.size > 0, 'the update of a subscribed name', from);
    assert.deepEqual([...update.upserted.keys()], [uid(2)]);
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()], [uid(2)]);
    assert.deepEqual(
      (await eventually(() => typeStatus(s, ADDRESS), 'server status')).subscribed.sort(),
      ['default/missing.default.svc.cluster.local', uid(2)].sort(),
    );
  });

  test('ready() times out with AMBIT_XDS_CLIENT_NOT_READY when nothing listens; attempts back off and are counted', async () => {
    const probe = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => probe.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    await new Promise<void>((resolve) => probe.tryShutdown(() => resolve()));
    const s = await server(new MemorySource()); // only for its registry
    const { client, logger } = newClient(`127.0.0.1:${port}`, { registry: s.registry });
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload });
    client.start();
    await assert.rejects(client.ready(300), { code: 'AMBIT_XDS_CLIENT_NOT_READY' });
    assert.deepEqual(client.status().connected, false);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && l.fields['code'] === 'AMBIT_XDS_CLIENT_STREAM' && l.fields['reason'] === 'ConnectionError'));
    assert.match(await s.registry.metrics(), /istio_xds_connection_terminations_total\{reason="ConnectionError"\} [1-9]/);
  });

  test('malformed responses never crash the client: undecodable bytes restart the stream, malformed resources are NACKed, the rest apply', async () => {
    // A hand-written server: responses are raw bytes, so it can send what no real server would.
    const loaded = loadAdsServiceDefinition();
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    for (const [name, method] of Object.entries(loaded)) definition[name] = { ...method, responseSerialize: (b: unknown) => b as Buffer };
    const requests: Array<{ stream: number; request: Record<string, unknown> }> = [];
    const notify = new Set<() => void>();
    let streams = 0;
    const response = (nonce: string, resources: unknown[], removed: string[] = []): Buffer =>
      Buffer.from(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', { type_url: ADDRESS, nonce, system_version_info: '1', resources, removed_resources: removed }));
    const good = wl(1, 'v1');
    const fake = new grpc.Server();
    fake.addService(definition, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, Buffer>) => {
        const stream = ++streams;
        call.on('data', (request: Record<string, unknown>) => {
          requests.push({ stream, request });
          for (const n of [...notify]) n();
          if (request['response_nonce'] !== '') return;
          if (stream === 1) {
            call.write(Buffer.from([0x12, 0xff, 0xff, 0xff])); // a Resource whose length runs past the end
            return;
          }
          call.write(
            response('n-1', [
              { name: good.name, version: 'v1', resource: { type_url: ADDRESS, value: good.body } },
              { name: 'wrong-type', version: 'v1', resource: { type_url: AUTHZ, value: good.body } },
              { name: 'no-body', version: 'v1' },
              { name: '', version: 'v1', resource: { type_url: ADDRESS, value: good.body } },
              { name: 'garbage', version: 'v1', resource: { type_url: ADDRESS, value: Buffer.from([0x0a, 0x05, 0x01]) } },
            ]),
          );
        });
        call.on('error', () => {});
      },
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    });
    const port = await new Promise<number>((resolve, reject) => fake.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    cleanups.push(() => fake.forceShutdown());

    const { client, logger } = newClient(`127.0.0.1:${port}`);
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload });
    client.start();
    await client.ready(TIMEOUT);
    await logger.waitFor((l) => l.fields['code'] === 'AMBIT_XDS_CLIENT_MALFORMED_RESPONSE', TIMEOUT, 'the undecodable response is logged');
    assert.ok(streams >= 2, 'the client opened a new stream after the undecodable response');
    assert.deepEqual([...client.state<Wl>(ADDRESS).keys()], [uid(1)], 'the good resource of the malformed response applied');

    const nack = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no NACK')), TIMEOUT);
      const check = (): void => {
        const found = requests.find((r) => r.request['response_nonce'] === 'n-1')?.request;
        if (found === undefined) return;
        clearTimeout(timer);
        notify.delete(check);
        resolve(found);
      };
      notify.add(check);
      check();
    });
    const detail = nack['error_detail'] as { code: number; message: string; details: Array<{ type_url: string; value: Buffer }> };
    assert.equal(detail.code, 3);
    assert.match(detail.message, /^wrong-type: body has type "type\.googleapis\.com\/istio\.security\.Authorization", expected type\.googleapis\.com\/istio\.workload\.Address; no-body: resource has no body/);
    assert.match(detail.message, /resources\[3\]: resource has no name/);
    assert.match(detail.message, /garbage: /);
    // The control plane's own NACK reader finds exactly the named resources (not the nameless one).
    const names = rejectedNames(ADDRESS, { code: detail.code, message: detail.message, details: detail.details.map((d) => ({ typeUrl: d.type_url, value: d.value })) }, () => false);
    assert.deepEqual(names, ['wrong-type', 'no-body', 'garbage']);
  });

  test('close() ends the stream cleanly: the server sees it go, later calls are refused, pending ready() is rejected', async () => {
    const source = new MemorySource();
    source.set(ADDRESS, [wl(1, 'v1')]);
    const s = await server(source);
    const { client, logger } = newClient(s.address);
    client.subscribe<Wl>({ typeUrl: ADDRESS, decode: decodeWorkload });
    client.start();
    await client.ready(TIMEOUT);
    await eventually(() => s.server.clients().some((c) => c.id === NODE_ID), 'the server lists the client');

    // A new type makes the client not ready until its first response, which cannot arrive before
    // close() below runs (same tick): the pending ready() must be rejected, not left hanging.
    client.subscribe<string>({ typeUrl: AUTHZ, names: [], decode: decodePolicy });
    const pending = client.ready();
    await client.close();
    await assert.rejects(pending, { code: 'AMBIT_XDS_CLIENT_CLOSED' });
    await eventually(() => !s.server.clients().some((c) => c.id === NODE_ID), 'the server drops the stream');
    assert.equal(client.status().connected, false);
    assert.equal(client.state<Wl>(ADDRESS).size, 1, 'the state stays readable after close');
    assert.throws(() => client.subscribe<Wl>({ typeUrl: TYPE_URL.policyWorkload, decode: decodeWorkload }), { code: 'AMBIT_XDS_CLIENT_CLOSED' });
    await assert.rejects(client.ready(), { code: 'AMBIT_XDS_CLIENT_CLOSED' });
    await client.close(); // idempotent
    assert.ok(!logger.lines.some((l) => l.level === 'warn' || l.level === 'error'), `no warnings: ${JSON.stringify(logger.lines.filter((l) => l.level !== 'debug' && l.level !== 'info'))}`);
  });
});
