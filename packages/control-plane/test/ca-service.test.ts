// CreateCertificate end to end: a real grpc-js server over TLS, a real client from
// caClientConstructor(), real node credentials. Every refusal is followed by a good request on the
// same server, so a bad request can never take the CA down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { verifyPeerChain } from '@ambit/spiffe';
import { CaService } from '../src/ca/ca-service.ts';
import { flipSignatureByte, RecordingLogger, rsaCsr, startHarness, DB, WEB, ZTUNNEL, type CaRequest, type CallResult, type Harness } from './ca-harness.ts';

function lifetimeSeconds(pem: string): { total: number; remaining: number } {
  const cert = new X509Certificate(pem);
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  return { total: (notAfter - notBefore) / 1000, remaining: (notAfter - Date.now()) / 1000 };
}

function sanOf(pem: string): string | undefined {
  return new X509Certificate(pem).subjectAltName;
}

function assertOk(result: CallResult): asserts result is { ok: true; certChain: string[] } {
  if (!result.ok) assert.fail(`expected a certificate, got ${status[result.code]}: ${result.details}`);
}

describe('CreateCertificate over TLS', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test('a node gets its own identity without impersonating: leaf first, root last, default 24 h', async () => {
    const result = await h.call(h.client(), await h.request(ZTUNNEL, { ttl: 0 }));
    assertOk(result);
    assert.equal(result.certChain.length, 2);
    assert.equal(sanOf(result.certChain[0] as string), `URI:${ZTUNNEL}`);
    assert.equal(result.certChain.at(-1), h.authority.rootPem);
    const { remaining } = lifetimeSeconds(result.certChain[0] as string);
    assert.ok(Math.abs(remaining - 86_400) < 30, `remaining ${remaining}s, expected about 24 h`);
    const check = await verifyPeerChain(result.certChain, { bundle: h.service.trustBundle(), expectedIdentity: ZTUNNEL });
    assert.equal(check.ok, true);
  });

  test('a node may ask for its own identity by ImpersonatedIdentity too', async () => {
    assertOk(await h.call(h.client(), await h.request(ZTUNNEL, { impersonate: ZTUNNEL })));
  });

  test('impersonation of a pod on the caller node: SAN is the identity, TTL as requested', async () => {
    const result = await h.call(h.client(), await h.request(WEB, { ttl: 3600 }));
    assertOk(result);
    const leaf = result.certChain[0] as string;
    assert.equal(sanOf(leaf), `URI:${WEB}`);
    assert.equal(result.certChain.at(-1), h.authority.rootPem);
    const { remaining } = lifetimeSeconds(leaf);
    assert.ok(Math.abs(remaining - 3600) < 30, `remaining ${remaining}s, expected about 3600`);
    const check = await verifyPeerChain(result.certChain, { bundle: h.service.trustBundle(), expectedIdentity: WEB });
    assert.deepEqual(check.ok, true);
  });

  test('node-2 gets its own pod identity with its own credential', async () => {
    assertOk(await h.call(h.client(), await h.request(DB, { ttl: 600 }), h.tokens['node-2']));
  });

  test('a TTL above the maximum is capped at it (90 days by default)', async () => {
    const result = await h.call(h.client(), await h.request(WEB, { ttl: 200 * 86_400 }));
    assertOk(result);
    const { remaining } = lifetimeSeconds(result.certChain[0] as string);
    assert.ok(Math.abs(remaining - 90 * 86_400) < 30, `remaining ${remaining}s, expected 90 days`);
  });

  type Refusal = {
    name: string;
    request: () => Promise<CaRequest>;
    token?: string | null;
    code: status;
    message: RegExp;
    reason: string;
  };
  const refusals: Refusal[] = [
    {
      name: "node-1's credential asking for node-2's pod identity",
      request: () => h.request(DB),
      code: status.PERMISSION_DENIED,
      message: /node\/node-1 may not obtain a certificate for "spiffe:\/\/cluster.local\/ns\/app\/sa\/db": no pod with that identity is scheduled on node-1 .*\[AMBIT_CA_DENIED\]/,
      reason: 'not_on_node',
    },
    {
      name: 'an identity no pod has',
      request: () => h.request('spiffe://cluster.local/ns/app/sa/nobody'),
      code: status.PERMISSION_DENIED,
      message: /may not obtain a certificate for "spiffe:\/\/cluster.local\/ns\/app\/sa\/nobody"/,
      reason: 'not_on_node',
    },
    {
      name: 'another trust domain',
      request: () => h.request('spiffe://evil.example/ns/app/sa/web'),
      code: status.PERMISSION_DENIED,
      message: /trust domain "evil.example"; this CA issues only for "cluster.local".*\[AMBIT_CA_DENIED\]/,
      reason: 'wrong_trust_domain',
    },
    {
      name: "a CSR whose SAN is not the requested identity",
      request: async () => ({ ...(await h.request('spiffe://cluster.local/ns/app/sa/other')), metadata: { fields: { ImpersonatedIdentity: { stringValue: WEB } } } }),
      code: status.INVALID_ARGUMENT,
      message: /the CSR's URI SAN "spiffe:\/\/cluster.local\/ns\/app\/sa\/other" is not the requested identity "spiffe:\/\/cluster.local\/ns\/app\/sa\/web".*\[AMBIT_CA_BAD_CSR\]/,
      reason: 'san_mismatch',
    },
    {
      name: "a pod's CSR sent without ImpersonatedIdentity (asks for the node identity)",
      request: () => h.request(WEB, { impersonate: null }),
      code: status.INVALID_ARGUMENT,
      message: /URI SAN "spiffe:\/\/cluster.local\/ns\/app\/sa\/web" is not the requested identity "spiffe:\/\/cluster.local\/ns\/istio-system\/sa\/ztunnel"/,
      reason: 'san_mismatch',
    },
    {
      name: 'a malformed CSR',
      request: async () => ({ ...(await h.request(WEB)), csr: 'this is not a certificate request' }),
      code: status.INVALID_ARGUMENT,
      message: /invalid CSR: .*\[AMBIT_CA_BAD_CSR\]/,
      reason: 'malformed_csr',
    },
    {
      name: 'a CSR with one byte of its signature flipped',
      request: async () => {
        const good = await h.request(WEB);
        return { ...good, csr: flipSignatureByte(good.csr) };
      },
      code: status.INVALID_ARGUMENT,
      message: /signature does not verify.*\[AMBIT_CA_BAD_CSR\]/,
      reason: 'bad_signature',
    },
    {
      name: 'a CSR for an RSA key',
      request: async () => ({ ...(await h.request(WEB)), csr: rsaCsr(WEB) }),
      code: status.INVALID_ARGUMENT,
      message: /public key is RSA.*expected ECDSA P-256.*\[AMBIT_CA_BAD_CSR\]/,
      reason: 'key_algorithm',
    },
    {
      name: 'a request over 64 KiB',
      request: async () => {
        const good = await h.request(WEB);
        return { ...good, csr: `${good.csr}${'x'.repeat(70 * 1024)}` };
      },
      code: status.INVALID_ARGUMENT,
      message: /the request is \d+ bytes, more than the limit of 65536/,
      reason: 'oversized',
    },
    {
      name: 'no credentials',
      request: () => h.request(WEB),
      token: null,
      code: status.UNAUTHENTICATED,
      message: /no credential: the request has no "authorization: Bearer <token>" header.*\[AMBIT_CA_UNAUTHENTICATED\]/,
      reason: 'unauthenticated',
    },
    {
      name: 'a wrong token',
      request: () => h.request(WEB),
      token: 'f'.repeat(64),
      code: status.UNAUTHENTICATED,
      message: /the bearer credential is not valid.*\[AMBIT_CA_UNAUTHENTICATED\]/,
      reason: 'unauthenticated',
    },
    {
      name: 'ImpersonatedIdentity that is not a SPIFFE ID',
      request: () => h.request(WEB, { impersonate: 'https://cluster.local/ns/app/sa/web' }),
      code: status.INVALID_ARGUMENT,
      message: /metadata.ImpersonatedIdentity: invalid SPIFFE ID "https:\/\/cluster.local\/ns\/app\/sa\/web": scheme "https" is not "spiffe".*\[AMBIT_CA_BAD_REQUEST\]/,
      reason: 'bad_identity',
    },
    {
      name: 'ImpersonatedIdentity that is not a string',
      request: async () => ({ ...(await h.request(WEB)), metadata: { fields: { ImpersonatedIdentity: { numberValue: 7 } } } }),
      code: status.INVALID_ARGUMENT,
      message: /metadata.ImpersonatedIdentity must be a string \(a SPIFFE ID\), got a numberValue/,
      reason: 'bad_identity',
    },
  ];

  for (const refusal of refusals) {
    test(`refuses ${refusal.name}, then keeps serving`, async () => {
      const client = h.client();
      const before = await h.counter('ambit_control_plane_csr_refused_total', { reason: refusal.reason });
      const logged = h.logger.records.length;
      const result = await h.call(client, await refusal.request(), refusal.token === undefined ? h.tokens['node-1'] : refusal.token);
      assert.equal(result.ok, false, 'the request was accepted');
      if (result.ok) return;
      assert.equal(status[result.code], status[refusal.code], result.details);
      assert.match(result.details, refusal.message);
      assert.equal(await h.counter('ambit_control_plane_csr_refused_total', { reason: refusal.reason }), before + 1);
      const line = h.logger.records.slice(logged).find((r) => r.level === 'warn' && r.fields['reason'] === refusal.reason);
      assert.ok(line, `no warn line with reason ${refusal.reason}`);
      assert.equal(line.fields['caller'], refusal.code === status.UNAUTHENTICATED ? 'unauthenticated' : 'node/node-1');
      assert.match(line.message, /^CA refused a CSR: /);
      assertOk(await h.call(client, await h.request(WEB)));
    });
  }

  test("Istio's counters move with requests, issuances and each kind of failure", async () => {
    const names = [
      'citadel_server_csr_count',
      'citadel_server_success_cert_issuance_count',
      'citadel_server_csr_parsing_err_count',
      'citadel_server_authentication_failure_count',
      'citadel_server_id_extraction_err_count',
    ];
    const before = await Promise.all(names.map((n) => h.counter(n)));
    const client = h.client();
    assertOk(await h.call(client, await h.request(WEB)));
    await h.call(client, { ...(await h.request(WEB)), csr: 'garbage' });
    await h.call(client, await h.request(WEB), null);
    await h.call(client, await h.request(WEB, { impersonate: 'not-an-id' }));
    const afterValues = await Promise.all(names.map((n) => h.counter(n)));
    const delta = Object.fromEntries(names.map((n, i) => [n, (afterValues[i] as number) - (before[i] as number)]));
    assert.deepEqual(delta, {
      citadel_server_csr_count: 4,
      citadel_server_success_cert_issuance_count: 1,
      citadel_server_csr_parsing_err_count: 1,
      citadel_server_authentication_failure_count: 1,
      citadel_server_id_extraction_err_count: 1,
    });
    const text = await h.registry.metrics();
    assert.match(text, /ambit_control_plane_csr_refused_total\{reason="unauthenticated"\} \d+/);
  });

  test('an issuance is logged with caller, identity and lifetime; tokens never appear in logs', async () => {
    const logged = h.logger.records.length;
    assertOk(await h.call(h.client(), await h.request(WEB, { ttl: 120 })));
    const line = h.logger.records.slice(logged).find((r) => r.message === 'CA issued a certificate');
    assert.ok(line);
    assert.equal(line.fields['caller'], 'node/node-1');
    assert.equal(line.fields['identity'], WEB);
    assert.equal(line.fields['ttlSeconds'], 120);
    const all = JSON.stringify(h.logger.records);
    for (const token of Object.values(h.tokens)) assert.equal(all.includes(token), false);
  });

  test('a directory that throws makes INTERNAL, not a crash (decision function without gRPC)', async () => {
    const failing = {
      identitiesOnNode(): ReadonlySet<string> {
        throw new Error('model not ready');
      },
    };
    const authenticator = { authenticate: async () => ({ kind: 'node' as const, node: 'node-1', subject: 'node/node-1' }) };
    const isolated = new CaService({ authority: h.authority, authenticator, directory: failing, logger: new RecordingLogger(), registry: new Registry() });
    const result = await isolated.createCertificate(await h.request(WEB), new Metadata());
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.status, status.INTERNAL);
      assert.match(result.message, /the identity directory failed: model not ready/);
    }
    const own = await isolated.createCertificate(await h.request(ZTUNNEL), new Metadata());
    assert.equal(own.ok, true, 'the node identity needs no directory and still works');
  });

  test('validity_duration that is not an integer is INVALID_ARGUMENT (direct call)', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${h.tokens['node-1']}`);
    const result = await h.service.createCertificate({ ...(await h.request(WEB)), validity_duration: '1e9' }, metadata);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /validity_duration "1e9" is not an integer number of seconds/);
  });
});
