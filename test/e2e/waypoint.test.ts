// The waypoint end to end (issue "Waypoint", "Done when"): a meshed namespace bound to a waypoint,
// real HTTP/1.1 and gRPC requests from client pods through client ztunnel -> waypoint -> server
// ztunnel. Expectations are Istio's semantics for the policies and Gateway API's for the routes,
// written here by hand:
// - targetRefs AuthorizationPolicies are enforced by the waypoint (403 `RBAC: access denied`,
//   gRPC PERMISSION_DENIED), DENY before ALLOW, header and principal rules, CUSTOM ext-authz;
// - an HTTPRoute 90/10 split, retries past a failing endpoint, a request timeout answering 504;
// - the server's ztunnel sees the waypoint's identity: a selector policy admitting only the
//   waypoint's principal lets waypoint traffic in and refuses a pod that dials the server directly.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ambit/core';
import { probeFromPod, type PodStatusEntry, type ProbeResult, type ProbeSpec } from '@ambit/lab';
import { ambit, ambitJson, commandOutput, labName, leftovers } from './helpers.ts';

const LAB = labName('wp');
const NS = 'shop';
const TIMEOUT_MS = 5000;

// An ext-authz HTTP server (Envoy's HTTP check protocol): 200 when the check carries
// `x-ext-authz: allow`, 403 with a body otherwise.
const EXT_AUTHZ_SERVER = `require('http').createServer((q, s) => { const ok = q.headers['x-ext-authz'] === 'allow'; s.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain', 'x-ext-authz-check-result': ok ? 'allowed' : 'denied' }); s.end(ok ? '' : 'denied by ext-authz'); }).listen(9000)`;
// An endpoint that is up but always failing: 503 to everything.
const FAILING_SERVER = `require('http').createServer((q, s) => { s.writeHead(503, { 'content-type': 'text/plain' }); s.end('always failing'); }).listen(8080)`;

const deployment = (name: string, labels: string, opts: { node?: string; sa?: string; ports?: number[]; command?: string } = {}): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${NS} }
spec:
  replicas: 1
  selector: { matchLabels: { ${labels} } }
  template:
    metadata: { labels: { ${labels} } }
    spec:
      ${opts.node ? `nodeName: ${opts.node}` : ''}
      serviceAccountName: ${opts.sa ?? name}
      containers:
        - name: app
          image: ambit/workload
          ${opts.command ? `command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(opts.command)}]` : ''}
          ports: [${(opts.ports ?? [8080]).map((p) => `{ containerPort: ${p} }`).join(', ')}]
`;

const service = (name: string, selector: string, ports: string): string => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NS} }
spec:
  selector: { ${selector} }
  ports: [${ports}]
`;

const CLUSTER = [
  `apiVersion: v1
kind: Namespace
metadata: { name: ${NS}, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |-
    extensionProviders:
      - name: ext-authz
        envoyExtAuthzHttp:
          service: ext-authz.${NS}.svc.cluster.local
          port: 9000
          timeout: 2s
          includeRequestHeadersInCheck: [x-ext-authz]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: ${NS}, labels: { istio.io/waypoint-for: service } }
spec:
  gatewayClassName: istio-waypoint
  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]
`,
  deployment('client', 'app: client', { node: 'node-1' }),
  deployment('intruder', 'app: intruder', { node: 'node-1' }),
  deployment('products', 'app: products', { node: 'node-2', ports: [8080, 9090] }),
  service('products', 'app: products', '{ name: http, port: 8080 }, { name: grpc, port: 9090, appProtocol: grpc }'),
  deployment('reviews-v1', 'app: reviews, version: v1', { node: 'node-2', sa: 'reviews' }),
  deployment('reviews-v2', 'app: reviews, version: v2', { node: 'node-1', sa: 'reviews' }),
  service('reviews', 'app: reviews', '{ name: http, port: 8080 }'),
  service('reviews-v1', 'app: reviews, version: v1', '{ name: http, port: 8080 }'),
  service('reviews-v2', 'app: reviews, version: v2', '{ name: http, port: 8080 }'),
  deployment('flaky-good', 'app: flaky, state: good', { node: 'node-1', sa: 'flaky' }),
  deployment('flaky-bad', 'app: flaky, state: bad', { node: 'node-2', sa: 'flaky', command: FAILING_SERVER }),
  service('flaky', 'app: flaky', '{ name: http, port: 8080 }'),
  deployment('ext-authz', 'app: ext-authz', { node: 'node-1', ports: [9000], command: EXT_AUTHZ_SERVER }),
  service('ext-authz', 'app: ext-authz', '{ name: http, port: 9000 }'),
].join('---\n');

const POLICIES = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: products-allow, namespace: ${NS} }
spec:
  targetRefs: [{ kind: Service, group: "", name: products }]
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/${NS}/sa/client"] } }]
      to: [{ operation: { methods: [GET], paths: ["/api/v1/products*"] } }]
    - from: [{ source: { principals: ["cluster.local/ns/${NS}/sa/client"] } }]
      to: [{ operation: { methods: [POST], paths: ["/ambit.workload.v1.Echo/Echo"] } }]
    - to: [{ operation: { paths: ["/api/v1/reports"] } }]
      when: [{ key: "request.headers[x-api-key]", values: ["s3cret"] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: products-deny, namespace: ${NS} }
spec:
  targetRefs: [{ kind: Service, group: "", name: products }]
  action: DENY
  rules: [{ to: [{ operation: { paths: ["/api/v1/products/secret"] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: products-ext-authz, namespace: ${NS} }
spec:
  targetRefs: [{ kind: Service, group: "", name: products }]
  action: CUSTOM
  provider: { name: ext-authz }
  rules: [{ to: [{ operation: { paths: ["/api/v1/products/guarded"] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: products-only-from-waypoint, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: products } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/${NS}/sa/waypoint"] } }] }]
`;

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews-canary, namespace: ${NS} }
spec:
  parentRefs: [{ group: "", kind: Service, name: reviews, port: 8080 }]
  rules:
    - backendRefs:
        - { name: reviews-v1, port: 8080, weight: 90 }
        - { name: reviews-v2, port: 8080, weight: 10 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: products-slow, namespace: ${NS} }
spec:
  parentRefs: [{ group: "", kind: Service, name: products, port: 8080 }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /api/v1/products/slow } }]
      timeouts: { request: 300ms }
      backendRefs: [{ name: products, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /api/v1/products/legacy } }]
      filters: [{ type: RequestRedirect, requestRedirect: { hostname: shop.example.com, statusCode: 301 } }]
`;

interface Status {
  pods: PodStatusEntry[];
  services: Array<{ namespace: string; name: string; clusterIP: string }>;
}

describe('waypoint: L7 policy, routing and identity through ztunnel -> waypoint -> ztunnel', () => {
  let dir: string;
  let status: Status;
  const pod = (name: string): PodStatusEntry => {
    const found = status.pods.find((p) => p.namespace === NS && p.name.startsWith(`${name}-`));
    assert.ok(found, `pod ${name} not found`);
    return found;
  };
  const http = (path: string, method = 'GET', headers: Record<string, string> = {}, to = `products.${NS}:8080`): ProbeSpec => ({ to, protocol: 'TCP', timeoutMs: TIMEOUT_MS, http: { path, method, headers } });
  const grpc = (path: string): ProbeSpec => ({ to: `products.${NS}:9090`, protocol: 'TCP', timeoutMs: TIMEOUT_MS, grpc: true, http: { path, method: 'POST', headers: {} } });
  const run = async (from: string, spec: ProbeSpec): Promise<ProbeResult> => {
    const [result] = await probeFromPod(pod(from), [spec]);
    assert.ok(result, 'no probe result');
    return result;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-wp-'));
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(join(dir, 'policies.yaml'), POLICIES);
    await writeFile(join(dir, 'routes.yaml'), ROUTES);
    const up = await ambit(['lab', 'up', '--name', LAB, '--nodes', '2', '-f', join(dir, 'cluster.yaml')]);
    assert.equal(up.code, 0, `lab up failed: ${up.stderr}`);
    const applied = await ambit(['lab', 'apply', '--name', LAB, '-f', join(dir, 'policies.yaml'), '-f', join(dir, 'routes.yaml')]);
    assert.equal(applied.code, 0, `apply failed: ${applied.stderr}`);
    status = await ambitJson<Status>(['lab', 'status', '--name', LAB, '-o', 'json']);
    // The waypoint is in the path once a request only it can refuse is refused.
    await waitFor(async () => (await run('client', http('/api/v1/admin', 'POST'))).status === 403, { timeoutMs: 60_000, intervalMs: 250, what: 'the waypoint to enforce its policy' });
  });

  after(async () => {
    const down = await ambit(['lab', 'down', '--name', LAB]);
    await rm(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(LAB), []);
  });

  test('ALLOW by principal, method and path; everything else 403', async () => {
    assert.equal((await run('client', http('/api/v1/products'))).status, 200);
    assert.equal((await run('client', http('/api/v1/products/42'))).status, 200);
    assert.equal((await run('client', http('/api/v1/admin', 'POST'))).status, 403);
    assert.equal((await run('client', http('/api/v1/products', 'DELETE'))).status, 403, 'method not allowed');
    assert.equal((await run('intruder', http('/api/v1/products'))).status, 403, 'principal not allowed');
  });

  test('a header rule admits any principal that carries the key', async () => {
    assert.equal((await run('intruder', http('/api/v1/reports', 'GET', { 'x-api-key': 's3cret' }))).status, 200);
    assert.equal((await run('intruder', http('/api/v1/reports', 'GET', { 'x-api-key': 'wrong' }))).status, 403);
  });

  test('DENY is evaluated before ALLOW; paths are normalised before matching', async () => {
    assert.equal((await run('client', http('/api/v1/products/secret'))).status, 403);
    assert.equal((await run('client', http('/api/v1/products/x/../secret'))).status, 403);
  });

  test('gRPC: the allowed method answers, another gets PERMISSION_DENIED (7)', async () => {
    assert.equal((await run('client', grpc('/ambit.workload.v1.Echo/Echo'))).status, 0);
    assert.equal((await run('client', grpc('/ambit.workload.v1.Echo/Admin'))).status, 7);
  });

  test('CUSTOM: the ext-authz provider decides requests its rules select', async () => {
    assert.equal((await run('client', http('/api/v1/products/guarded', 'GET', { 'x-ext-authz': 'allow' }))).status, 200);
    assert.equal((await run('client', http('/api/v1/products/guarded'))).status, 403);
  });

  test('the server ztunnel admits the waypoint identity and refuses a pod bypassing the waypoint', async () => {
    const through = await run('client', http('/api/v1/products'));
    assert.equal(through.status, 200);
    assert.equal(through.server, `${NS}/${pod('products').name}`);
    const direct = await run('client', { to: `${pod('products').ip}:8080`, protocol: 'TCP', timeoutMs: 2000, http: { path: '/api/v1/products', method: 'GET', headers: {} } });
    assert.equal(direct.connected, false, `a direct call must be refused by the server's ztunnel, got ${JSON.stringify(direct)}`);
  });

  test('HTTPRoute 90/10 split over 1,000 requests lands inside the 99.9% binomial interval', async () => {
    const specs = Array.from({ length: 1000 }, () => http('/', 'GET', {}, `reviews.${NS}:8080`));
    const results = await probeFromPod(pod('client'), specs);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1000, `every request answered: ${JSON.stringify(results.find((r) => r.status !== 200))}`);
    const v2 = ok.filter((r) => r.server?.startsWith(`${NS}/reviews-v2`)).length;
    // n=1000, p=0.1: sd = sqrt(1000*0.1*0.9) = 9.49; 99.9% two-sided z = 3.29 -> 100 +/- 31.2.
    assert.ok(v2 >= 69 && v2 <= 131, `reviews-v2 served ${v2} of 1000 (expected 69..131)`);
    assert.equal(ok.length - v2, ok.filter((r) => r.server?.startsWith(`${NS}/reviews-v1`)).length);
  });

  test('retries recover from an endpoint that always fails', async () => {
    const results = await probeFromPod(pod('client'), Array.from({ length: 50 }, () => http('/', 'GET', {}, `flaky.${NS}:8080`)));
    const statuses = results.map((r) => r.status);
    assert.deepEqual([...new Set(statuses)], [200], `statuses seen: ${JSON.stringify(statuses)}`);
  });

  test('outlier detection (DestinationRule) ejects the failing endpoint', async () => {
    const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: flaky, namespace: ${NS} }
spec:
  host: flaky
  trafficPolicy:
    outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100 }
`;
    await writeFile(join(dir, 'flaky-dr.yaml'), rule);
    const applied = await ambit(['lab', 'apply', '--name', LAB, '-f', join(dir, 'flaky-dr.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    const waypoint = status.pods.find((p) => p.namespace === NS && p.name.startsWith('waypoint'));
    assert.ok(waypoint, 'waypoint pod listed');
    const bad = pod('flaky-bad');
    const ejected = async (): Promise<boolean> => {
      const dump = JSON.parse(await commandOutput('ip', ['netns', 'exec', waypoint.netns, 'curl', '-s', '--max-time', '5', 'http://127.0.0.1:15000/config_dump'])) as {
        clusters: Array<{ resource: { name: string; outlier_detection: unknown }; runtime: { endpoints: Array<{ ip: string; ejectedUntil?: number | null }> } }>;
      };
      const cluster = dump.clusters.find((c) => c.resource.name === `outbound|8080||flaky.${NS}.svc.cluster.local`);
      if (!cluster?.resource.outlier_detection) return false;
      return cluster.runtime.endpoints.some((e) => e.ip === bad.ip && typeof e.ejectedUntil === 'number' && e.ejectedUntil > Date.now());
    };
    // Requests until the 503 from the bad endpoint has been seen once (bounded); retries hide it.
    await waitFor(
      async () => {
        const results = await probeFromPod(pod('client'), Array.from({ length: 10 }, () => http('/', 'GET', {}, `flaky.${NS}:8080`)));
        assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
        return ejected();
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the failing endpoint to be ejected' },
    );
    const after = await probeFromPod(pod('client'), Array.from({ length: 20 }, () => http('/', 'GET', {}, `flaky.${NS}:8080`)));
    assert.deepEqual(new Set(after.map((r) => r.server)), new Set([`${NS}/${pod('flaky-good').name}`]), 'only the healthy endpoint serves while the other is ejected');
  });

  test('a RequestRedirect route is answered by the waypoint with its status', async () => {
    assert.equal((await run('client', http('/api/v1/products/legacy/7'))).status, 301);
  });

  test('a route timeout answers 504', async () => {
    const started = performance.now();
    const slow = await run('client', http('/api/v1/products/slow?delayMs=3000'));
    assert.equal(slow.status, 504);
    assert.ok(performance.now() - started < 2500, 'answered at the route timeout, not after the backend');
    assert.equal((await run('client', http('/api/v1/products/slow?delayMs=10'))).status, 200);
  });

  test('the waypoint reports Istio request metrics', async () => {
    const waypoint = status.pods.find((p) => p.namespace === NS && p.name.startsWith('waypoint'));
    assert.ok(waypoint, 'waypoint pod listed');
    const text = await commandOutput('ip', ['netns', 'exec', waypoint.netns, 'curl', '-s', '--max-time', '5', 'http://127.0.0.1:15020/metrics']);
    const line = text.split('\n').find((l) => l.startsWith('istio_requests_total{') && l.includes('response_code="403"') && l.includes('reporter="waypoint"'));
    assert.ok(line, 'istio_requests_total has 403s reported by the waypoint');
    assert.match(line, new RegExp(`source_principal="spiffe://cluster.local/ns/${NS}/sa/client"`));
    assert.match(text, /istio_request_duration_milliseconds_bucket\{/);
  });
});
