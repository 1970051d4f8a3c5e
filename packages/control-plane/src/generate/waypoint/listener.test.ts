// The waypoint Listener as ADR 0007 fixes it, checked after an encode/decode round trip (a
// misspelt field would vanish on the wire), and Istio's TCP port declaration rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, ENVOY_FILTER, ENVOY_TYPE, packAny, unpackAny, type envoy } from '@ambit/xds-types';
import { isTcpPort, podChain, podPortName, routeName, serviceChain, waypointListener } from './listener.ts';

function roundTrip(listener: object): envoy.Listener {
  return decodeMessage<envoy.Listener>('envoy.config.listener.v3.Listener', encodeMessage('envoy.config.listener.v3.Listener', listener));
}

test('listener: address 0.0.0.0:15008, one chain per service port matched on VIP/32 and port, HCM over ADS RDS, filters then router', () => {
  const rbac = { name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, { rules: { action: 'DENY', policies: {} } }) };
  const l = roundTrip(
    waypointListener('shop', 'waypoint', [
      serviceChain({ host: 'web.shop.svc.cluster.local', port: 8080, clusterIp: '10.96.0.21', tcp: false, authzFilters: [] }),
      serviceChain({ host: 'api.shop.svc.cluster.local', port: 80, clusterIp: '10.96.0.20', tcp: false, authzFilters: [rbac] }),
    ]),
  );
  assert.equal(l.name, 'shop/waypoint');
  assert.equal(l.address?.socket_address?.address, '0.0.0.0');
  assert.equal(l.address?.socket_address?.port_value, 15008);
  // Sorted by host then port.
  assert.deepEqual(l.filter_chains.map((c) => c.name), ['api.shop.svc.cluster.local:80', 'web.shop.svc.cluster.local:8080']);
  const chain = l.filter_chains[0] as envoy.FilterChain;
  assert.equal(chain.filter_chain_match?.destination_port?.value, 80);
  assert.deepEqual(chain.filter_chain_match?.prefix_ranges.map((r) => [r.address_prefix, r.prefix_len?.value]), [['10.96.0.20', 32]]);
  assert.equal(chain.filters.length, 1);
  assert.equal(chain.filters[0]?.name, 'envoy.filters.network.http_connection_manager');
  assert.equal(chain.filters[0]?.typed_config?.type_url, 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  const hcm = unpackAny<envoy.HttpConnectionManager>(chain.filters[0]?.typed_config as envoy.Filter['typed_config'] & object);
  assert.equal(hcm.codec_type, 'AUTO');
  assert.equal(hcm.route_specifier, 'rds');
  assert.equal(hcm.rds?.route_config_name, 'api.shop.svc.cluster.local:80');
  assert.equal(hcm.rds?.config_source?.config_source_specifier, 'ads');
  assert.deepEqual(hcm.rds?.config_source?.ads, {});
  assert.equal(hcm.normalize_path?.value, true);
  assert.equal(hcm.merge_slashes, false);
  assert.equal(hcm.generate_request_id?.value, true);
  assert.ok(hcm.stat_prefix.length > 0);
  assert.deepEqual(hcm.http_filters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.router']);
  assert.equal(hcm.http_filters[1]?.typed_config?.type_url, 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router');
  const second = unpackAny<envoy.HttpConnectionManager>(l.filter_chains[1]?.filters[0]?.typed_config as envoy.Filter['typed_config'] & object);
  assert.deepEqual(second.http_filters.map((f) => f.name), ['envoy.filters.http.router']);
});

test('listener: a TCP port gets tcp_proxy to outbound|port||host and no HTTP', () => {
  const l = roundTrip(waypointListener('shop', 'waypoint', [serviceChain({ host: 'db.shop.svc.cluster.local', port: 5432, clusterIp: '10.96.0.30', tcp: true, authzFilters: [] })]));
  const filter = l.filter_chains[0]?.filters[0];
  assert.equal(filter?.name, 'envoy.filters.network.tcp_proxy');
  const tcp = unpackAny<envoy.TcpProxy>(filter?.typed_config as envoy.Filter['typed_config'] & object);
  assert.equal(tcp.cluster, 'outbound|5432||db.shop.svc.cluster.local');
  assert.ok(tcp.stat_prefix.length > 0);
});

test('listener: a pod port chain is matched on podIP/32 and the port, its HCM names the route inbound-pod|port||ip', () => {
  const rbac = { name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, { rules: { action: 'ALLOW', policies: {} } }) };
  const l = roundTrip(
    waypointListener('shop', 'waypoint', [
      podChain({ ip: '10.244.1.5', port: 8080, tcp: false, authzFilters: [rbac] }),
      serviceChain({ host: 'web.shop.svc.cluster.local', port: 8080, clusterIp: '10.96.0.21', tcp: false, authzFilters: [] }),
    ]),
  );
  const chain = l.filter_chains.find((c) => c.name === 'inbound-pod|8080||10.244.1.5');
  assert.ok(chain, `chains: ${l.filter_chains.map((c) => c.name).join(', ')}`);
  assert.equal(chain.filter_chain_match?.destination_port?.value, 8080);
  assert.deepEqual(chain.filter_chain_match?.prefix_ranges.map((r) => [r.address_prefix, r.prefix_len?.value]), [['10.244.1.5', 32]]);
  const hcm = unpackAny<envoy.HttpConnectionManager>(chain.filters[0]?.typed_config as envoy.Filter['typed_config'] & object);
  assert.equal(chain.filters[0]?.name, 'envoy.filters.network.http_connection_manager');
  assert.equal(hcm.rds?.route_config_name, 'inbound-pod|8080||10.244.1.5');
  assert.equal(hcm.rds?.config_source?.config_source_specifier, 'ads');
  assert.equal(hcm.stat_prefix, 'inbound-pod|8080||10.244.1.5');
  assert.equal(hcm.normalize_path?.value, true);
  assert.equal(hcm.merge_slashes, false);
  assert.deepEqual(hcm.http_filters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.router']);
});

test('listener: a TCP pod port gets tcp_proxy to its own inbound-pod cluster; an IPv6 pod is matched on /128', () => {
  const l = roundTrip(waypointListener('shop', 'waypoint', [podChain({ ip: 'fd00:10:244::5', port: 5432, tcp: true, authzFilters: [] })]));
  const chain = l.filter_chains[0];
  assert.equal(chain?.name, 'inbound-pod|5432||fd00:10:244::5');
  assert.deepEqual(chain?.filter_chain_match?.prefix_ranges.map((r) => [r.address_prefix, r.prefix_len?.value]), [['fd00:10:244::5', 128]]);
  assert.equal(chain?.filters[0]?.name, 'envoy.filters.network.tcp_proxy');
  const tcp = unpackAny<envoy.TcpProxy>(chain?.filters[0]?.typed_config as envoy.Filter['typed_config'] & object);
  assert.equal(tcp.cluster, 'inbound-pod|5432||fd00:10:244::5');
});

test('podPortName is inbound-pod|port||ip', () => {
  assert.equal(podPortName('10.244.1.5', 8080), 'inbound-pod|8080||10.244.1.5');
});

test('listener: a waypoint without bound services has no chains', () => {
  assert.deepEqual(roundTrip(waypointListener('shop', 'waypoint', [])).filter_chains, []);
});

test('routeName is host:port', () => {
  assert.equal(routeName('web.shop.svc.cluster.local', 80), 'web.shop.svc.cluster.local:80');
});

const tcpCases: Array<{ port: { name?: string; appProtocol?: string }; tcp: boolean }> = [
  { port: { appProtocol: 'tcp' }, tcp: true },
  { port: { name: 'http', appProtocol: 'TCP' }, tcp: true },
  { port: { name: 'tcp' }, tcp: true },
  { port: { name: 'tcp-db' }, tcp: true },
  // appProtocol wins over the name.
  { port: { name: 'tcp-db', appProtocol: 'http' }, tcp: false },
  { port: { name: 'tcpish' }, tcp: false },
  { port: { name: 'http' }, tcp: false },
  { port: {}, tcp: false },
];
for (const c of tcpCases) {
  test(`isTcpPort(${JSON.stringify(c.port)}) = ${c.tcp}`, () => assert.equal(isTcpPort(c.port), c.tcp));
}
