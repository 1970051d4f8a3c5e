// ClusterLoadAssignment of a Service port: selection, per-pod named target ports, health, and the
// HBONE endpoint metadata as a google.protobuf.Struct that survives the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, type Pod, type Service } from '@ambit/api';
import { decodeMessage, encodeMessage, type envoy } from '@ambit/xds-types';
import { clusterLoadAssignment, podLoadAssignment, type EndpointPod } from './endpoints.ts';

const { resources, problems } = parseResources([
  {
    path: 'eds.yaml',
    text: `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.20, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-a, namespace: shop, labels: { app: web } }
spec: { containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-b, namespace: shop, labels: { app: web } }
spec: { containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 9090 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-noport, namespace: shop, labels: { app: web } }
spec: { containers: [{ name: c, image: x }] }
---
apiVersion: v1
kind: Pod
metadata: { name: other, namespace: shop, labels: { app: other } }
spec: { containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: web-elsewhere, namespace: other, labels: { app: web } }
spec: { containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }] }
`,
  },
]);
assert.deepEqual(problems, []);
const service = resources.find((r) => r.kind === 'Service') as Service;
const pod = (name: string): Pod => resources.find((r) => r.kind === 'Pod' && r.metadata.name === name) as Pod;

test('endpoints: selected pods with their own target port, health from readiness, HBONE identity for meshed pods', () => {
  const pods: EndpointPod[] = [
    { pod: pod('web-b'), ip: '10.244.1.10', ready: false, hboneIdentity: undefined },
    { pod: pod('web-a'), ip: '10.244.1.9', ready: true, hboneIdentity: 'spiffe://cluster.local/ns/shop/sa/web' },
    { pod: pod('web-noport'), ip: '10.244.1.11', ready: true, hboneIdentity: undefined },
    { pod: pod('other'), ip: '10.244.1.12', ready: true, hboneIdentity: undefined },
    { pod: pod('web-elsewhere'), ip: '10.244.2.1', ready: true, hboneIdentity: undefined },
  ];
  const name = 'outbound|80||web.shop.svc.cluster.local';
  const port = service.spec.ports[0];
  assert.ok(port);
  const cla = decodeMessage<envoy.ClusterLoadAssignment>(
    'envoy.config.endpoint.v3.ClusterLoadAssignment',
    encodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', clusterLoadAssignment(name, service, port, pods)),
  );
  assert.equal(cla.cluster_name, name);
  assert.equal(cla.endpoints.length, 1);
  const eps = cla.endpoints[0]?.lb_endpoints ?? [];
  // 10.244.1.9 sorts before 10.244.1.10 (numeric order); the pod without the named port and the
  // pods the selector does not reach (other labels, other namespace) are absent.
  assert.deepEqual(
    eps.map((e) => [e.endpoint?.address?.socket_address?.address, e.endpoint?.address?.socket_address?.port_value, e.health_status]),
    [
      ['10.244.1.9', 8080, 'HEALTHY'],
      ['10.244.1.10', 9090, 'UNHEALTHY'],
    ],
  );
  assert.deepEqual(eps[0]?.metadata?.filter_metadata['ambit.hbone'], {
    fields: { identity: { kind: 'stringValue', stringValue: 'spiffe://cluster.local/ns/shop/sa/web' }, port: { kind: 'numberValue', numberValue: 15008 } },
  });
  assert.equal(eps[1]?.metadata, null);
});

test('pod endpoints: the one pod IP and port, health from readiness, HBONE metadata only for a meshed pod', () => {
  const name = 'inbound-pod|8080||10.244.1.9';
  const roundTrip = (p: EndpointPod): envoy.ClusterLoadAssignment =>
    decodeMessage<envoy.ClusterLoadAssignment>('envoy.config.endpoint.v3.ClusterLoadAssignment', encodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', podLoadAssignment(name, '10.244.1.9', 8080, p)));
  const meshed = roundTrip({ pod: pod('web-a'), ip: '10.244.1.9', ready: true, hboneIdentity: 'spiffe://cluster.local/ns/shop/sa/web' });
  assert.equal(meshed.cluster_name, name);
  assert.equal(meshed.endpoints.length, 1);
  const eps = meshed.endpoints[0]?.lb_endpoints ?? [];
  assert.deepEqual(eps.map((e) => [e.endpoint?.address?.socket_address?.address, e.endpoint?.address?.socket_address?.port_value, e.health_status]), [['10.244.1.9', 8080, 'HEALTHY']]);
  assert.deepEqual(eps[0]?.metadata?.filter_metadata['ambit.hbone'], {
    fields: { identity: { kind: 'stringValue', stringValue: 'spiffe://cluster.local/ns/shop/sa/web' }, port: { kind: 'numberValue', numberValue: 15008 } },
  });
  const plain = roundTrip({ pod: pod('web-a'), ip: '10.244.1.9', ready: false, hboneIdentity: undefined });
  assert.equal(plain.endpoints[0]?.lb_endpoints[0]?.health_status, 'UNHEALTHY');
  assert.equal(plain.endpoints[0]?.lb_endpoints[0]?.metadata, null);
});
