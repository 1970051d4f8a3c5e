// The waypoint's HTTP machinery end to end on 127.0.0.1, real certificates and real HBONE on both
// hops, configured with Envoy resources encoded and decoded as the control plane sends them, and
// the real authorization and routing parts. Expected values come from ADR 0007 and Envoy/Istio
// behaviour (403 `RBAC: access denied`, gRPC trailers-only status 7, 503 for an unknown VIP).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { HbonePool, HboneRefusedError, type HboneCredentials } from '@ambit/hbone';
import { CertificateAuthority } from '@ambit/spiffe';
import { TYPE_URL } from '@ambit/xds-types';
import { waitFor, type Logger } from '@ambit/core';
import { WAYPOINT_PARTS } from '../src/parts.ts';
import { BACKEND_ID, CLIENT_ID, WAYPOINT_ID, TD, grpcFrame, h1Request, h2Request, issue, startBackend, startWaypoint, tunnel, type Backend, type WaypointUnderTest } from './harness.ts';
import { assignment, cluster, listener, outbound, routeConfiguration, type ChainSpec } from './resources.ts';

const ECHO = 'echo.default.svc.cluster.local';
const GRPC = 'grpc.default.svc.cluster.local';
const TCP = 'tcp.default.svc.cluster.local';
const EMPTY = 'empty.default.svc.cluster.local';
const AUTHORIZER = 'ext-authz.default.svc.cluster.local';
const REWRITE = 'rewrite.default.svc.cluster.local';
const CHAINS: ChainSpec[] = [
  { host: ECHO, vip: '10.96.0.10', port: 80, denyPrefixes: { 'ns[default]-policy[deny-admin]-rule[0]': ['/admin'] }, extAuthz: { cluster: outbound(AUTHORIZER, 9000), prefixes: ['/ext'] } },
  { host: GRPC, vip: '10.96.0.11', port: 9090, denyPrefixes: { 'ns[default]-policy[deny-forbidden]-rule[0]': ['/echo.Echo/Forbidden'] } },
  { host: TCP, vip: '10.96.0.12', port: 7000, tcp: true },
  { host: EMPTY, vip: '10.96.0.13', port: 80 },
  { host: REWRITE, vip: '10.96.0.20', port: 80 },
];

/**
 * HTTPRoute URLRewrite and RequestRedirect as the control plane encodes them: a prefix rewrite
 * with a host rewrite, the slash-keeping regex_rewrite for ReplacePrefixMatch `/`, and a redirect.
 * Every route sends to the echo backend's cluster, so no cluster or endpoints are added.
 */
function rewriteRoutes(): object {
  const name = `${REWRITE}:80`;
  const cluster = outbound(ECHO, 80);
  const none = { seconds: '0', nanos: 0 };
  return {
    name,
    virtual_hosts: [{
      name,
      domains: ['*'],
      routes: [
        { name: 'default.rw.0.0', match: { path_separated_prefix: '/old' }, route: { cluster, timeout: none, prefix_rewrite: '/new', host_rewrite_literal: 'rewritten.example.com' } },
        { name: 'default.rw.1.0', match: { path_separated_prefix: '/strip' }, route: { cluster, timeout: none, regex_rewrite: { pattern: { regex: '^/strip(/|$)(.*)' }, substitution: '/\\2' } } },
        { name: 'default.rd.0.0', match: { path_separated_prefix: '/moved' }, redirect: { host_redirect: 'www.example.com', prefix_rewrite: '/here', response_code: 'FOUND' } },
        { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: none } },
      ],
    }],
  };
}

let backend: Backend;
let waypoint: WaypointUnderTest;
let clientCredentials: HboneCredentials;
const pool = new HbonePool({ connectTimeoutMs: 5000 });
const accessLines: Array<Record<string, unknown>> = [];
const accessLog: Logger = {
  debug: () => {},
  info: (fields) => accessLines.push(fields),
  warn: () => {},
  error: () => {},
  child: () => accessLog,
};

before(async () => {
  const ca = await CertificateAuthority.createSelfSigned({ trustDomain: TD, commonName: 'waypoint test root' });
  clientCredentials = await issue(ca, CLIENT_ID);
  backend = await startBackend(await issue(ca, BACKEND_ID));
  waypoint = await startWaypoint(await issue(ca, WAYPOINT_ID), WAYPOINT_PARTS, accessLog);
  const xds = waypoint.xds;
  xds.push(TYPE_URL.listener, [listener('default/waypoint', CHAINS)]);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(ECHO, 80, { '/slow': 300 }), routeConfiguration(GRPC, 9090, { '/echo.Echo/Slow': 300 }), routeConfiguration(EMPTY, 80), rewriteRoutes()]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(ECHO, 80)), cluster(outbound(GRPC, 9090)), cluster(outbound(TCP, 7000)), cluster(outbound(EMPTY, 80)), cluster(outbound(AUTHORIZER, 9000))]);
  const hbone = { identity: BACKEND_ID, port: backend.hbonePort };
  xds.push(TYPE_URL.clusterLoadAssignment, [
    assignment(outbound(ECHO, 80), [{ ip: '127.0.0.1', port: backend.http1Port, hbone }]),
    assignment(outbound(GRPC, 9090), [{ ip: '127.0.0.1', port: backend.h2Port, hbone }]),
    assignment(outbound(TCP, 7000), [{ ip: '127.0.0.1', port: backend.tcpEchoPort, hbone }]),
    assignment(outbound(EMPTY, 80), []),
    assignment(outbound(AUTHORIZER, 9000), [{ ip: '127.0.0.1', port: backend.extAuthzPort, hbone }]),
  ]);
  assert.deepEqual(xds.rejected, []);
});

after(async () => {
  await pool.close();
  await waypoint?.close();
  await backend?.close();
});

test('subscriptions follow references in Envoy order: LDS -> RDS -> CDS -> EDS, by name', () => {
  const xds = waypoint.xds;
  assert.deepEqual(xds.subscribed(TYPE_URL.listener), ['default/waypoint']);
  assert.deepEqual(xds.subscribed(TYPE_URL.routeConfiguration), [`${ECHO}:80`, `${EMPTY}:80`, `${GRPC}:9090`, `${REWRITE}:80`]);
  // The ext_authz filter's server_uri.cluster and the tcp_proxy's cluster come from the Listener itself.
  const clusters = [outbound(ECHO, 80), outbound(EMPTY, 80), outbound(GRPC, 9090), outbound(TCP, 7000), outbound(AUTHORIZER, 9000)].sort();
  assert.deepEqual(xds.subscribed(TYPE_URL.cluster), clusters);
  assert.deepEqual(xds.subscribed(TYPE_URL.clusterLoadAssignment), clusters);
  assert.equal(waypoint.config.ready(), true);
});

test('HTTP/1.1 through two HBONE hops: the backend sees the waypoint identity, a request id, a trace and x-forwarded-proto', async () => {
  const before = backend.seen.length;
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/hello?x=1' });
  assert.equal(response.status, 200);
  assert.equal(response.body, 'hello GET /hello?x=1 ');
  assert.equal(response.headers['x-backend'], 'h1');
  const seen = backend.seen[before];
  assert.ok(seen);
  assert.equal(seen.peer, WAYPOINT_ID);
  assert.match(String(seen.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(String(seen.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['host'], 'echo.default.svc.cluster.local');
});

test('a client x-request-id and traceparent are propagated unchanged; hop-by-hop headers are not', async () => {
  const before = backend.seen.length;
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), {
    method: 'POST',
    path: '/submit',
    headers: { 'x-request-id': 'req-123', traceparent, connection: 'close, x-hop', 'x-hop': 'secret', 'content-type': 'text/plain' },
    body: 'payload',
  });
  assert.equal(response.status, 200);
  assert.equal(response.body, 'hello POST /submit payload');
  const seen = backend.seen[before];
  assert.equal(seen?.headers['x-request-id'], 'req-123');
  assert.equal(seen?.headers['traceparent'], traceparent);
  assert.equal(seen?.headers['x-hop'], undefined);
});

test('Expect: 100-continue (curl sends it for bodies over 1 KiB): the waypoint answers 100 and forwards the body without the header', async () => {
  const before = backend.seen.length;
  const body = 'x'.repeat(4096);
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { method: 'PUT', path: '/upload', headers: { expect: '100-continue', 'content-type': 'text/plain' }, body });
  assert.equal(response.status, 200);
  assert.equal(response.body, `hello PUT /upload ${body}`);
  assert.equal(backend.seen[before]?.headers['expect'], undefined);
});

test('an RBAC DENY policy answers 403 RBAC: access denied, and the path is normalised before it is judged', async () => {
  const before = backend.seen.length;
  for (const path of ['/admin/users', '/public/../admin/users', '/%61dmin']) {
    const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path });
    assert.equal(response.status, 403, path);
    assert.equal(response.body, 'RBAC: access denied');
    assert.equal(response.headers['content-type'], 'text/plain');
  }
  assert.equal(backend.seen.length, before, 'a denied request never reaches the backend');
});

test('gRPC over h2c: trailers pass through, the backend sees the waypoint identity', async () => {
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.11:9090');
  const session = http2.connect('http://10.96.0.11:9090', { createConnection: () => stream as unknown as Socket });
  try {
    const before = backend.seen.length;
    const message = grpcFrame('ping');
    const response = await h2Request(session, { ':method': 'POST', ':path': '/echo.Echo/Say', 'content-type': 'application/grpc', te: 'trailers', 'x-request-id': 'grpc-ok' }, message);
    assert.equal(response.headers[':status'], 200);
    assert.equal(response.headers['content-type'], 'application/grpc');
    assert.deepEqual(response.body, message);
    assert.equal(response.trailers['grpc-status'], '0');
    assert.equal(response.trailers['x-trailer'], 'kept');
    const seen = backend.seen[before];
    assert.equal(seen?.peer, WAYPOINT_ID);
    assert.equal(seen?.headers['te'], 'trailers');
    assert.equal(seen?.headers['x-request-id'], 'grpc-ok');
    await waitFor(() => accessLines.find((l) => l['x_request_id'] === 'grpc-ok'), { timeoutMs: 5000, what: 'the access log line' });
    const log = accessLines.find((l) => l['x_request_id'] === 'grpc-ok');
    assert.equal(log?.['response_flags'], '-');
    assert.equal(log?.['grpc_status'], '0');
    assert.equal(log?.['protocol'], 'HTTP/2');
    const metrics = await waypoint.registry.getSingleMetricAsString('istio_requests_total');
    assert.match(metrics, /istio_requests_total\{[^}]*destination_service="grpc\.default\.svc\.cluster\.local"[^}]*request_protocol="grpc"[^}]*grpc_response_status="0"[^}]*\} 1/);
  } finally {
    session.destroy();
  }
});

test('a denied gRPC call is a trailers-only response: HTTP 200, grpc-status 7', async () => {
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.11:9090');
  const session = http2.connect('http://10.96.0.11:9090', { createConnection: () => stream as unknown as Socket });
  try {
    const response = await h2Request(session, { ':method': 'POST', ':path': '/echo.Echo/Forbidden', 'content-type': 'application/grpc', te: 'trailers' }, grpcFrame('x'));
    assert.equal(response.headers[':status'], 200);
    assert.equal(response.headers['grpc-status'], '7');
    assert.equal(response.headers['grpc-message'], 'RBAC: access denied');
    assert.equal(response.body.length, 0);
  } finally {
    session.destroy();
  }
});

test('a policy change applies to the next request on an open connection', async () => {
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80');
  const session = http2.connect('http://10.96.0.10:80', { createConnection: () => stream as unknown as Socket });
  try {
    // h2c to the HTTP/1.1 backend is not possible, so the chain is judged by its authz answer only.
    const denied = await h2Request(session, { ':method': 'GET', ':path': '/admin' });
    assert.equal(denied.headers[':status'], 403);
    waypoint.xds.push(TYPE_URL.listener, [listener('default/waypoint', CHAINS.map((c) => (c.host === ECHO ? { ...c, denyPrefixes: { 'ns[default]-policy[deny-other]-rule[0]': ['/other'] } } : c)))]);
    const now = await h2Request(session, { ':method': 'GET', ':path': '/other' });
    assert.equal(now.headers[':status'], 403);
    assert.notEqual((await h2Request(session, { ':method': 'GET', ':path': '/admin' })).headers[':status'], 403);
  } finally {
    session.destroy();
    waypoint.xds.push(TYPE_URL.listener, [listener('default/waypoint', CHAINS)]);
  }
});

test('a CONNECT to a VIP:port no filter chain matches is refused with 503', async () => {
  await assert.rejects(tunnel(pool, clientCredentials, waypoint.port, '10.96.0.99:80'), (error: unknown) => error instanceof HboneRefusedError && error.status === 503);
  const metrics = await waypoint.registry.getSingleMetricAsString('ambit_waypoint_connect_refused_total');
  assert.match(metrics, /ambit_waypoint_connect_refused_total\{reason="no_filter_chain"\} [1-9]/);
});

test('a cluster without endpoints answers 503 UH; for gRPC grpc-status 14', async () => {
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.13:80'), { path: '/' });
  assert.equal(response.status, 503);
  assert.equal(accessLines.at(-1)?.['response_flags'], 'UH');
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.13:80');
  const session = http2.connect('http://10.96.0.13:80', { createConnection: () => stream as unknown as Socket });
  try {
    const grpc = await h2Request(session, { ':method': 'POST', ':path': '/echo.Echo/Say', 'content-type': 'application/grpc' }, grpcFrame('x'));
    assert.equal(grpc.headers[':status'], 200);
    assert.equal(grpc.headers['grpc-status'], '14');
  } finally {
    session.destroy();
  }
});

test('a tcp_proxy chain relays bytes to an endpoint of its cluster over HBONE', async () => {
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.12:7000');
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.write('ping over tcp');
  const deadline = Date.now() + 5000;
  while (Buffer.concat(chunks).toString() !== 'ping over tcp' && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(Buffer.concat(chunks).toString(), 'ping over tcp');
  stream.end();
  // The connection's metrics and log line are written when the HBONE stream closes.
  const line = await waitFor(() => accessLines.find((l) => l['protocol'] === 'tcp'), { timeoutMs: 5000, what: 'the TCP access log line' });
  assert.equal(line['upstream_cluster'], outbound(TCP, 7000));
  assert.equal(line['source_principal'], CLIENT_ID);
  assert.equal(line['upstream_peer_principal'], BACKEND_ID);
  assert.equal(line['bytes_received'], 'ping over tcp'.length);
  assert.equal(line['bytes_sent'], 'ping over tcp'.length);
  const received = await waypoint.registry.getSingleMetricAsString('istio_tcp_received_bytes_total');
  assert.match(received, new RegExp(`istio_tcp_received_bytes_total\\{[^}]*destination_service="${TCP.replaceAll('.', '\\.')}"[^}]*request_protocol="tcp"[^}]*\\} ${'ping over tcp'.length}`));
});

test('istio_requests_total and the access log describe each request with Istio labels', async () => {
  await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/status/418', headers: { 'x-request-id': 'metrics-1' } });
  const text = await waypoint.registry.getSingleMetricAsString('istio_requests_total');
  const line = text.split('\n').find((l) => l.includes('response_code="418"'));
  assert.ok(line, text);
  for (const label of [
    'reporter="waypoint"',
    `source_principal="${CLIENT_ID}"`,
    'source_workload_namespace="default"',
    `destination_principal="${BACKEND_ID}"`,
    `destination_service="${ECHO}"`,
    'destination_service_name="echo"',
    'destination_service_namespace="default"',
    'request_protocol="http"',
    'response_flags="-"',
    'connection_security_policy="mutual_tls"',
  ]) {
    assert.ok(line.includes(label), `${label} in ${line}`);
  }
  const log = accessLines.find((l) => l['x_request_id'] === 'metrics-1');
  assert.equal(log?.['response_code'], 418);
  assert.equal(log?.['method'], 'GET');
  assert.equal(log?.['path'], '/status/418');
  assert.equal(log?.['upstream_cluster'], outbound(ECHO, 80));
  assert.equal(log?.['upstream_host'], `127.0.0.1:${backend.http1Port}`);
  assert.equal(log?.['source_principal'], CLIENT_ID);
});

test('CUSTOM: ext_authz is asked only for matching paths, through HBONE; allow adds its upstream and client headers, deny answers its status and body (UAEX)', async () => {
  const checks = backend.checks.length;
  const seen = backend.seen.length;
  const plain = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/plain' });
  assert.equal(plain.status, 200);
  assert.equal(backend.checks.length, checks, 'no CUSTOM rule matched: the provider is not called');

  const allowed = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/ext/item', headers: { 'x-ext-authz': 'allow' } });
  assert.equal(allowed.status, 200);
  const check = backend.checks[checks];
  assert.equal(check?.peer, WAYPOINT_ID);
  assert.equal(check?.path, '/ext/item');
  assert.equal(check?.headers['host'], 'echo.default.svc.cluster.local');
  assert.equal(backend.seen.at(-1)?.headers['x-ext-authz-check-result'], 'allowed');
  assert.equal(allowed.headers['x-ext-authz-check-result'], 'allowed', 'allowed_client_headers_on_success reaches the client');
  assert.ok(backend.seen.length > seen);

  const denied = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/ext/item', headers: { 'x-request-id': 'ext-denied' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, 'denied by ext-authz');
  assert.equal(denied.headers['x-ext-authz-check-result'], 'denied');
  assert.equal(accessLines.find((l) => l['x_request_id'] === 'ext-denied')?.['response_flags'], 'UAEX');
});

test('URLRewrite: the backend gets the rewritten path (query kept) and host; ReplacePrefixMatch / keeps one slash', async () => {
  const seen = backend.seen.length;
  const rewritten = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.20:80'), { path: '/old/item?x=1', headers: { host: REWRITE } });
  assert.equal(rewritten.status, 200);
  assert.equal(rewritten.body, 'hello GET /new/item?x=1 ');
  assert.equal(backend.seen[seen]?.path, '/new/item?x=1');
  assert.equal(backend.seen[seen]?.headers['host'], 'rewritten.example.com');

  const stripped = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.20:80'), { path: '/strip/a/b', headers: { host: REWRITE } });
  assert.equal(stripped.status, 200);
  assert.equal(backend.seen[seen + 1]?.path, '/a/b');
  assert.equal(backend.seen[seen + 1]?.headers['host'], REWRITE, 'no host rewrite: the authority as sent');
});

test('RequestRedirect: 302 with an absolute Location and an empty body, no upstream; counted like a local reply', async () => {
  const seen = backend.seen.length;
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.20:80'), { path: '/moved/page?q=2', headers: { host: `${REWRITE}:80`, 'x-request-id': 'redirect-1' } });
  assert.equal(response.status, 302);
  // The request's port 80 is http's default, so host_redirect alone leaves none in the Location.
  assert.equal(response.headers['location'], 'http://www.example.com/here/page?q=2');
  assert.equal(response.body, '');
  assert.equal(backend.seen.length, seen, 'the backend is never contacted');
  const log = accessLines.find((l) => l['x_request_id'] === 'redirect-1');
  assert.equal(log?.['response_code'], 302);
  assert.equal(log?.['upstream_host'], '-');
  const text = await waypoint.registry.getSingleMetricAsString('istio_requests_total');
  assert.ok(text.split('\n').some((l) => l.includes(`destination_service="${REWRITE}"`) && l.includes('response_code="302"')), text);
});

test('a route timeout answers 504 UT; for gRPC grpc-status 4 DEADLINE_EXCEEDED', async () => {
  const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.10:80'), { path: '/slow', headers: { 'x-request-id': 'slow-1' } });
  assert.equal(response.status, 504);
  assert.equal(accessLines.find((l) => l['x_request_id'] === 'slow-1')?.['response_flags'], 'UT');
  const stream = await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.11:9090');
  const session = http2.connect('http://10.96.0.11:9090', { createConnection: () => stream as unknown as Socket });
  try {
    const grpc = await h2Request(session, { ':method': 'POST', ':path': '/echo.Echo/Slow', 'content-type': 'application/grpc' }, grpcFrame('x'));
    assert.equal(grpc.headers[':status'], 200);
    assert.equal(grpc.headers['grpc-status'], '4');
  } finally {
    session.destroy();
  }
});

test('connections to an endpoint EDS no longer lists are closed', async () => {
  const ghost = 'ghost.default.svc.cluster.local';
  const chains = [...CHAINS, { host: ghost, vip: '10.96.0.14', port: 80 }];
  const xds = waypoint.xds;
  xds.push(TYPE_URL.listener, [listener('default/waypoint', chains)]);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(ghost, 80)]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(ghost, 80))]);
  // An unmeshed endpoint (plain TCP) of its own.
  const server = http.createServer((_req, res) => res.end('ghost'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  xds.push(TYPE_URL.clusterLoadAssignment, [assignment(outbound(ghost, 80), [{ ip: '127.0.0.1', port: (server.address() as AddressInfo).port }])]);
  try {
    const before = waypoint.upstreams.stats().http1Pools;
    assert.equal((await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.14:80'), { path: '/ghost' })).status, 200);
    assert.equal(waypoint.upstreams.stats().http1Pools, before + 1);
    xds.push(TYPE_URL.clusterLoadAssignment, [assignment(outbound(ghost, 80), [])]);
    assert.equal(waypoint.upstreams.stats().http1Pools, before);
  } finally {
    xds.push(TYPE_URL.listener, [listener('default/waypoint', CHAINS)]);
    server.closeAllConnections();
    server.close();
  }
});

test('a retried POST sends its buffered body again: 503 from one endpoint, 200 from the next', async () => {
  const flaky = 'flaky.default.svc.cluster.local';
  const failingBodies: string[] = [];
  const failing = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      failingBodies.push(Buffer.concat(chunks).toString());
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('always failing');
    });
  });
  failing.listen(0, '127.0.0.1');
  await once(failing, 'listening');
  const xds = waypoint.xds;
  xds.push(TYPE_URL.listener, [listener('default/waypoint', [...CHAINS, { host: flaky, vip: '10.96.0.15', port: 80 }])]);
  xds.push(TYPE_URL.routeConfiguration, [routeConfiguration(flaky, 80, {}, { retryOn: '5xx', numRetries: 2 })]);
  xds.push(TYPE_URL.cluster, [cluster(outbound(flaky, 80))]);
  xds.push(TYPE_URL.clusterLoadAssignment, [
    assignment(outbound(flaky, 80), [
      { ip: '127.0.0.1', port: (failing.address() as AddressInfo).port },
      { ip: '127.0.0.1', port: backend.http1Port, hbone: { identity: BACKEND_ID, port: backend.hbonePort } },
    ]),
  ]);
  try {
    // Round robin: of two requests at least one is tried on the failing endpoint first.
    for (const n of [1, 2]) {
      const response = await h1Request(await tunnel(pool, clientCredentials, waypoint.port, '10.96.0.15:80'), { method: 'POST', path: '/order', body: `order-${n}`, headers: { 'content-type': 'text/plain', 'x-request-id': `order-${n}` } });
      assert.equal(response.status, 200);
      assert.equal(response.body, `hello POST /order order-${n}`);
    }
    assert.ok(failingBodies.length >= 1);
    for (const body of failingBodies) assert.match(body, /^order-[12]$/);
    // The access log counts the attempts: 2 for each request the failing endpoint saw first.
    const attempts = [1, 2].map((n) => accessLines.find((l) => l['x_request_id'] === `order-${n}`)?.['upstream_request_attempt_count']);
    assert.ok(attempts.every((a) => a === 1 || a === 2), String(attempts));
    assert.equal(attempts.filter((a) => a === 2).length, failingBodies.length);
  } finally {
    xds.push(TYPE_URL.listener, [listener('default/waypoint', CHAINS)]);
    failing.closeAllConnections();
    failing.close();
  }
});
