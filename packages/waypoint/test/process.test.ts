// The waypoint as the lab runs it: `src/main.ts` as a process, configured by environment, against
// the real control plane process (its CA and Delta ADS over TLS with a node credential). A client
// sends HBONE to the waypoint; the request reaches a backend HBONE server holding the backend
// pod's certificate from the same CA. Checks: readiness, the backend sees the waypoint's identity,
// a Gateway-targeted DENY policy answers 403, /config_dump shows the resources and no NACK,
// SIGTERM ends the process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueNodeCredentials, waitFor } from '@ambit/core';
import { createHboneServer, HbonePool, type HboneCredentials, type HboneServer } from '@ambit/hbone';
import { CaClient, caChannelCredentials } from '@ambit/identity';
import { istioIdentity } from '@ambit/spiffe';
import { h1Request } from './harness.ts';

const REPO = new URL('../../../', import.meta.url).pathname;
const WAYPOINT_ID = istioIdentity('cluster.local', 'shop', 'waypoint');
const WEB_ID = istioIdentity('cluster.local', 'shop', 'web');
const CLIENT_ID = istioIdentity('cluster.local', 'shop', 'client');
/** The endpoint metadata names HBONE port 15008 (ADR 0007): the backend's HBONE server takes it on 127.0.0.1. */
const BACKEND_HBONE_PORT = 15008;

const CONFIG: Record<string, string> = {
  'namespace.yaml': `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
`,
  'gateway.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: shop }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
`,
  'waypoint-pod.yaml': `apiVersion: v1
kind: Pod
metadata: { name: waypoint-0, namespace: shop, labels: { gateway.networking.k8s.io/gateway-name: waypoint, istio.io/dataplane-mode: none } }
spec: { nodeName: node-1, serviceAccountName: waypoint, containers: [{ name: istio-proxy, image: x }] }
status: { podIP: 127.0.0.1, conditions: [{ type: Ready, status: "True" }] }
`,
  'web-service.yaml': `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.20, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
`,
  'client-pod.yaml': `apiVersion: v1
kind: Pod
metadata: { name: client-0, namespace: shop, labels: { app: client } }
spec: { nodeName: node-1, serviceAccountName: client, containers: [{ name: c, image: x }] }
status: { podIP: 127.0.0.3, conditions: [{ type: Ready, status: "True" }] }
`,
  'mesh-config.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |-
    extensionProviders:
      - name: ext-authz
        envoyExtAuthzHttp:
          service: ext-authz.shop.svc.cluster.local
          port: 9000
          timeout: 2s
          includeRequestHeadersInCheck: [x-ext-authz]
`,
  'istio-system.yaml': `apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
`,
  'ext-authz-service.yaml': `apiVersion: v1
kind: Service
metadata: { name: ext-authz, namespace: shop }
spec: { clusterIP: 10.96.0.30, selector: { app: ext-authz }, ports: [{ name: http, port: 9000, targetPort: http }] }
`,
  'custom.yaml': `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: guarded, namespace: shop }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: CUSTOM
  provider: { name: ext-authz }
  rules: [{ to: [{ operation: { paths: ["/guarded"] } }] }]
`,
  'deny-admin.yaml': `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-admin, namespace: shop }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: DENY
  rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }]
`,
};

/** A pod on 127.0.0.1 (every backend shares the one HBONE server, so they share the web identity too). */
function pod(name: string, app: string, port: number): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: shop, labels: { app: ${app} } }
spec: { nodeName: node-1, serviceAccountName: web, containers: [{ name: c, image: x, ports: [{ name: http, containerPort: ${port} }] }] }
status: { podIP: 127.0.0.1, conditions: [{ type: Ready, status: "True" }] }
`;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function start(main: string, env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(REPO, main)], { env: { ...process.env, ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (child === undefined || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      })
      .once('error', reject);
  });
}

let dir: string;
let controlPlane: ChildProcess | undefined;
let waypoint: ChildProcess | undefined;
let backendHbone: HboneServer | undefined;
let backendHttp: http.Server | undefined;
let extAuthz: http.Server | undefined;
const seen: Array<{ path: string; peer: string }> = [];
const logs: string[] = [];
const ports = { xds: 0, plain: 0, monitoring: 0, hbone: 0, admin: 0, metrics: 0, readiness: 0 };
let clientCredentials: HboneCredentials;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ambit-waypoint-process-'));
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
  // The backend: a local HTTP/1.1 server (the web pod's port 'http') behind its HBONE server on 15008.
  const peers = new Map<number, string>();
  backendHttp = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', peer: peers.get(req.socket.remotePort ?? 0) ?? 'unknown' });
    res.end(`web ${req.url ?? ''}`);
  });
  backendHttp.listen(0, '127.0.0.1');
  await once(backendHttp, 'listening');
  const webPort = (backendHttp.address() as AddressInfo).port;
  // Envoy's HTTP check protocol: 200 when the check carries x-ext-authz: allow.
  extAuthz = http.createServer((req, res) => {
    const ok = req.headers['x-ext-authz'] === 'allow';
    res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
    res.end(ok ? '' : 'denied by ext-authz');
  });
  extAuthz.listen(0, '127.0.0.1');
  await once(extAuthz, 'listening');
  const extAuthzPort = (extAuthz.address() as AddressInfo).port;

  await mkdir(join(dir, 'config'));
  for (const [name, text] of Object.entries({ ...CONFIG, 'web-pod.yaml': pod('web-0', 'web', webPort), 'ext-authz-pod.yaml': pod('ext-authz-0', 'ext-authz', extAuthzPort) })) await writeFile(join(dir, 'config', name), text);
  const creds = await issueNodeCredentials(join(dir, 'creds'), ['node-1']);
  const tokenFile = creds.tokenFiles['node-1'] as string;
  const caDir = join(dir, 'ca');
  controlPlane = start('packages/control-plane/src/main.ts', {
    CONFIG_DIR: join(dir, 'config'),
    CA_DIR: caDir,
    NODE_CREDENTIALS: creds.nodesFile,
    LISTEN_HOST: '127.0.0.1',
    XDS_TLS_PORT: String(ports.xds),
    XDS_PLAINTEXT_PORT: String(ports.plain),
    MONITORING_PORT: String(ports.monitoring),
    SERVER_ADDRESSES: '127.0.0.1',
  }, logs);
  const rootFile = join(caDir, 'trust-bundle.pem');
  await waitFor(() => existsSync(rootFile) && readFileSync(rootFile, 'utf8').includes('BEGIN CERTIFICATE'), { timeoutMs: 30_000, what: 'the control plane trust bundle' });
  const roots = readFileSync(rootFile, 'utf8');

  // Certificates for the backend and client pods from the same CA, with the node's credential.
  const channel = caChannelCredentials(roots, { trustDomain: 'cluster.local' });
  const ca = new CaClient({ address: `127.0.0.1:${ports.xds}`, credentials: channel.credentials, channelOptions: channel.channelOptions, token: () => readFileSync(tokenFile, 'utf8'), nodeIdentity: istioIdentity('cluster.local', 'istio-system', 'ztunnel') });
  try {
    const web = await waitFor(() => ca.request(WEB_ID, 3600).catch(() => undefined), { timeoutMs: 30_000, what: 'the web certificate' });
    const client = await ca.request(CLIENT_ID, 3600);
    clientCredentials = client;
    backendHbone = createHboneServer({
      credentials: web,
      onConnect: async (request, peer) => {
        const socket = net.connect({ host: '127.0.0.1', port: request.target.port });
        socket.on('error', () => {});
        await once(socket, 'connect');
        peers.set(socket.localPort ?? 0, peer.identity);
        return { status: 200, upstream: socket };
      },
    });
    await backendHbone.listen({ host: '127.0.0.1', port: BACKEND_HBONE_PORT });
  } finally {
    ca.close();
  }

  waypoint = start('packages/waypoint/src/main.ts', {
    NODE_NAME: 'node-1',
    POD_NAME: 'waypoint-0',
    POD_NAMESPACE: 'shop',
    POD_IP: '127.0.0.1',
    SERVICE_ACCOUNT: 'waypoint',
    GATEWAY_NAME: 'waypoint',
    XDS_ADDRESS: `127.0.0.1:${ports.xds}`,
    ROOT_CA: rootFile,
    TOKEN_FILE: tokenFile,
    LISTEN_HOST: '127.0.0.1',
    HBONE_PORT: String(ports.hbone),
    ADMIN_PORT: String(ports.admin),
    METRICS_PORT: String(ports.metrics),
    READINESS_PORT: String(ports.readiness),
    DRAIN_MS: '500',
  }, logs);
  await waitFor(() => get(ports.readiness, '/healthz/ready').then((r) => r.status === 200, () => false), { timeoutMs: 30_000, what: 'waypoint readiness' });
});

after(async () => {
  await stop(waypoint);
  await stop(controlPlane);
  await backendHbone?.close({ drainMs: 0 });
  for (const server of [backendHttp, extAuthz]) {
    server?.closeAllConnections();
    server?.close();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the waypoint process serves HTTP from the control plane resources, with its own identity upstream', async () => {
  const pool = new HbonePool({ connectTimeoutMs: 5000 });
  try {
    const connect = () =>
      pool.connect({
        key: { sourceIdentity: CLIENT_ID, destinationIdentities: [WAYPOINT_ID], sourceIp: '127.0.0.1', destinationIp: '127.0.0.1' },
        dial: async () => {
          const socket = net.connect({ host: '127.0.0.1', port: ports.hbone });
          socket.on('error', () => {});
          await once(socket, 'connect');
          return socket as Socket;
        },
        credentials: clientCredentials,
        authority: '10.96.0.20:80',
      });
    const ok = await h1Request(await connect(), { path: '/hello' });
    assert.equal(ok.status, 200, logs.join(''));
    assert.equal(ok.body, 'web /hello');
    assert.deepEqual(seen.at(-1), { path: '/hello', peer: WAYPOINT_ID });
    const denied = await h1Request(await connect(), { path: '/admin/x' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'RBAC: access denied');
    const allowed = await h1Request(await connect(), { path: '/guarded', headers: { 'x-ext-authz': 'allow' } });
    assert.equal(allowed.status, 200, logs.join(''));
    const refused = await h1Request(await connect(), { path: '/guarded' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body, 'denied by ext-authz');
  } finally {
    await pool.close();
  }
  const dump = JSON.parse((await get(ports.admin, '/config_dump')).body) as { ready: boolean; listener: { name: string }; xds: { types: Array<{ rejected: number; lastNack?: string }> }; certificates: Array<{ identity: string; state: string }> };
  assert.equal(dump.ready, true);
  assert.equal(dump.listener.name, 'shop/waypoint');
  assert.deepEqual(dump.xds.types.map((t) => t.lastNack ?? ''), ['', '', '', '']);
  assert.deepEqual(dump.certificates.map((c) => [c.identity, c.state]), [[WAYPOINT_ID, 'available']]);
  const metrics = (await get(ports.metrics, '/metrics')).body;
  assert.match(metrics, /istio_requests_total\{[^}]*response_code="403"[^}]*\} 1/);
});

test('SIGTERM: the waypoint drains and exits 0', async () => {
  assert.equal(await stop(waypoint), 0);
});
