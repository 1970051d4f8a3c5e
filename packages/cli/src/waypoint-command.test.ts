import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from '@ambit/api';
import type { GatewayStatusEntry } from '@ambit/lab';
import { enrolledNamespace, listTable, overwriteConflict, parseWaypointArgs, statusTable, waypointCommand, waypointsIn, type WaypointRequest } from './waypoint-command.ts';
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

const PARSED: Array<{ argv: string[]; want: WaypointRequest }> = [
  { argv: ['generate'], want: { verb: 'generate', namespace: 'default', name: 'waypoint', trafficType: 'service' } },
  {
    argv: ['apply', '-n', 'shop', '--enroll-namespace', '--wait'],
    want: { verb: 'apply', lab: 'default', namespace: 'shop', name: 'waypoint', trafficType: 'service', enrollNamespace: true, overwrite: false, wait: true, timeoutMs: 60_000 },
  },
  {
    argv: ['apply', '--lab', 'x', '--name', 'reviews', '--for', 'all', '-r', 'canary', '--overwrite', '-w', '--waypoint-timeout', '30s'],
    want: { verb: 'apply', lab: 'x', namespace: 'default', name: 'reviews', trafficType: 'all', revision: 'canary', enrollNamespace: false, overwrite: true, wait: true, timeoutMs: 30_000 },
  },
  { argv: ['list'], want: { verb: 'list', lab: 'default', scope: { namespace: 'default', allNamespaces: false }, json: false } },
  { argv: ['list', '-A', '-o', 'json', '--lab', 'l2'], want: { verb: 'list', lab: 'l2', scope: { namespace: 'default', allNamespaces: true }, json: true } },
  { argv: ['status', '-n', 'shop', '--name', 'wp'], want: { verb: 'status', lab: 'default', scope: { namespace: 'shop', allNamespaces: false }, name: 'wp' } },
  { argv: ['delete', 'a', 'b', '-n', 'shop'], want: { verb: 'delete', lab: 'default', namespace: 'shop', names: ['a', 'b'], all: false } },
  { argv: ['delete', '--all'], want: { verb: 'delete', lab: 'default', namespace: 'default', names: [], all: true } },
];

for (const c of PARSED) {
  test(`parse: ${c.argv.join(' ')}`, () => assert.deepEqual(parseWaypointArgs(c.argv), c.want));
}

const USAGE_ERRORS: Array<{ argv: string[]; message: RegExp }> = [
  { argv: ['generate', '--for', 'pods'], message: /--for: expected service, workload, all, none, got "pods"/ },
  { argv: ['generate', '--name', 'Bad_Name'], message: /--name: "Bad_Name" is not a DNS label/ },
  { argv: ['frobnicate'], message: /unknown waypoint command "frobnicate"/ },
  { argv: ['apply', '--waypoint-timeout', 'soon'], message: /--waypoint-timeout: invalid duration "soon"/ },
  { argv: ['apply', '--enroll'], message: /Unknown option '--enroll'/ },
  { argv: ['list', '-o', 'yaml'], message: /-o: only "json" is supported, got "yaml"/ },
  { argv: ['delete'], message: /name the waypoints to delete, or give --all \(not both\)/ },
  { argv: ['delete', 'a', '--all'], message: /not both/ },
  { argv: ['delete', 'UP'], message: /NAME: "UP" is not a DNS label/ },
];

for (const c of USAGE_ERRORS) {
  test(`usage error: ${c.argv.join(' ')}`, () => assert.throws(() => parseWaypointArgs(c.argv), (e: unknown) => e instanceof UsageError && c.message.test(e.message)));
}

function gw(namespace: string, name: string, over: Partial<GatewayStatusEntry> = {}): GatewayStatusEntry {
  const programmed = over.programmed ?? true;
  return {
    namespace,
    name,
    class: 'istio-waypoint',
    trafficType: 'service',
    revision: 'default',
    programmed,
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted' },
      { type: 'Programmed', status: programmed ? 'True' : 'False', reason: programmed ? 'Programmed' : 'NoResourcesAvailable', message: programmed ? 'ok' : 'not ready' },
    ],
    addresses: [],
    ...over,
  };
}

const GATEWAYS = [gw('shop', 'waypoint'), gw('bank', 'wp', { trafficType: 'all', revision: 'canary', programmed: false }), gw('shop', 'ingress', { class: 'istio' }), gw('shop', 'a-wp', { trafficType: 'workload' })];

const LISTS: Array<{ name: string; scope: { namespace: string; allNamespaces: boolean }; headers: string[]; rows: string[][] }> = [
  {
    name: 'one namespace: no NAMESPACE column, other classes left out, sorted by name',
    scope: { namespace: 'shop', allNamespaces: false },
    headers: ['NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'],
    rows: [
      ['a-wp', 'default', 'workload', 'True'],
      ['waypoint', 'default', 'service', 'True'],
    ],
  },
  {
    name: '-A: NAMESPACE first, sorted by namespace',
    scope: { namespace: 'default', allNamespaces: true },
    headers: ['NAMESPACE', 'NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'],
    rows: [
      ['bank', 'wp', 'canary', 'all', 'False'],
      ['shop', 'a-wp', 'default', 'workload', 'True'],
      ['shop', 'waypoint', 'default', 'service', 'True'],
    ],
  },
  { name: 'a namespace without waypoints', scope: { namespace: 'empty', allNamespaces: false }, headers: ['NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'], rows: [] },
];

for (const c of LISTS) {
  test(`list rows: ${c.name}`, () => assert.deepEqual(listTable(waypointsIn(GATEWAYS, c.scope), c.scope.allNamespaces), { headers: c.headers, rows: c.rows }));
}

test('status rows: one per condition', () => {
  const t = statusTable(waypointsIn(GATEWAYS, { namespace: 'bank', allNamespaces: false }));
  assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'STATUS', 'TYPE', 'REASON', 'MESSAGE']);
  assert.deepEqual(t.rows, [
    ['bank', 'wp', 'True', 'Accepted', 'Accepted', 'Resource accepted'],
    ['bank', 'wp', 'False', 'Programmed', 'NoResourcesAvailable', 'not ready'],
  ]);
});

const CONFLICTS: Array<{ name: string; existing: GatewayStatusEntry | undefined; wanted: { trafficType: string; revision?: string }; message: RegExp | undefined }> = [
  { name: 'nothing there', existing: undefined, wanted: { trafficType: 'service' }, message: undefined },
  { name: 'same settings', existing: gw('shop', 'waypoint'), wanted: { trafficType: 'service' }, message: undefined },
  { name: 'other traffic type', existing: gw('shop', 'waypoint'), wanted: { trafficType: 'all' }, message: /^waypoint shop\/waypoint already exists with traffic type service; use --overwrite to change it to all$/ },
  { name: 'other revision', existing: gw('shop', 'waypoint', { revision: 'canary' }), wanted: { trafficType: 'service' }, message: /already exists with revision canary; use --overwrite to change it to default/ },
  { name: 'a Gateway of another class', existing: gw('shop', 'waypoint', { class: 'istio' }), wanted: { trafficType: 'service' }, message: /gateway shop\/waypoint already exists with class istio; use --overwrite/ },
];

for (const c of CONFLICTS) {
  test(`overwrite check: ${c.name}`, () => {
    const got = overwriteConflict(c.existing, c.wanted);
    if (c.message === undefined) assert.equal(got, undefined);
    else assert.match(got ?? '', c.message);
  });
}

test('enrolling a namespace keeps its labels and annotations and adds istio.io/use-waypoint', () => {
  const ns = enrolledNamespace({ name: 'shop', labels: { team: 'a', 'istio.io/dataplane-mode': 'ambient' }, annotations: { note: 'x' } }, 'wp');
  assert.deepEqual(ns.metadata.labels, { team: 'a', 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'wp' });
  assert.deepEqual(ns.metadata.annotations, { note: 'x' });
});
