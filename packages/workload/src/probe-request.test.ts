import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProbeRequest } from './probe-request.ts';

test('parseProbeRequest: defaults and normal forms', () => {
  const parsed = parseProbeRequest({
    from: 'production/frontend-0',
    probes: [
      { to: '10.244.1.5:8080' },
      { to: 'redis.production:6379', protocol: 'tcp', timeoutMs: 250 },
      { to: 'kube-dns.kube-system:53', protocol: 'UDP', timeoutMs: 500 },
      { to: 'backend-api:8080', http: { path: '/api/v1/x', method: 'post', headers: { 'X-Trace': '1' } } },
      { to: 'backend-api:8080', http: {} },
      { to: 'backend-api:8080', grpc: true },
    ],
  });
  assert.deepEqual(parsed, {
    ok: true,
    value: {
      from: 'production/frontend-0',
      probes: [
        { to: '10.244.1.5:8080', protocol: 'TCP', timeoutMs: 1000 },
        { to: 'redis.production:6379', protocol: 'TCP', timeoutMs: 250 },
        { to: 'kube-dns.kube-system:53', protocol: 'UDP', timeoutMs: 500 },
        { to: 'backend-api:8080', protocol: 'TCP', timeoutMs: 1000, http: { path: '/api/v1/x', method: 'POST', headers: { 'x-trace': '1' } } },
        { to: 'backend-api:8080', protocol: 'TCP', timeoutMs: 1000, http: { path: '/', method: 'GET', headers: {} } },
        { to: 'backend-api:8080', protocol: 'TCP', timeoutMs: 1000, grpc: true },
      ],
    },
  });
});

test('parseProbeRequest: every problem with its field path', () => {
  const cases: [unknown, string[]][] = [
    [null, ['expected a JSON object {"from","probes":[...]}']],
    [{ probes: [] }, ['from: expected "namespace/pod"']],
    [{ from: 'a/b' }, ['probes: expected an array']],
    [
      { from: 'a/b', probes: [{ to: 'x' }, { to: 'h:1', protocol: 'SCTP', timeoutMs: 0 }, 7] },
      [
        'probes[0].to: expected HOST:PORT (port 1..65535), got "x"',
        'probes[1].protocol: expected "TCP" or "UDP", got "SCTP"',
        'probes[1].timeoutMs: expected an integer 1..300000, got 0',
        'probes[2]: expected an object {"to","protocol","timeoutMs"}',
      ],
    ],
    [{ from: 'a/b', probes: [{ to: 'h:1', protocol: 'UDP', grpc: true }] }, ['probes[0]: http and grpc probes need protocol TCP']],
    [
      { from: 'a/b', probes: [{ to: 'h:1', http: { path: 'x', method: 'G T', headers: { 'bad name': 'v', ok: 'a\r\nb' } } }] },
      [
        'probes[0].http.path: expected a path starting with "/" without spaces',
        'probes[0].http.method: expected an HTTP method such as GET',
        'probes[0].http.headers: "bad name" is not a valid header name',
        'probes[0].http.headers.ok: expected a string without line breaks',
      ],
    ],
  ];
  for (const [input, problems] of cases) assert.deepEqual(parseProbeRequest(input), { ok: false, problems }, JSON.stringify(input));
});
