// The whole stack: the gRPC service definitions, grpc-js server and client on 127.0.0.1, a
// Delta ADS exchange carrying an Any-packed istio.workload.Address, and the CA's unary call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  adsClientConstructor,
  caClientConstructor,
  decodeMessage,
  encodeMessage,
  loadAdsServiceDefinition,
  loadCaServiceDefinition,
  packAny,
  TYPE_URL,
  unpackAny,
  type ca,
  type discovery,
  type Init,
  type workload,
} from '@ambit/xds-types';

interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

test('ADS definition: DeltaAggregatedResources, bidi, DeltaDiscoveryRequest -> DeltaDiscoveryResponse', () => {
  const def = loadAdsServiceDefinition();
  const delta = def['DeltaAggregatedResources'] as unknown as MethodShape;
  assert.equal(delta.path, '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources');
  assert.equal(delta.requestStream, true);
  assert.equal(delta.responseStream, true);
  // grpc-js offers the client method under this name too (as @grpc/proto-loader named it).
  assert.equal(def['DeltaAggregatedResources']?.originalName, 'deltaAggregatedResources');
  // The response side decodes a DeltaDiscoveryResponse (fields only that message has survive).
  const response = def['DeltaAggregatedResources']?.responseDeserialize(
    Buffer.from(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', { system_version_info: 'v7', nonce: 'n9', removed_resources: ['a'] })),
  ) as discovery.DeltaDiscoveryResponse;
  assert.equal(response.system_version_info, 'v7');
  assert.equal(response.nonce, 'n9');
  assert.deepEqual(response.removed_resources, ['a']);
  const ca = loadCaServiceDefinition()['CreateCertificate'] as unknown as MethodShape;
  assert.equal(ca.path, '/istio.v1.auth.IstioCertificateService/CreateCertificate');
  assert.equal(ca.requestStream, false);
  assert.equal(ca.responseStream, false);
});

test('the service definition and encodeMessage/decodeMessage agree on an object, both ways', () => {
  const method = loadAdsServiceDefinition()['DeltaAggregatedResources'];
  assert.ok(method);
  const request: Init<discovery.DeltaDiscoveryRequest> = {
    type_url: TYPE_URL.address,
    resource_names_subscribe: ['*'],
    initial_resource_versions: { 'c/u1': 'v3' },
    response_nonce: 'n1',
    node: { id: 'ztunnel~10.0.0.2~zt.istio-system~istio-system.svc.cluster.local', metadata: { fields: { NODE_NAME: { stringValue: 'n1' } } } },
  };
  const viaLoader = method.requestSerialize(request);
  const viaRoot = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', request);
  assert.deepEqual([...viaLoader], [...viaRoot]);
  const fromLoader = method.requestDeserialize(Buffer.from(viaRoot)) as discovery.DeltaDiscoveryRequest;
  const fromRoot = decodeMessage<discovery.DeltaDiscoveryRequest>('envoy.service.discovery.v3.DeltaDiscoveryRequest', viaLoader);
  assert.deepEqual(fromLoader, fromRoot);
  assert.equal(fromRoot.node?.metadata?.fields['NODE_NAME']?.stringValue, 'n1');
  assert.deepEqual(fromRoot.resource_names_unsubscribe, []);
  assert.equal(fromRoot.error_detail, null);
  // A decoded object encodes with the other side to the same bytes.
  assert.deepEqual([...method.requestSerialize(fromRoot)], [...viaRoot]);
  assert.throws(() => method.requestSerialize({ typeUrl: 'x' }), /AMBIT_XDS_ENCODE|no such field/);
});

let server: grpc.Server;
let address = '';

before(async () => {
  server = new grpc.Server();
  server.addService(loadAdsServiceDefinition(), {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<discovery.DeltaDiscoveryRequest, Init<discovery.DeltaDiscoveryResponse>>) => {
      call.on('data', (request: discovery.DeltaDiscoveryRequest) => {
        if (request.response_nonce !== '') return; // an ACK
        const w: Init<workload.Workload> = { uid: 'c/u1', name: 'a', namespace: 'ns', addresses: [Buffer.from([10, 0, 0, 1])], tunnel_protocol: 'HBONE' };
        call.write({
          type_url: request.type_url,
          system_version_info: 'test',
          nonce: 'n1',
          resources: [{ name: 'c/u1', version: 'v1', resource: packAny(TYPE_URL.address, { workload: w }) }],
          removed_resources: ['c/gone'],
        });
      });
      call.on('end', () => call.end());
    },
  });
  server.addService(loadCaServiceDefinition(), {
    CreateCertificate: (call: grpc.ServerUnaryCall<ca.IstioCertificateRequest, Init<ca.IstioCertificateResponse>>, callback: grpc.sendUnaryData<Init<ca.IstioCertificateResponse>>) => {
      const who = call.request.metadata?.fields['ImpersonatedIdentity']?.stringValue ?? '';
      callback(null, { cert_chain: [`leaf for ${who} valid ${call.request.validity_duration}s`, 'root'] });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  address = `127.0.0.1:${port}`;
});

after(() => {
  server.forceShutdown();
});

test('Delta ADS over a real grpc-js server and client carries an Any-packed istio.workload.Address', async () => {
  const Client = adsClientConstructor();
  const client = new Client(address, grpc.credentials.createInsecure());
  try {
    const call = (client as unknown as { DeltaAggregatedResources(): grpc.ClientDuplexStream<Init<discovery.DeltaDiscoveryRequest>, discovery.DeltaDiscoveryResponse> }).DeltaAggregatedResources();
    const response = await new Promise<discovery.DeltaDiscoveryResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
      call.write({ type_url: TYPE_URL.address, node: { id: 'ztunnel~10.0.0.2~zt.ns~ns.svc.cluster.local' } });
    });
    call.end();
    assert.equal(response.type_url, TYPE_URL.address);
    assert.equal(response.nonce, 'n1');
    assert.deepEqual(response.removed_resources, ['c/gone']);
    const resource = response.resources[0];
    assert.ok(resource?.resource);
    assert.equal(resource.name, 'c/u1');
    assert.equal(resource.resource.type_url, TYPE_URL.address);
    const a = unpackAny<workload.Address>(resource.resource);
    assert.equal(a.type, 'workload');
    assert.equal(a.workload?.uid, 'c/u1');
    assert.equal(a.workload?.tunnel_protocol, 'HBONE');
    assert.deepEqual([...(a.workload?.addresses[0] ?? [])], [10, 0, 0, 1]);
  } finally {
    client.close();
  }
});

test('CA CreateCertificate over a real grpc-js server and client', async () => {
  const Client = caClientConstructor();
  const client = new Client(address, grpc.credentials.createInsecure());
  try {
    const request: Init<ca.IstioCertificateRequest> = {
      csr: '-----BEGIN CERTIFICATE REQUEST-----',
      validity_duration: '86400',
      metadata: { fields: { ImpersonatedIdentity: { stringValue: 'spiffe://cluster.local/ns/ns/sa/sa' } } },
    };
    const reply = await new Promise<ca.IstioCertificateResponse>((resolve, reject) => {
      (client as unknown as { CreateCertificate(r: object, cb: (e: Error | null, v: ca.IstioCertificateResponse) => void): void }).CreateCertificate(request, (e, v) => (e ? reject(e) : resolve(v)));
    });
    assert.deepEqual(reply.cert_chain, ['leaf for spiffe://cluster.local/ns/ns/sa/sa valid 86400s', 'root']);
  } finally {
    client.close();
  }
});
