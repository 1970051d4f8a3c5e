// The Root loads the base files first and Envoy's proxy configuration files only when a type from
// them is asked for; every type stays reachable. One process per test file, so the Root starts empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from './codec.ts';
import { messageType, protoRoot } from './root.ts';
import { ENVOY_PROXY_PROTO_FILES } from './paths.ts';
import { loadAdsServiceDefinition } from './services.ts';

const loadedFiles = (): string[] => messageType('google.protobuf.Any').root.files;
const hasFile = (suffix: string): boolean => loadedFiles().some((f) => f.endsWith(suffix));

test('base types and the ADS service load without the Envoy proxy files, then a Listener loads them on demand', () => {
  const bytes = encodeMessage('istio.workload.Address', { workload: { uid: 'c/u1', name: 'p' } });
  assert.equal(decodeMessage<{ workload: { uid: string } }>('istio.workload.Address', bytes).workload.uid, 'c/u1');
  assert.ok(loadAdsServiceDefinition()['DeltaAggregatedResources']);
  assert.equal(hasFile('envoy/config/listener/v3/listener.proto'), false);
  assert.equal(hasFile('http_connection_manager.proto'), false);

  // A type only the Envoy proxy files define: loaded into the same Root, base types still work.
  const listener = encodeMessage('envoy.config.listener.v3.Listener', { name: 'main_internal', stat_prefix: 'main' });
  const decoded = decodeMessage<{ name: string; stat_prefix: string }>('envoy.config.listener.v3.Listener', listener);
  assert.equal(decoded.name, 'main_internal');
  assert.equal(decoded.stat_prefix, 'main');
  for (const file of ENVOY_PROXY_PROTO_FILES) assert.ok(hasFile(file), file);
  assert.equal(messageType('istio.workload.Address').root, protoRoot());
  assert.deepEqual([...encodeMessage('istio.workload.Address', { workload: { uid: 'c/u1', name: 'p' } })], [...bytes]);
});

test('a name no file defines is still AMBIT_XDS_UNKNOWN_TYPE', () => {
  assert.throws(() => messageType('envoy.config.listener.v3.Listenr'), (e: Error & { code?: string }) => e.code === 'AMBIT_XDS_UNKNOWN_TYPE' && /Listenr/.test(e.message));
});
