// Mesh-aware NetworkPolicy (packages/nft/README.md, "Mesh-aware"): between meshed pods traffic
// travels as HBONE to 15008, yet a policy that allows TCP 9090 and not 8080 keeps meaning exactly
// that: 9090 connects, 8080 is refused, whether the policy restricts the server's ingress or the
// client's egress, with the namespace enrolled in the mesh and after it is unenrolled (plain TCP
// judged by the kernel alone). Expectations are the Kubernetes semantics of the policies below.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ambit/core';
import { ambit, ambitJson, commandOutput, labName, leftovers, PodFixture } from './helpers.ts';

const LAB = labName('npm');

const namespace = (enrolled: boolean): string => `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { ${enrolled ? 'istio.io/dataplane-mode: ambient' : 'team: shop'} } }
`;

const pod = (name: string, node: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: shop, labels: { app: ${name} } }
spec: { nodeName: ${node}, serviceAccountName: ${name}, containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] }
`;

const CLUSTER = [namespace(true), pod('client', 'node-1'), pod('server', 'node-2')].join('---\n');

/** The server admits only TCP 9090 from the client. */
const INGRESS_9090 = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: server-9090, namespace: shop }
spec:
  podSelector: { matchLabels: { app: server } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }], ports: [{ protocol: TCP, port: 9090 }] }]
`;

/** The client may only open TCP 9090 to the server. */
const EGRESS_9090 = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: client-9090, namespace: shop }
spec:
  podSelector: { matchLabels: { app: client } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: server } } }], ports: [{ protocol: TCP, port: 9090 }] }]
`;

interface Probe {
  connected: boolean;
  server: string | null;
  error: string | null;
}

describe('NetworkPolicy keeps its ports for meshed pods (HBONE on 15008)', () => {
  let dir: string;
  let ips: Record<string, string> = {};

  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const run = async (verb: 'apply' | 'delete', name: string, text: string): Promise<void> => {
    const result = await ambit(['lab', verb, '--name', LAB, '-f', await write(name, text)]);
    assert.equal(result.code, 0, result.stderr);
  };
  const probe = (from: string, to: string, port: number): Promise<Probe> =>
    ambitJson<Probe>(['lab', 'probe', '--name', LAB, '--from', `shop/${from}`, '--to', `${ips[to]}:${port}`, '--timeout', '1500ms', '-o', 'json']);

  const shopPods = async (): Promise<Array<{ name: string; ip: string; enrolled: boolean }>> =>
    (await ambitJson<{ pods: Array<{ namespace: string; name: string; ip: string; enrolled: boolean }> }>(['lab', 'status', '--name', LAB, '-o', 'json'])).pods.filter((p) => p.namespace === 'shop');

  /** The reachability the policies promise, probed right after `lab apply` returned. */
  async function expectPorts(label: string, expected: Array<[from: string, to: string, port: number, connected: boolean]>): Promise<void> {
    const observed = await Promise.all(expected.map(async ([from, to, port]) => (await probe(from, to, port)).connected));
    const wrong = expected.filter((e, i) => observed[i] !== e[3]).map(([from, to, port, want]) => `${from} -> ${to}:${port} expected ${want ? 'connected' : 'refused'}`);
    assert.deepEqual(wrong, [], `${label}: ${wrong.join('; ')}`);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-npm-'));
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', await write('cluster.yaml', CLUSTER)]);
    assert.equal(up.code, 0, up.stderr);
    const pods = await shopPods();
    ips = Object.fromEntries(pods.map((p) => [p.name, p.ip]));
    assert.ok(pods.length === 2 && pods.every((p) => p.enrolled), 'both pods start in the mesh');
  });

  after(async () => {
    await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await leftovers(LAB), []);
  });

  for (const enrolled of [true, false]) {
    const mode = enrolled ? 'enrolled (HBONE)' : 'unenrolled (plain TCP)';
    test(`${mode}: ingress and egress policies allowing TCP 9090 admit 9090 and refuse 8080`, async () => {
      if (!enrolled) await run('apply', 'ns.yaml', namespace(false));
      assert.ok((await shopPods()).every((p) => p.enrolled === enrolled), `pods ${enrolled ? 'in' : 'out of'} the mesh`);
      await expectPorts('no policy', [['client', 'server', 8080, true], ['client', 'server', 9090, true]]);

      await run('apply', 'ingress.yaml', INGRESS_9090);
      await expectPorts('server ingress allows 9090', [
        ['client', 'server', 9090, true],
        ['client', 'server', 8080, false],
        ['server', 'client', 8080, true],
      ]);
      await run('delete', 'ingress.yaml', INGRESS_9090);
      if (!enrolled) {
        // The kernel dropped the 8080 SYNs at the server's default deny: counted per pod and policy,
        // and the count survives the table replacement that deleting the policy caused.
        const metrics = await commandOutput('ip', ['netns', 'exec', `ambit-${LAB}.node-2`, 'curl', '-s', '--max-time', '3', '127.0.0.1:15025/metrics']);
        const dropped = /ambit_netpol_dropped_packets_total\{pod="shop\/server",direction="ingress",policy="default-deny"\} (\d+)/.exec(metrics);
        assert.ok(dropped !== null && Number(dropped[1]) > 0, `drops counted for shop/server: ${metrics.split('\n').filter((l) => l.includes('netpol')).join('\n')}`);
      }

      await run('apply', 'egress.yaml', EGRESS_9090);
      await expectPorts('client egress allows 9090', [
        ['client', 'server', 9090, true],
        ['client', 'server', 8080, false],
        ['server', 'client', 8080, true],
      ]);
      await run('delete', 'egress.yaml', EGRESS_9090);
      await expectPorts('policies deleted', [['client', 'server', 8080, true]]);

      if (enrolled) {
        // The refusals were the ztunnels' (the kernel saw 15008): each names the policy's verdict.
        const logs = (await readFile(`/run/ambit/${LAB}/logs/ztunnel.node-2.log`, 'utf8')) + (await readFile(`/run/ambit/${LAB}/logs/ztunnel.node-1.log`, 'utf8'));
        assert.match(logs, /connection closed due to NetworkPolicy: ingress of shop\/server/);
        assert.match(logs, /connection closed due to NetworkPolicy: egress of shop\/client/);
      }
    });
  }

  test('live change: a long transfer on an allowed flow survives policy applies and deletes; a newly denied flow is refused once apply returns', async () => {
    // The namespace is unenrolled by now: this is the kernel's conntrack path.
    const transfer = new PodFixture(LAB, 'shop/client', 'stream-transfer.ts', [ips['server'] ?? '', '9090']);
    try {
      await waitFor(() => transfer.lines.some((l) => l['event'] === 'flowing') || transfer.child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 50, what: 'the transfer to flow' });
      assert.ok(transfer.lines.some((l) => l['event'] === 'flowing'), `transfer: ${JSON.stringify(transfer.lines)}`);
      for (let round = 0; round < 3; round++) {
        await run('apply', 'ingress.yaml', INGRESS_9090);
        // Refused for NEW connections the moment apply returns: one probe, no retry.
        assert.equal((await probe('client', 'server', 8080)).connected, false, `round ${round}: 8080 refused right after apply`);
        await run('apply', 'egress.yaml', EGRESS_9090);
        await run('delete', 'ingress.yaml', INGRESS_9090);
        await run('delete', 'egress.yaml', EGRESS_9090);
        assert.equal((await probe('client', 'server', 8080)).connected, true, `round ${round}: 8080 open again right after delete`);
      }
      const result = await transfer.stop(60_000);
      assert.equal(result['error'], null, JSON.stringify(result));
      assert.equal(result['intact'], true, `every byte echoed intact across the changes: ${JSON.stringify(result)}`);
    } finally {
      transfer.kill();
    }
  });

  test('bad policies are refused with file:line and leave the running ruleset untouched', async () => {
    await run('apply', 'ingress.yaml', INGRESS_9090);
    // Counter values may move between two listings; the rules, sets and maps may not.
    const table = async (): Promise<string> => (await commandOutput('ip', ['netns', 'exec', `ambit-${LAB}.node-2`, 'nft', 'list', 'table', 'inet', 'ambit-netpol'])).replace(/packets \d+ bytes \d+/g, 'packets - bytes -');
    const before = await table();
    assert.match(before, /shop\/server-9090/);
    // lab status shows each node's rule count: the server's node has the policy's rules.
    const nodes = (await ambitJson<{ nodes: Array<{ name: string; netpolRules: number | null }> }>(['lab', 'status', '--name', LAB, '-o', 'json'])).nodes;
    const rules = Object.fromEntries(nodes.map((n) => [n.name, n.netpolRules]));
    assert.ok((rules['node-2'] ?? 0) > (rules['node-1'] ?? 0), `rule counts per node: ${JSON.stringify(rules)}`);
    const bad: Array<[name: string, text: string, problem: RegExp]> = [
      ['unknown-field.yaml', INGRESS_9090.replace('policyTypes:', 'policyTypez:'), /unknown-field\.yaml:6:\d+.*policyTypez/],
      ['bad-cidr.yaml', INGRESS_9090.replace("from: [{ podSelector: { matchLabels: { app: client } } }]", "from: [{ ipBlock: { cidr: 10.0.0.0/33 } }]"), /bad-cidr\.yaml:7:\d+.*10\.0\.0\.0\/33/],
      [
        'bad-selector.yaml',
        `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: broken }
spec:
  selector: "app == 'server' &&"
  ingress: [{ action: Deny }]
`,
        /bad-selector\.yaml:5:\d+.*selector/,
      ],
    ];
    for (const [name, text, problem] of bad) {
      const result = await ambit(['lab', 'apply', '--name', LAB, '-f', await write(name, text)]);
      assert.equal(result.code, 2, `${name}: exit 2 for bad input, got ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, problem, name);
    }
    assert.equal(await table(), before, 'the kernel still has exactly the last good rules');
    await run('delete', 'ingress.yaml', INGRESS_9090);
  });

  test('a restarted CNI agent never opens the node: the denied flow stays refused through the restart', async () => {
    await run('apply', 'ingress.yaml', INGRESS_9090);
    type Components = { components: Array<{ kind: string; node: string | null; pid: number | null; ready: boolean }> };
    const agentOf = async (): Promise<{ pid: number | null; ready: boolean } | undefined> =>
      (await ambitJson<Components>(['lab', 'status', '--name', LAB, '-o', 'json'])).components.find((c) => c.kind === 'cni-agent' && c.node === 'node-2');
    const before = await agentOf();
    assert.ok(before?.pid);
    process.kill(before.pid, 'SIGKILL');
    const observed: boolean[] = [];
    await waitFor(
      async () => {
        observed.push((await probe('client', 'server', 8080)).connected);
        const now = await agentOf();
        return now?.ready === true && now.pid !== before.pid;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the CNI agent of node-2 to be restarted' },
    );
    assert.ok(observed.length > 0 && observed.every((c) => !c), `8080 refused while the agent restarted (${observed.length} probes): ${JSON.stringify(observed)}`);
    await expectPorts('after the restart', [['client', 'server', 9090, true], ['client', 'server', 8080, false]]);
    await run('delete', 'ingress.yaml', INGRESS_9090);
  });
});
