// benchLab: what the harness takes from `ambit lab status -o json`, and the error that names the
// missing part when the lab is not what path (c) needs. Statuses below are written by hand in the
// shape packages/lab/src/status.ts documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchLab, type Status } from './lab.ts';

const pod = (namespace: string, name: string, ip: string, enrolled: boolean) => ({ namespace, name, ip, ready: true, enrolled, netns: `ambit-b.p.${namespace}.${name}` });

function status(): Status {
  return {
    pods: [
      pod('direct', 'client', '10.244.2.2', false),
      pod('direct', 'server', '10.244.1.2', false),
      pod('mesh', 'client', '10.244.2.3', true),
      pod('mesh', 'server', '10.244.1.3', true),
      pod('l7', 'client', '10.244.2.4', true),
      pod('l7', 'server', '10.244.1.4', true),
      pod('l7', 'waypoint-0', '10.244.1.5', false),
    ],
    services: [
      { namespace: 'l7', name: 'waypoint', clusterIP: '10.96.0.12' },
      { namespace: 'l7', name: 'server', clusterIP: '10.96.0.11' },
    ],
    components: [
      { kind: 'supervisor', node: null, pid: 100 },
      { kind: 'control-plane', node: null, pid: null },
      { kind: 'waypoint', node: 'node-1', pid: 300, namespace: 'l7', name: 'waypoint-0' },
      { kind: 'ztunnel', node: 'node-1', pid: 201 },
      { kind: 'ztunnel', node: 'node-2', pid: 202 },
    ],
  };
}

test('benchLab: the l7 Service ClusterIP, the waypoint pod, components with a pid', () => {
  const lab = benchLab('b', status());
  assert.equal(lab.l7ServiceIp, '10.96.0.11');
  assert.deepEqual(lab.waypoint, { pod: 'waypoint-0', node: 'node-1', pid: 300, netns: 'ambit-b.p.l7.waypoint-0' });
  assert.equal(lab.serverIp('l7'), '10.244.1.4');
  assert.equal(lab.netns('l7', 'client'), 'ambit-b.p.l7.client');
  assert.deepEqual(
    lab.components.map((c) => c.kind),
    ['supervisor', 'waypoint', 'ztunnel', 'ztunnel'],
    'the control plane without a pid is left out',
  );
});

test('benchLab names what is missing or wrong', () => {
  const cases: Array<{ name: string; change: (s: Status) => void; error: RegExp }> = [
    { name: 'l7 server not enrolled', change: (s) => void (s.pods[5] = pod('l7', 'server', '10.244.1.4', false)), error: /pod l7\/server: enrolled is false, expected true/ },
    { name: 'direct server enrolled', change: (s) => void (s.pods[1] = pod('direct', 'server', '10.244.1.2', true)), error: /pod direct\/server: enrolled is true, expected false/ },
    { name: 'no l7 Service', change: (s) => void (s.services = s.services.filter((x) => x.name !== 'server')), error: /no ClusterIP for Service l7\/server/ },
    { name: 'no waypoint', change: (s) => void (s.components = s.components.filter((c) => c.kind !== 'waypoint')), error: /expected 1 waypoint component in namespace l7, lab status lists 0/ },
    {
      name: 'two waypoints',
      change: (s) => void s.components.push({ kind: 'waypoint', node: 'node-2', pid: 301, namespace: 'l7', name: 'waypoint-1' }),
      error: /expected 1 waypoint component in namespace l7, lab status lists 2/,
    },
    { name: 'waypoint not started', change: (s) => void (s.components[2] = { kind: 'waypoint', node: 'node-1', pid: null, namespace: 'l7', name: 'waypoint-0' }), error: /waypoint component waypoint-0 has no pid/ },
    { name: 'waypoint pod not listed', change: (s) => void (s.pods = s.pods.filter((p) => p.name !== 'waypoint-0')), error: /waypoint pod l7\/waypoint-0 is not among the pods/ },
  ];
  for (const c of cases) {
    const s = status();
    c.change(s);
    assert.throws(() => benchLab('b', s), (e: unknown) => c.error.test(String(e)), c.name);
  }
});
