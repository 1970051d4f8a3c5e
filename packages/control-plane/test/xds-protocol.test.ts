// The incremental xDS protocol end to end: a real @grpc/grpc-js Delta ADS client over 127.0.0.1
// against DeltaAdsServer with an in-memory source of encoded istio.workload.Address resources.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { RESOURCE_INFO_TYPE_URL } from '../src/xds/nack.ts';
import { encodeResourceInfo } from '../src/xds/wire.ts';
import { ADDRESS, AUTHORIZATION, DeltaClient, MemorySource, metricValue, startServer, workload, type TestServer, decodeAddress, eventually } from './xds-helpers.ts';

const clients: DeltaClient[] = [];
function client(server: TestServer, options: ConstructorParameters<typeof DeltaClient>[1] = {}): DeltaClient {
  const c = new DeltaClient(server.address, options);
  clients.push(c);
  return c;
}

let source: MemorySource;
let server: TestServer;

before(async () => {
  source = new MemorySource();
  source.set(ADDRESS, Array.from({ length: 1000 }, (_, i) => workload(i, 'v1')));
  server = await startServer({ source, debounceMs: 5, maxDebounceMs: 100 });
});

after(async () => {
  for (const c of clients) c.close();
  await server.close();
});

test('wildcard subscription gets everything once, then ACKs; clients() shows the state', async () => {
  const c = client(server, { nodeId: 'ztunnel~wildcard' });
  c.subscribe(ADDRESS);
  const first = await c.response(ADDRESS, 0);
  assert.equal(first.message.resources.length, 1000);
  assert.equal(first.message.removed_resources.length, 0);
  assert.notEqual(first.message.nonce, '');
  assert.notEqual(first.message.system_version_info, '');
  const body = first.message.resources[0]?.resource?.value;
  assert.ok(body);
  assert.match(decodeAddress(body).workload?.uid ?? '', /^Kubernetes\/\/Pod\/default\/pod-/);

  const status = await eventually(() => {
    const s = server.server.clients().find((x) => x.id === 'ztunnel~wildcard')?.types[0];
    return s?.lastAckedNonce === first.message.nonce ? s : undefined;
  }, 'the ACK to be recorded');
  assert.equal(status.wildcard, true);
  assert.equal(status.resourceCount, 1000);
  assert.equal(status.unacked, 0);
  assert.equal(status.lastSentNonce, first.message.nonce);
  assert.equal(c.responsesOf(ADDRESS).length, 1, 'no second response without a change');
});

test('a one-resource change sends only that resource (O(change) bytes); removal sends removed_resources', async () => {
  const c = client(server, { nodeId: 'ztunnel~delta' });
  c.subscribe(ADDRESS);
  const full = await c.response(ADDRESS, 0);

  source.set(ADDRESS, [workload(7, 'v2')]);
  const change = await c.response(ADDRESS, 1);
  assert.deepEqual(change.message.resources.map((r) => [r.name, r.version]), [['Kubernetes//Pod/default/pod-7', 'v2']]);
  assert.deepEqual(change.message.removed_resources, []);
  assert.notEqual(change.message.nonce, full.message.nonce, 'every response has a unique nonce');
  // 1000 resources vs 1: the change costs about a thousandth of the full state.
  assert.ok(change.bytes * 200 < full.bytes, `change ${change.bytes} B vs full ${full.bytes} B`);
  assert.ok(change.bytes < 512, `a one-workload delta push is small (${change.bytes} B)`);

  source.remove(ADDRESS, ['Kubernetes//Pod/default/pod-8']);
  const removal = await c.response(ADDRESS, 2);
  assert.deepEqual(removal.message.resources, []);
  assert.deepEqual(removal.message.removed_resources, ['Kubernetes//Pod/default/pod-8']);
  assert.equal(c.count(ADDRESS), 999);
  source.set(ADDRESS, [workload(8, 'v1')]);
  await c.waitFor(() => c.count(ADDRESS) === 1000, 5000, 'pod-8 back');
  assert.ok((await metricValue(server.registry, 'ambit_control_plane_xds_bytes_sent_total', { type: 'wds' })) > full.bytes);
});

test('a NACK is recorded with the rejected names; the version is not resent and later changes still arrive', async () => {
  const bad = 'Kubernetes//Pod/default/pod-11';
  const nacked: string[] = [];
  const c = client(server, {
    nodeId: 'ztunnel~nack',
    autoAck: (response) => {
      const rejected = response.resources.find((r) => r.name === bad && r.version === 'broken');
      if (rejected === undefined) return undefined;
      nacked.push(response.nonce);
      return {
        message: `${bad}: address has 5 bytes`,
        details: [{ type_url: RESOURCE_INFO_TYPE_URL, value: encodeResourceInfo({ resourceType: ADDRESS, resourceName: bad, description: 'address has 5 bytes' }) }],
      };
    },
  });
  c.subscribe(ADDRESS);
  await c.response(ADDRESS, 0);
  const rejectsBefore = await metricValue(server.registry, 'pilot_total_xds_rejects', { type: 'wds' });

  source.set(ADDRESS, [{ ...workload(11, 'broken') }]);
  await c.response(ADDRESS, 1);
  const nack = await eventually(() => server.server.clients().find((x) => x.id === 'ztunnel~nack')?.types[0]?.lastNack, 'the NACK to be recorded');
  assert.equal(nack.nonce, nacked[0]);
  assert.deepEqual(nack.names, [bad]);
  assert.match(nack.error, /address has 5 bytes/);
  assert.equal(await metricValue(server.registry, 'pilot_total_xds_rejects', { type: 'wds' }), rejectsBefore + 1);

  // The same broken version is published again (e.g. an unrelated recompute): not resent.
  source.set(ADDRESS, [source.get(ADDRESS, bad) ?? workload(11, 'broken')]);
  // Another resource changes: it arrives, and the broken one is not in that response.
  source.set(ADDRESS, [workload(12, 'v2')]);
  const next = await c.waitFor(() => c.responsesOf(ADDRESS).find((r) => r.message.resources.some((x) => x.name.endsWith('/pod-12') && x.version === 'v2')), 5000, 'pod-12 v2');
  assert.ok(next.message.resources.every((r) => r.name !== bad), `the NACKed version is not resent: ${JSON.stringify(c.responsesOf(ADDRESS).slice(1).map((r) => r.message.resources.map((x) => x.name + '@' + x.version)))}`);
  assert.equal(c.responsesOf(ADDRESS).filter((r) => r.message.resources.some((x) => x.name === bad && x.version === 'broken')).length, 1);
  // A fixed version of the rejected resource is sent as usual.
  source.set(ADDRESS, [workload(11, 'fixed')]);
  await c.waitFor(() => c.version(ADDRESS, bad) === 'fixed', 5000, 'the fixed version');
  const warn = server.logger.lines.find((l) => l.fields['code'] === 'AMBIT_XDS_SERVER_NACK');
  assert.ok(warn, 'the NACK is logged with its code');
});

test('a ztunnel-style NACK (names only in the message) is understood', async () => {
  const c = client(server, {
    nodeId: 'ztunnel~nack-message',
    autoAck: (response) => (response.resources.some((r) => r.version === 'zbroken') ? { message: 'Kubernetes//Pod/default/pod-21: bad; Kubernetes//Pod/default/not-sent: x' } : undefined),
  });
  c.subscribe(ADDRESS);
  await c.response(ADDRESS, 0);
  source.set(ADDRESS, [workload(21, 'zbroken')]);
  const nack = await eventually(() => server.server.clients().find((x) => x.id === 'ztunnel~nack-message')?.types[0]?.lastNack, 'the NACK');
  assert.deepEqual(nack.names, ['Kubernetes//Pod/default/pod-21']);
});

test('reconnect with initial_resource_versions gets only what changed while disconnected, and removals', async () => {
  const first = client(server, { nodeId: 'ztunnel~reconnect' });
  first.subscribe(ADDRESS);
  await first.response(ADDRESS, 0);
  const known = Object.fromEntries(first.held.get(ADDRESS) ?? []);
  first.close();
  await first.ended;

  source.set(ADDRESS, [workload(31, 'v9'), workload(2000, 'v1')]);
  source.remove(ADDRESS, ['Kubernetes//Pod/default/pod-32']);
  const second = client(server, { nodeId: 'ztunnel~reconnect' });
  second.subscribe(ADDRESS, [], known);
  const resync = await second.response(ADDRESS, 0);
  assert.deepEqual(resync.message.resources.map((r) => `${r.name}@${r.version}`).sort(), ['Kubernetes//Pod/default/pod-2000@v1', 'Kubernetes//Pod/default/pod-31@v9']);
  assert.deepEqual(resync.message.removed_resources, ['Kubernetes//Pod/default/pod-32']);
  source.set(ADDRESS, [workload(32, 'v1')]);
});

test('reconnect where nothing changed still gets a (empty) first response: readiness', async () => {
  const first = client(server, { nodeId: 'ztunnel~same' });
  first.subscribe(AUTHORIZATION);
  await first.response(AUTHORIZATION, 0);
  first.close();
  const second = client(server, { nodeId: 'ztunnel~same' });
  second.subscribe(ADDRESS, [], Object.fromEntries([...(await currentVersions())]));
  const r = await second.response(ADDRESS, 0);
  assert.deepEqual(r.message.resources, []);
  assert.deepEqual(r.message.removed_resources, []);
});

async function currentVersions(): Promise<Map<string, string>> {
  const probe = client(server, { nodeId: 'ztunnel~probe' });
  probe.subscribe(ADDRESS);
  await probe.response(ADDRESS, 0);
  const held = new Map(probe.held.get(ADDRESS) ?? []);
  probe.close();
  return held;
}

test('explicit subscribe and unsubscribe of names; aliases resolve; missing names are answered as removed', async () => {
  const c = client(server, { nodeId: 'ztunnel~ondemand' });
  // ztunnel's on-demand opening: subscribe to nothing.
  c.send({ type_url: ADDRESS, resource_names_subscribe: ['*'], resource_names_unsubscribe: ['*'] });
  const opened = await c.response(ADDRESS, 0);
  assert.deepEqual(opened.message.resources, []);

  c.send({ type_url: ADDRESS, resource_names_subscribe: ['Kubernetes//Pod/default/pod-41'] });
  const one = await c.response(ADDRESS, 1);
  assert.deepEqual(one.message.resources.map((r) => r.name), ['Kubernetes//Pod/default/pod-41']);

  // An alias (`network/ip`): sent under the canonical name, aliases listed.
  c.send({ type_url: ADDRESS, resource_names_subscribe: ['/10.0.0.42'] });
  const aliased = await c.response(ADDRESS, 2);
  assert.deepEqual(aliased.message.resources.map((r) => [r.name, r.aliases]), [['Kubernetes//Pod/default/pod-42', ['/10.0.0.42']]]);

  c.send({ type_url: ADDRESS, resource_names_subscribe: ['Kubernetes//Pod/default/nope'] });
  const missing = await c.response(ADDRESS, 3);
  assert.deepEqual(missing.message.removed_resources, ['Kubernetes//Pod/default/nope']);

  // Only subscribed resources follow changes.
  source.set(ADDRESS, [workload(41, 'v3'), workload(42, 'v3'), workload(43, 'v3')]);
  await c.waitFor(() => c.version(ADDRESS, 'Kubernetes//Pod/default/pod-41') === 'v3' && c.version(ADDRESS, 'Kubernetes//Pod/default/pod-42') === 'v3', 5000, 'subscribed changes');
  assert.equal(c.version(ADDRESS, 'Kubernetes//Pod/default/pod-43'), undefined);

  c.send({ type_url: ADDRESS, resource_names_unsubscribe: ['Kubernetes//Pod/default/pod-41'] });
  await eventually(() => server.server.clients().find((x) => x.id === 'ztunnel~ondemand')?.types[0]?.subscribed.includes('Kubernetes//Pod/default/pod-41') === false, 'unsubscribe applied');
  const count = c.responsesOf(ADDRESS).length;
  source.set(ADDRESS, [workload(41, 'v4'), workload(42, 'v4')]);
  await c.waitFor(() => c.version(ADDRESS, 'Kubernetes//Pod/default/pod-42') === 'v4', 5000, 'pod-42 v4');
  const after41 = c.responsesOf(ADDRESS).slice(count);
  assert.ok(after41.every((r) => r.message.resources.every((x) => !x.name.endsWith('/pod-41'))), 'unsubscribed pod-41 is not pushed');
});

test('an unknown type URL gets an empty response, not an error', async () => {
  const c = client(server, { nodeId: 'ztunnel~unknown' });
  c.subscribe('type.googleapis.com/no.such.Type');
  const r = await c.response('type.googleapis.com/no.such.Type', 0);
  assert.deepEqual(r.message.resources, []);
  assert.equal(c.endedWith, undefined);
});

test('a malformed first request ends only that stream, with INVALID_ARGUMENT', async () => {
  const healthy = client(server, { nodeId: 'ztunnel~healthy' });
  healthy.subscribe(ADDRESS);
  await healthy.response(ADDRESS, 0);

  const bad = client(server);
  bad.send({ node: null, type_url: ADDRESS });
  const end = await bad.ended;
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  assert.match(end.details, /first DeltaDiscoveryRequest of a stream has no node/);
  assert.match(end.details, /AMBIT_XDS_SERVER_MISSING_NODE/);

  const emptyType = client(server);
  emptyType.send({ type_url: '' });
  assert.equal((await emptyType.ended).code, grpc.status.INVALID_ARGUMENT);

  source.set(ADDRESS, [workload(51, 'v2')]);
  await healthy.waitFor(() => healthy.version(ADDRESS, 'Kubernetes//Pod/default/pod-51') === 'v2', 5000, 'the healthy stream still served');
  assert.equal(healthy.endedWith, undefined);
});

test('the source failing does not end streams; work resumes on the next change', async () => {
  const c = client(server, { nodeId: 'ztunnel~source-fails' });
  c.subscribe(ADDRESS);
  await c.response(ADDRESS, 0);
  source.failing = true;
  source.set(ADDRESS, [workload(61, 'v2')]);
  await server.logger.waitFor((l) => l.fields['code'] === 'AMBIT_XDS_SERVER_SOURCE_FAILED', 5000, 'source failure logged');
  source.failing = false;
  source.set(ADDRESS, [workload(62, 'v2')]);
  await c.waitFor(() => c.version(ADDRESS, 'Kubernetes//Pod/default/pod-61') === 'v2' && c.version(ADDRESS, 'Kubernetes//Pod/default/pod-62') === 'v2', 5000, 'both changes after recovery');
  assert.equal(c.endedWith, undefined);
});
