import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from '@ambit/api';
import { waypointCommand } from './waypoint-command.ts';
import { UsageError } from './exit-codes.ts';

async function generate(t: { mock: { method: (o: object, m: string, f: (...a: unknown[]) => boolean) => unknown } }, argv: string[]): Promise<string> {
  let out = '';
  t.mock.method(process.stdout, 'write', (chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  assert.equal(await waypointCommand(['generate', ...argv]), 0);
  return out;
}

test('generate prints the Gateway istioctl prints, and the lab parser accepts it', async (t) => {
  const text = await generate(t, ['-n', 'shop', '--for', 'workload', '-r', 'canary']);
  const { resources, problems } = parseResources([{ path: 'waypoint.yaml', text }]);
  assert.deepEqual(problems, []);
  assert.equal(resources.length, 1);
  const gw = resources[0] as { kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { gatewayClassName: string; listeners: Array<{ name: string; port: number; protocol: string }> } };
  assert.equal(gw.kind, 'Gateway');
  assert.deepEqual([gw.metadata.name, gw.metadata.namespace], ['waypoint', 'shop']);
  assert.deepEqual(gw.metadata.labels, { 'istio.io/waypoint-for': 'workload', 'istio.io/rev': 'canary' });
  assert.equal(gw.spec.gatewayClassName, 'istio-waypoint');
  assert.deepEqual(gw.spec.listeners.map((l) => [l.name, l.port, l.protocol]), [['mesh', 15008, 'HBONE']]);
});

test('defaults: name waypoint, namespace default, for service', async (t) => {
  const text = await generate(t, []);
  assert.match(text, /name: waypoint/);
  assert.match(text, /namespace: default/);
  assert.match(text, /istio\.io\/waypoint-for: service/);
});

test('bad flags are usage errors naming the flag', async () => {
  await assert.rejects(waypointCommand(['generate', '--for', 'pods']), (e: unknown) => e instanceof UsageError && /--for: expected service, workload, all, none, got "pods"/.test(e.message));
  await assert.rejects(waypointCommand(['generate', '--name', 'Bad_Name']), (e: unknown) => e instanceof UsageError && /--name: "Bad_Name" is not a DNS label/.test(e.message));
  await assert.rejects(waypointCommand(['list']), (e: unknown) => e instanceof UsageError && /unknown waypoint command "list"/.test(e.message));
});
