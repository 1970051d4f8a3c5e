// Workload-addressed traffic through a waypoint (reference istio-ambient.md 1.3 step 5): a Gateway
// with `istio.io/waypoint-for: all` bound by the namespace label; a client dials the server POD IP
// (no Service involved), its ztunnel sends the HBONE CONNECT `podIP:8080` to the waypoint, and the
// waypoint serves it with the pod's chain. Expectations are Istio's semantics, written by hand:
// - a Gateway-targeted ALLOW (only GET /allowed) applies to pod-addressed traffic: /allowed is
//   served by the server pod, /denied gets the waypoint's 403 `RBAC: access denied`;
// - a Service-targeted policy does not: it applies to traffic addressed to the Service only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ambit/core';
import { probeFromPod, type PodStatusEntry, type ProbeResult, type ProbeSpec } from '@ambit/lab';
import { ambit, ambitJson, labName, leftovers } from './helpers.ts';

const LAB = labName('wpw');
const NS = 'apps';
const TIMEOUT_MS = 5000;

const deployment = (name: string, node: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${NS} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      nodeName: ${node}
      serviceAccountName: ${name}
      containers: [{ name: app, image: ambit/workload, ports: [{ name: http, containerPort: 8080 }] }]
`;

const CLUSTER = [
  `apiVersion: v1
kind: Namespace
metadata: { name: ${NS}, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: ${NS}, labels: { istio.io/waypoint-for: all } }
spec:
  gatewayClassName: istio-waypoint
  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: ${NS} }
spec:
  selector: { app: server }
  ports: [{ name: http, port: 8080 }]
`,
  deployment('client', 'node-1'),
  deployment('server', 'node-2'),
].join('---\n');

const POLICIES = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: only-get-allowed, namespace: ${NS} }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: ALLOW
  rules: [{ to: [{ operation: { methods: [GET], paths: [/allowed] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: service-deny, namespace: ${NS} }
spec:
  targetRefs: [{ kind: Service, group: "", name: server }]
  action: DENY
  rules: [{ to: [{ operation: { paths: [/allowed] } }] }]
`;

interface Status {
  pods: PodStatusEntry[];
}

describe('waypoint for workload traffic: a pod IP dialled directly goes through the waypoint', () => {
  let dir: string;
  let status: Status;
  const pod = (name: string): PodStatusEntry => {
    const found = status.pods.find((p) => p.namespace === NS && p.name.startsWith(`${name}-`));
    assert.ok(found, `pod ${name} not found`);
    return found;
  };
  const get = (to: string, path: string): ProbeSpec => ({ to, protocol: 'TCP', timeoutMs: TIMEOUT_MS, http: { path, method: 'GET', headers: {} } });
  const run = async (spec: ProbeSpec): Promise<ProbeResult> => {
    const [result] = await probeFromPod(pod('client'), [spec]);
    assert.ok(result, 'no probe result');
    return result;
  };
  const serverPod = (): string => `${pod('server').ip}:8080`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-wpw-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(join(dir, 'policies.yaml'), POLICIES);
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, `lab up failed: ${up.stderr}`);
    const applied = await ambit(['lab', 'apply', '--name', LAB, '-f', join(dir, 'policies.yaml')]);
    assert.equal(applied.code, 0, `apply failed: ${applied.stderr}`);
    status = await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']);
    assert.ok(pod('server').ip, 'the server pod has an IP');
    // The waypoint is in the path once a request only it can refuse is refused.
    await waitFor(async () => (await run(get(serverPod(), '/denied'))).status === 403, { timeoutMs: 60_000, intervalMs: 250, what: 'the waypoint to enforce its policy on pod-addressed traffic' });
  });

  after(async () => {
    const down = await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('the Gateway-targeted ALLOW decides pod-addressed requests: GET /allowed 200 from the server pod, GET /denied 403', async () => {
    const allowed = await run(get(serverPod(), '/allowed'));
    assert.equal(allowed.status, 200, JSON.stringify(allowed));
    assert.equal(allowed.server, `${NS}/${pod('server').name}`);
    const denied = await run(get(serverPod(), '/denied'));
    assert.equal(denied.status, 403, JSON.stringify(denied));
  });

  test('a Service-targeted policy applies to Service-addressed traffic only', async () => {
    assert.equal((await run(get(`server.${NS}:8080`, '/allowed'))).status, 403, 'the Service DENY refuses /allowed through the Service');
    assert.equal((await run(get(serverPod(), '/allowed'))).status, 200, 'the pod IP is not the Service');
  });
});
