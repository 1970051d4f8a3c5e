import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, toYaml, type Gateway, type Resource } from '@ambit/api';
import { isWaypointGateway, ownerReferences, waypointGatewayStatus, waypointObjects, type WaypointSettings } from './waypoint-deployments.ts';

const SETTINGS: WaypointSettings = {
  main: '/repo/packages/waypoint/src/main.ts',
  nodeExecutable: '/opt/node24/bin/node',
  xdsAddress: '10.240.0.2:15012',
  rootCa: '/run/ambit/t/ca/trust-bundle.pem',
  trustDomain: 'cluster.local',
};

function gateway(text: string): Gateway {
  const { resources, problems } = parseResources([{ path: 'gw.yaml', text }]);
  assert.deepEqual(problems, []);
  return resources[0] as Gateway;
}

const CASES: Array<{ name: string; yaml: string; ns: string; gw: string; extraLabels: Record<string, string> }> = [
  {
    name: 'the default waypoint istioctl generates',
    yaml: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: shop, labels: { istio.io/waypoint-for: service } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }`,
    ns: 'shop',
    gw: 'waypoint',
    extraLabels: { 'istio.io/waypoint-for': 'service' },
  },
  {
    name: 'any name, no namespace (defaulted), a revision label carried over',
    yaml: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: reviews-wp, labels: { istio.io/rev: canary } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }`,
    ns: 'default',
    gw: 'reviews-wp',
    extraLabels: { 'istio.io/rev': 'canary' },
  },
];

for (const c of CASES) {
  test(`waypointObjects: ${c.name}`, () => {
    const gw = gateway(c.yaml);
    assert.equal(isWaypointGateway(gw), true);
    const { serviceAccount, service, deployment } = waypointObjects(gw, SETTINGS);
    const labels = { ...c.extraLabels, 'gateway.networking.k8s.io/gateway-name': c.gw, 'gateway.istio.io/managed': 'istio.io-mesh-controller' };
    for (const r of [serviceAccount, service, deployment]) {
      assert.deepEqual([r.metadata.namespace, r.metadata.name], [c.ns, c.gw], r.kind);
      assert.deepEqual(r.metadata.labels, labels, r.kind);
    }
    assert.deepEqual(service.spec.selector, { 'gateway.networking.k8s.io/gateway-name': c.gw });
    assert.deepEqual(
      service.spec.ports.map((p) => [p.name, p.port, p.targetPort, p.appProtocol]),
      [
        ['status-port', 15021, 15021, 'tcp'],
        ['mesh', 15008, 15008, 'hbone'],
      ],
    );
    assert.equal(deployment.spec.replicas, 1);
    const template = deployment.spec.template;
    assert.deepEqual(template.metadata.labels, { ...labels, 'istio.io/dataplane-mode': 'none' });
    assert.equal(template.spec.serviceAccountName, c.gw);
    const [container, more] = template.spec.containers;
    assert.equal(more, undefined);
    assert.equal(container?.name, 'istio-proxy');
    assert.deepEqual(container?.command, [SETTINGS.nodeExecutable, '--max-semi-space-size=4', SETTINGS.main]);
    assert.deepEqual(container?.ports.map((p) => p.containerPort), [15008, 15020, 15021]);
    assert.deepEqual(Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value])), {
      SERVICE_ACCOUNT: c.gw,
      GATEWAY_NAME: c.gw,
      XDS_ADDRESS: '10.240.0.2:15012',
      ROOT_CA: SETTINGS.rootCa,
      TRUST_DOMAIN: 'cluster.local',
      LOG_FORMAT: 'json',
    });
    // What the lab writes must read back as valid resources (the control plane parses it).
    const { problems, resources } = parseResources([{ path: 'derived.yaml', text: toYaml([serviceAccount, service, deployment] as Resource[]) }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(resources.map((r) => r.kind), ['ServiceAccount', 'Service', 'Deployment']);
    assert.deepEqual(ownerReferences(gw), [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: c.gw, controller: true }]);
  });
}

test('isWaypointGateway: only class istio-waypoint', () => {
  const other = gateway(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ingress, namespace: shop }
spec: { gatewayClassName: istio, listeners: [{ name: http, port: 80, protocol: HTTP }] }`);
  assert.equal(isWaypointGateway(other), false);
});

const STATUS_CASES: Array<{ name: string; runtime: { clusterIP: string | undefined; ready: boolean }; programmed: [string, string, RegExp]; addresses: string[] }> = [
  {
    name: 'pod ready: Programmed, assigned to the mesh port of the Service',
    runtime: { clusterIP: '10.96.0.20', ready: true },
    programmed: ['True', 'Programmed', /^Resource programmed, assigned to service\(s\) waypoint\.shop\.svc\.cluster\.local:15008$/],
    addresses: ['IPAddress=10.96.0.20', 'Hostname=waypoint.shop.svc.cluster.local'],
  },
  {
    name: 'pod not ready: not Programmed, the deployment named',
    runtime: { clusterIP: '10.96.0.20', ready: false },
    programmed: ['False', 'NoResourcesAvailable', /Deployment shop\/waypoint is not ready/],
    addresses: ['IPAddress=10.96.0.20', 'Hostname=waypoint.shop.svc.cluster.local'],
  },
  {
    name: 'no ClusterIP yet: only the hostname',
    runtime: { clusterIP: undefined, ready: false },
    programmed: ['False', 'NoResourcesAvailable', /not ready/],
    addresses: ['Hostname=waypoint.shop.svc.cluster.local'],
  },
];

for (const c of STATUS_CASES) {
  test(`waypointGatewayStatus: ${c.name}`, () => {
    const gw = gateway(CASES[0]?.yaml ?? '');
    const status = waypointGatewayStatus(gw, c.runtime);
    assert.deepEqual(status.conditions[0], { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted' });
    const programmed = status.conditions[1];
    assert.equal(programmed?.type, 'Programmed');
    assert.deepEqual([programmed?.status, programmed?.reason], c.programmed.slice(0, 2));
    assert.match(programmed?.message ?? '', c.programmed[2]);
    assert.deepEqual(status.addresses.map((a) => `${a.type}=${a.value}`), c.addresses);
  });
}
