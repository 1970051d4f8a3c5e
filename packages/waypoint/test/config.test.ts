// The xDS layer on its own: resources compiled on arrival, a bad one NACKed by name while the last
// good version keeps serving, names unsubscribed when nothing refers to them any more, and a
// cluster pushed again unchanged keeping its runtime (ADR 0007 "xDS").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@ambit/core';
import { ENVOY_FILTER, ENVOY_TYPE, TYPE_URL, packAny } from '@ambit/xds-types';
import { WAYPOINT_PARTS } from '../src/parts.ts';
import { INITIAL_FETCH_TIMEOUT_MS, WaypointConfig } from '../src/xds/config.ts';
import { assignment, cluster, FakeXds, listener, outbound, routeConfiguration } from './resources.ts';

const A = 'a.default.svc.cluster.local';
const B = 'b.default.svc.cluster.local';

function setUp(): { xds: FakeXds; config: WaypointConfig } {
  const xds = new FakeXds();
  const config = new WaypointConfig({ xds, listenerName: 'default/wp', compilers: WAYPOINT_PARTS.compilers, logger: silentLogger });
  return { xds, config };
}

test('before LDS answers nothing else is subscribed and the waypoint is not ready', () => {
  const { xds, config } = setUp();
  assert.deepEqual(xds.subscribed(TYPE_URL.listener), ['default/wp']);
  for (const type of [TYPE_URL.routeConfiguration, TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]) assert.deepEqual(xds.subscribed(type), []);
  assert.equal(config.ready(), false);
});

test('a Listener with an unsupported filter is rejected by name and the last good one keeps serving', () => {
  const { xds, config } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  assert.equal(config.chain('10.96.0.1', 80)?.name, `${A}:80`);
  const bad = listener('default/wp', [{ host: B, vip: '10.96.0.2', port: 80 }]) as { filter_chains: Array<{ filters: object[] }> };
  (bad.filter_chains[0] as { filters: object[] }).filters = [{ name: 'envoy.filters.network.redis_proxy', typed_config: packAny(ENVOY_TYPE.router, {}) }];
  xds.push(TYPE_URL.listener, [bad]);
  assert.equal(xds.rejected.length, 1);
  assert.equal(xds.rejected[0]?.name, 'default/wp');
  assert.match(xds.rejected[0]?.error ?? '', /filter_chains\[0\]\.filters\[0\]\.name: "envoy\.filters\.network\.redis_proxy" is not supported/);
  assert.equal(config.chain('10.96.0.1', 80)?.name, `${A}:80`, 'the last good Listener still serves');
  assert.equal(config.chain('10.96.0.2', 80), undefined);
});

test('an HCM whose last filter is not the router is rejected', () => {
  const { xds } = setUp();
  const l = listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }]) as { filter_chains: Array<{ filters: Array<{ typed_config: unknown }> }> };
  const chain = l.filter_chains[0] as { filters: Array<{ typed_config: unknown }> };
  (chain.filters[0] as { typed_config: unknown }).typed_config = packAny(ENVOY_TYPE.httpConnectionManager, {
    codec_type: 'AUTO',
    stat_prefix: 'x',
    rds: { route_config_name: `${A}:80`, config_source: { ads: {} } },
    http_filters: [{ name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, { rules: { action: 'DENY', policies: {} } }) }],
  });
  xds.push(TYPE_URL.listener, [l]);
  assert.match(xds.rejected[0]?.error ?? '', /http_filters: the last filter must be envoy\.filters\.http\.router/);
});

test('names follow the references: a chain removed from the Listener unsubscribes its routes, clusters and endpoints', () => {
  const { xds, config } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }, { host: B, vip: '10.96.0.2', port: 80 }])]);
  assert.deepEqual(xds.subscribed(TYPE_URL.routeConfiguration), [`${A}:80`, `${B}:80`]);
  assert.deepEqual(xds.subscribed(TYPE_URL.cluster), []);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(A, 80), routeConfiguration(B, 80)]);
  assert.deepEqual(xds.subscribed(TYPE_URL.cluster), [outbound(A, 80), outbound(B, 80)]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(A, 80)), cluster(outbound(B, 80))]);
  assert.deepEqual(xds.subscribed(TYPE_URL.clusterLoadAssignment), [outbound(A, 80), outbound(B, 80)]);
  assert.equal(config.ready(), false, 'endpoints not there yet');
  xds.push(TYPE_URL.clusterLoadAssignment, [assignment(outbound(A, 80), [{ ip: '10.1.0.5', port: 8080 }]), assignment(outbound(B, 80), [])]);
  assert.equal(config.ready(), true);

  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  assert.deepEqual(xds.subscribed(TYPE_URL.routeConfiguration), [`${A}:80`]);
  assert.deepEqual(xds.subscribed(TYPE_URL.cluster), [outbound(A, 80)]);
  assert.deepEqual(xds.subscribed(TYPE_URL.clusterLoadAssignment), [outbound(A, 80)]);
  assert.equal(config.cluster(outbound(B, 80)), undefined);
  assert.equal(config.routes(`${B}:80`), undefined);
  config.close();
});

test('a cluster pushed again unchanged keeps its runtime; a changed one gets a new runtime with the held endpoints', () => {
  const { xds, config } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(A, 80)]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(A, 80))]);
  xds.push(TYPE_URL.clusterLoadAssignment, [assignment(outbound(A, 80), [{ ip: '10.1.0.5', port: 8080 }])]);
  const first = config.cluster(outbound(A, 80));
  assert.equal(first?.pick(new Set())?.key, '10.1.0.5:8080');
  xds.push(TYPE_URL.cluster, [cluster(outbound(A, 80))]);
  assert.equal(config.cluster(outbound(A, 80)), first);
  xds.push(TYPE_URL.cluster, [{ ...cluster(outbound(A, 80)), lb_policy: 'RANDOM' }]);
  const second = config.cluster(outbound(A, 80));
  assert.notEqual(second, first);
  assert.equal(second?.pick(new Set())?.key, '10.1.0.5:8080', 'the new runtime starts with the endpoints EDS gave');
  config.close();
});

test('an EDS update reaches the cluster; endpoints with ambit.hbone metadata are reached over HBONE', () => {
  const { xds, config } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(A, 80)]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(A, 80))]);
  assert.equal(config.cluster(outbound(A, 80))?.pick(new Set()), undefined);
  xds.push(TYPE_URL.clusterLoadAssignment, [assignment(outbound(A, 80), [{ ip: '10.1.0.6', port: 9080, hbone: { identity: 'spiffe://cluster.local/ns/default/sa/a', port: 15008 } }])]);
  const endpoint = config.cluster(outbound(A, 80))?.pick(new Set());
  assert.deepEqual(endpoint?.hbone, { identity: 'spiffe://cluster.local/ns/default/sa/a', port: 15008 });
  config.close();
});

test('readiness waits for every referenced resource, at most the initial fetch timeout for one never sent', () => {
  const { xds, config } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  assert.equal(config.ready(), false, 'the RouteConfiguration is not there');
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(A, 80)]);
  assert.equal(config.ready(), false, 'its cluster is not there');
  assert.equal(config.ready(Date.now() + INITIAL_FETCH_TIMEOUT_MS + 1), true, 'a cluster never sent stops holding readiness back');
});

test('a resource whose name differs from its key is rejected', () => {
  const { xds } = setUp();
  xds.push(TYPE_URL.listener, [listener('default/wp', [{ host: A, vip: '10.96.0.1', port: 80 }])]);
  const held = xds.types.get(TYPE_URL.routeConfiguration);
  assert.ok(held);
  assert.throws(() => held.sub.decode(`${A}:80`, new Uint8Array([0x0a, 0x01, 0x78])), /RouteConfiguration resource "a\.default\.svc\.cluster\.local:80" carries the name "x"/);
});
