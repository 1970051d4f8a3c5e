// Next-hop choices as ztunnel makes them (reference 1.3), written by hand from those rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyState } from '../state/store.ts';
import type { AddressEntry } from '../state/convert.ts';
import type { Service, Workload } from '../state/types.ts';
import { pickWeighted, routeOutbound } from './outbound-route.ts';

function workload(name: string, ip: string, extra: Partial<Workload> = {}): Workload {
  return {
    uid: `Kubernetes//Pod/prod/${name}`,
    name,
    namespace: 'prod',
    addresses: [ip],
    network: '',
    protocol: 'HBONE',
    trustDomain: 'cluster.local',
    serviceAccount: name,
    identity: `spiffe://cluster.local/ns/prod/sa/${name}`,
    node: 'node-1',
    canonicalName: name,
    canonicalRevision: 'latest',
    workloadName: name,
    workloadType: 'pod',
    waypoint: undefined,
    services: new Map(),
    authorizationPolicies: [],
    healthy: true,
    clusterId: 'Kubernetes',
    capacity: 1,
    ...extra,
  };
}

function service(name: string, vip: string, extra: Partial<Service> = {}): Service {
  return { key: `prod/${name}.prod.svc.cluster.local`, name, namespace: 'prod', hostname: `${name}.prod.svc.cluster.local`, vips: [{ network: '', address: vip }], ports: [{ port: 80, targetPort: 0 }], waypoint: undefined, subjectAltNames: [], ...extra };
}

const WEB_KEY = 'prod/web.prod.svc.cluster.local';
const WP_KEY = 'prod/waypoint.prod.svc.cluster.local';

function state(entries: AddressEntry[]): ProxyState {
  const s = new ProxyState();
  s.apply(new Map(entries.map((e, i) => [String(i), e])), []);
  return s;
}

const client = workload('client', '10.244.1.2');

test('a Service VIP goes to a healthy endpoint over HBONE with the pod address and target port', () => {
  const s = state([
    { kind: 'service', service: service('web', '10.96.0.20') },
    { kind: 'workload', workload: workload('web-0', '10.244.2.5', { services: new Map([[WEB_KEY, new Map([[80, 8080]])]]) }) },
    { kind: 'workload', workload: workload('web-1', '10.244.2.6', { healthy: false, services: new Map([[WEB_KEY, new Map([[80, 8080]])]]) }) },
  ]);
  const route = routeOutbound(s, client, { ip: '10.96.0.20', port: 80 }, () => 0.99);
  assert.equal(route.kind, 'hbone');
  assert.ok(route.kind === 'hbone');
  assert.deepEqual([route.address, route.port, route.authority, route.identities, route.waypoint], ['10.244.2.5', 15008, '10.244.2.5:8080', ['spiffe://cluster.local/ns/prod/sa/web-0'], false]);
});

test('a Service port no endpoint serves, or only unhealthy endpoints: no healthy upstream', () => {
  const s = state([
    { kind: 'service', service: service('web', '10.96.0.20') },
    { kind: 'workload', workload: workload('web-0', '10.244.2.5', { healthy: false, services: new Map([[WEB_KEY, new Map([[80, 8080]])]]) }) },
  ]);
  assert.equal(routeOutbound(s, client, { ip: '10.96.0.20', port: 80 }).kind, 'reject');
  assert.equal(routeOutbound(s, client, { ip: '10.96.0.20', port: 443 }).kind, 'reject');
});

test('a pod IP: HBONE when meshed, plain TCP when not, passthrough when unknown', () => {
  const s = state([
    { kind: 'workload', workload: workload('meshed', '10.244.2.5') },
    { kind: 'workload', workload: workload('plain', '10.244.2.6', { protocol: 'TCP' }) },
  ]);
  const meshed = routeOutbound(s, client, { ip: '10.244.2.5', port: 9090 });
  assert.ok(meshed.kind === 'hbone' && meshed.authority === '10.244.2.5:9090' && meshed.port === 15008);
  assert.deepEqual(routeOutbound(s, client, { ip: '10.244.2.6', port: 9090 }), { kind: 'passthrough', address: '10.244.2.6', port: 9090, destination: { workload: s.workloadByAddress('', '10.244.2.6') } });
  assert.deepEqual(routeOutbound(s, client, { ip: '192.0.2.9', port: 443 }), { kind: 'passthrough', address: '192.0.2.9', port: 443, destination: {} });
});

test('a Service with a waypoint: HBONE to a waypoint pod, authority is the original VIP:port', () => {
  const s = state([
    { kind: 'service', service: service('web', '10.96.0.20', { waypoint: { service: { namespace: 'prod', hostname: 'waypoint.prod.svc.cluster.local' }, port: 15008 } }) },
    { kind: 'service', service: service('waypoint', '10.96.0.30', { ports: [{ port: 15008, targetPort: 15008 }] }) },
    { kind: 'workload', workload: workload('waypoint-0', '10.244.1.9', { services: new Map([[WP_KEY, new Map([[15008, 15008]])]]) }) },
    { kind: 'workload', workload: workload('web-0', '10.244.2.5', { services: new Map([[WEB_KEY, new Map([[80, 8080]])]]) }) },
  ]);
  const route = routeOutbound(s, client, { ip: '10.96.0.20', port: 80 });
  assert.ok(route.kind === 'hbone');
  assert.deepEqual([route.address, route.authority, route.identities, route.waypoint], ['10.244.1.9', '10.96.0.20:80', ['spiffe://cluster.local/ns/prod/sa/waypoint-0'], true]);
  // The waypoint's own traffic to the service goes to the endpoint, not back to itself.
  const fromWaypoint = routeOutbound(s, s.workloadByAddress('', '10.244.1.9') as Workload, { ip: '10.96.0.20', port: 80 });
  assert.ok(fromWaypoint.kind === 'hbone' && fromWaypoint.address === '10.244.2.5' && !fromWaypoint.waypoint);
});

test('a waypoint without endpoints is an error, not a silent bypass', () => {
  const s = state([{ kind: 'service', service: service('web', '10.96.0.20', { waypoint: { service: { namespace: 'prod', hostname: 'waypoint.prod.svc.cluster.local' }, port: 15008 } }) }]);
  const route = routeOutbound(s, client, { ip: '10.96.0.20', port: 80 });
  assert.equal(route.kind, 'reject');
  assert.match(route.kind === 'reject' ? route.reason : '', /unknown waypoint/);
});

test('weighted choice follows capacity', () => {
  const a = { workload: workload('a', '10.0.0.1', { capacity: 1 }) };
  const b = { workload: workload('b', '10.0.0.2', { capacity: 3 }) };
  assert.equal(pickWeighted([a, b], () => 0.2)?.workload.name, 'a');
  assert.equal(pickWeighted([a, b], () => 0.26)?.workload.name, 'b');
  assert.equal(pickWeighted([], () => 0.5), undefined);
  let hitsB = 0;
  let seed = 1;
  const lcg = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 4000; i++) if (pickWeighted([a, b], lcg)?.workload.name === 'b') hitsB++;
  // Binomial(4000, 0.75): mean 3000, sd 27.4; 5 sd either side.
  assert.ok(hitsB > 2863 && hitsB < 3137, `b chosen ${hitsB} times`);
});
