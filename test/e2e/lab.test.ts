// `ambit lab` end to end, as a user drives it: two nodes, namespaces x/y/z with pods a/b/c serving
// TCP and UDP on 80 and 81, real probes from inside the pods, Services through nftables DNAT,
// names through the lab's DNS server, and a second lab running beside the first.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { parseResources } from '@ambit/api';
import { formatProblem } from '@ambit/core';
import { ambit, ambitJson, commandOutput, labName, leftovers, REPO } from './helpers.ts';

interface Status {
  nodes: Array<{ name: string; ip: string; podCIDR: string }>;
  pods: Array<{ namespace: string; name: string; node: string; ip: string; ready: boolean; enrolled: boolean }>;
  services: Array<{ namespace: string; name: string; clusterIP: string }>;
  components: Array<{ kind: string; node: string | null; pid: number | null; ready: boolean }>;
}
interface Matrix {
  port: number;
  protocol: string;
  matrix: Record<string, Record<string, boolean>>;
}
interface Probe {
  from: string;
  to: string;
  protocol: string;
  connected: boolean;
  status: number | null;
  server: string | null;
  error: string | null;
}

const LAB = labName('lab');
const PODS = ['x', 'y', 'z'].flatMap((ns) => ['a', 'b', 'c'].map((p) => `${ns}/${p}`));

describe('ambit lab with two nodes and the x/y/z cluster', () => {
  let status: Status;

  before(async () => {
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', `${REPO}examples/xyz/cluster.yaml`]);
    assert.equal(up.code, 0, `lab up failed: ${up.stderr}`);
    status = await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']);
  });

  after(async () => {
    const down = await ambit(['lab', 'down', '--name', LAB]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('status shows two nodes, every pod ready with an address from its node CIDR', () => {
    assert.deepEqual(
      status.nodes.map((n) => [n.name, n.podCIDR]),
      [
        ['node-1', '10.244.1.0/24'],
        ['node-2', '10.244.2.0/24'],
      ],
    );
    const xyz = status.pods.filter((p) => PODS.includes(`${p.namespace}/${p.name}`));
    assert.equal(xyz.length, 9);
    for (const pod of xyz) {
      assert.equal(pod.ready, true, `${pod.namespace}/${pod.name} not ready`);
      const node = status.nodes.find((n) => n.name === pod.node);
      assert.ok(node && pod.ip.startsWith(node.podCIDR.replace('0/24', '')), `${pod.ip} not in ${node?.podCIDR}`);
    }
    assert.ok(new Set(xyz.map((p) => p.node)).size === 2, 'pods are spread over both nodes');
    const kinds = status.components.map((c) => c.kind);
    assert.ok(kinds.includes('supervisor') && kinds.includes('dns'));
    assert.ok(status.components.every((c) => c.ready));
    assert.equal(status.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns')?.clusterIP, '10.96.0.10');
  });

  for (const [protocol, port] of [
    ['TCP', 80],
    ['UDP', 80],
    ['TCP', 81],
    ['UDP', 81],
  ] as const) {
    test(`probe matrix ${protocol} ${port}: all 72 pairs of different pods connect`, async () => {
      const result = await ambitJson<Matrix>(['lab', 'probe', '--name', LAB, '--matrix', '--port', String(port), '--protocol', protocol, '--timeout', '2s', '-o', 'json']);
      assert.equal(result.port, port);
      assert.equal(result.protocol, protocol);
      assert.deepEqual(Object.keys(result.matrix).sort(), PODS);
      let pairs = 0;
      for (const from of PODS) {
        for (const to of PODS) {
          if (from === to) {
            assert.equal(result.matrix[from]?.[to], undefined, 'a pod is not probed against itself');
            continue;
          }
          assert.equal(result.matrix[from]?.[to], true, `${from} -> ${to}`);
          pairs++;
        }
      }
      assert.equal(pairs, 72);
    });
  }

  test('single probes reach a pod through its Service VIP and its DNS names', async () => {
    const vip = status.services.find((s) => s.namespace === 'y' && s.name === 'b')?.clusterIP;
    assert.ok(vip);
    for (const [to, protocol] of [
      [`${vip}:80`, 'TCP'],
      [`${vip}:81`, 'UDP'],
      ['b.y:80', 'TCP'],
      ['b.y.svc.cluster.local:81', 'TCP'],
      ['b.y:80', 'UDP'],
    ] as const) {
      const probe = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'x/a', '--to', to, '--protocol', protocol, '-o', 'json']);
      assert.deepEqual(probe, { from: 'x/a', to, protocol, connected: true, status: null, server: 'y/b', error: null });
    }
    // The short name resolves through the pod's search path (its own namespace first).
    const short = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'x/a', '--to', 'c:80', '-o', 'json']);
    assert.equal(short.server, 'x/c');
    const http = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'z/c', '--to', 'a.x:80', '--http', '/hello', '-o', 'json']);
    assert.equal(http.connected, true);
    assert.equal(http.status, 200);
    assert.equal(http.server, 'x/a');
  });

  test('curl and dig inside a pod use the Service VIP and the lab DNS server', async () => {
    const dig = await ambit(['lab', 'exec', '--name', LAB, 'x/a', '--', 'dig', '+short', '+time=2', '+tries=1', 'b.y.svc.cluster.local']);
    const vip = status.services.find((s) => s.namespace === 'y' && s.name === 'b')?.clusterIP;
    assert.equal(dig.code, 0, dig.stderr);
    assert.equal(dig.stdout.trim(), vip);
    const nx = await ambit(['lab', 'exec', '--name', LAB, 'x/a', '--', 'dig', '+time=2', '+tries=1', 'nothing.y.svc.cluster.local']);
    assert.match(nx.stdout, /status: NXDOMAIN/);
    const curl = await ambit(['lab', 'exec', '--name', LAB, 'x/a', '--', 'curl', '-sS', '--max-time', '3', 'http://b.y/from-curl']);
    assert.equal(curl.code, 0, curl.stderr);
    const body = JSON.parse(curl.stdout) as { pod: string; path: string; protocol: string };
    assert.equal(body.pod, 'y/b');
    assert.equal(body.path, '/from-curl');
  });

  test('the lab never routes outside: a pod cannot reach an address outside the lab', async () => {
    const probe = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'x/a', '--to', '192.0.2.1:80', '--timeout', '500ms', '-o', 'json']);
    assert.equal(probe.connected, false);
  });

  test('pod status is written back as Kubernetes objects into the config source', async () => {
    const pod = status.pods.find((p) => p.namespace === 'y' && p.name === 'c');
    const text = await readFile(`/run/ambit/${LAB}/config/Pod.y.c.yaml`, 'utf8');
    assert.match(text, new RegExp(`podIP: ${pod?.ip.replaceAll('.', '\\.')}`));
    assert.match(text, /type: Ready\n\s+status: "True"/);
    // Every object the lab writes must read back cleanly, as the control plane reads it (YAML 1.1:
    // a bare y would be a boolean).
    const dir = `/run/ambit/${LAB}/config`;
    const files = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.yaml') && !f.startsWith('EndpointSlice.')).map(async (f) => ({ path: `${dir}/${f}`, text: await readFile(`${dir}/${f}`, 'utf8') })));
    assert.ok(files.length >= 20);
    assert.deepEqual(parseResources(files).problems.filter((p) => p.severity === 'error').map(formatProblem), []);
    const slice = await readFile(`/run/ambit/${LAB}/config/EndpointSlice.y.c.yaml`, 'utf8');
    assert.match(slice, /kubernetes.io\/service-name: c/);
    assert.ok(slice.includes(pod?.ip ?? 'missing'));
  });

  test('a pod whose process dies is restarted and serves again', async () => {
    const before = await ambitJson<Status & { pods: Array<{ name: string; namespace: string; ready: boolean }> }>(['lab', 'status', '--name', LAB, '-o', 'json']);
    assert.ok(before.pods.find((p) => p.namespace === 'z' && p.name === 'b')?.ready);
    // Kill the workload server of z/b the hard way (SIGKILL, no chance to clean up).
    const pids = (await commandOutput('ip', ['netns', 'pids', `ambit-${LAB}.p.z.b`])).trim().split('\n').filter(Boolean);
    assert.ok(pids.length > 0, 'found the z/b process');
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    let probe: Probe | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      probe = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'x/a', '--to', 'b.z:80', '--timeout', '500ms', '-o', 'json']);
      if (probe.connected) break;
    }
    assert.equal(probe?.connected, true, 'z/b serves again after its restart');
  });

  test('a second lab runs beside the first and is isolated from it', async () => {
    const other = labName('two');
    const file = `${REPO}examples/xyz/cluster.yaml`;
    try {
      const up = await ambit(['lab', 'up', '--name', other, '--nodes', '1', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      const again = await ambit(['lab', 'up', '--name', other, '-f', file]);
      assert.equal(again.code, 2, 'a lab of the same name cannot start twice');
      assert.match(again.stderr, /already running/);
      const probe = await ambitJson<Probe>(['lab', 'probe', '--name', other, '--from', 'x/a', '--to', 'b.y:80', '-o', 'json']);
      assert.equal(probe.server, 'y/b');
      const first = await ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', 'x/a', '--to', 'b.y:80', '-o', 'json']);
      assert.equal(first.server, 'y/b');
    } finally {
      const down = await ambit(['lab', 'down', '--name', other]);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(await leftovers(other), []);
    }
  });
});
