// verifyPeerChain against hostile chains built with @peculiar/x509 directly (test/hostile.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustBundle, verifyPeerChain, type PeerCheckOptions } from '../src/index.ts';
import { HOUR, ID, intermediate, KU, leaf, makeCert, newKeys, root, tamper, x509 } from './hostile.ts';

const now = Date.now();
const R = await root();
const I = await intermediate(R);
const L = await leaf(I);
const bundle = new TrustBundle([R.pem]);
// Four levels for ordering cases: R -> I1 -> I2 -> L4.
const I1 = await intermediate(R, 'O=cluster.local, CN=I1');
const I2 = await intermediate(I1, 'O=cluster.local, CN=I2');
const L4 = await leaf(I2);
// A root that allows no intermediate below it.
const R0 = await root('O=cluster.local, CN=R0', { pathLength: 0 });
const I0 = await intermediate(R0);

interface Case {
  name: string;
  chain: () => Promise<Array<string | Buffer>>;
  options?: Partial<PeerCheckOptions>;
  code?: string; // undefined: must pass
  reason?: RegExp;
}

const ca = (extra: Parameters<typeof intermediate>[2]) => intermediate(R, 'O=cluster.local, CN=Bad Intermediate', extra);

const cases: Case[] = [
  { name: 'leaf + intermediate (PEM)', chain: async () => [L.pem, I.pem] },
  { name: 'leaf + intermediate + root (DER, as node:tls gives it)', chain: async () => [L.der, I.der, R.der] },
  { name: 'leaf signed by the root directly', chain: async () => [(await leaf(R)).pem] },
  { name: 'intermediates in scrambled order after the leaf (tolerated, RFC 8446 4.4.2)', chain: async () => [L4.pem, I1.pem, R.pem, I2.pem] },
  { name: 'a URI SAN plus a DNS SAN', chain: async () => [(await leaf(I, { sans: [{ type: 'dns', value: 'web' }, { type: 'url', value: ID }] })).pem, I.pem] },
  { name: 'matching trust domain and identity', chain: async () => [L.pem, I.pem], options: { trustDomain: 'cluster.local', expectedIdentity: ID } },
  { name: 'empty chain', chain: async () => [], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /presented no certificate/ },
  { name: 'too many certificates', chain: async () => Array(9).fill(L.pem), code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /limit of 8/ },
  { name: 'garbage bytes', chain: async () => [Buffer.from('hello world')], code: 'AMBIT_SPIFFE_BAD_CERT', reason: /not DER/ },
  { name: 'a PEM that is not a certificate', chain: async () => ['-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n'], code: 'AMBIT_SPIFFE_BAD_CERT', reason: /could not be parsed/ },
  { name: 'wrong root', chain: async () => { const other = await root('O=other'); return [(await leaf(other)).pem]; }, code: 'AMBIT_SPIFFE_UNTRUSTED' },
  {
    name: 'wrong root with the same name as the trusted one',
    chain: async () => { const other = await root(); return [(await leaf(other)).pem]; },
    code: 'AMBIT_SPIFFE_UNTRUSTED',
    reason: /does not verify/,
  },
  { name: 'intermediate missing from the chain', chain: async () => [L.pem], code: 'AMBIT_SPIFFE_UNTRUSTED' },
  { name: 'self-signed leaf', chain: async () => [(await makeCert({ ca: false, keyUsage: KU.digitalSignature, sans: [{ type: 'url', value: ID }] })).pem], code: 'AMBIT_SPIFFE_UNTRUSTED' },
  { name: 'tampered leaf signature', chain: async () => [tamper(L), I.der], code: 'AMBIT_SPIFFE_UNTRUSTED', reason: /signature on .* does not verify/ },
  { name: 'tampered intermediate signature', chain: async () => [L.der, tamper(I)], code: 'AMBIT_SPIFFE_UNTRUSTED' },
  { name: 'expired leaf', chain: async () => [(await leaf(I, { notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) })).pem, I.pem], code: 'AMBIT_SPIFFE_EXPIRED', reason: /^leaf .* expired at/ },
  { name: 'expired intermediate', chain: async () => { const old = await intermediate(R, undefined, { notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) }); return [(await leaf(old)).pem, old.pem]; }, code: 'AMBIT_SPIFFE_EXPIRED', reason: /^intermediate/ },
  { name: 'not yet valid leaf', chain: async () => [(await leaf(I, { notBefore: new Date(now + HOUR), notAfter: new Date(now + 3 * HOUR) })).pem, I.pem], code: 'AMBIT_SPIFFE_NOT_YET_VALID' },
  { name: 'verified later than the leaf lives', chain: async () => [L.pem, I.pem], options: { now: new Date(now + 2 * HOUR) }, code: 'AMBIT_SPIFFE_EXPIRED' },
  { name: 'leaf with CA=true', chain: async () => [(await leaf(I, { ca: true })).pem, I.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /is a CA certificate/ },
  { name: 'leaf first position taken by the intermediate (wrong order)', chain: async () => [I.pem, L.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /leaf must come first/ },
  { name: 'leaf with keyCertSign', chain: async () => [(await leaf(I, { keyUsage: KU.digitalSignature | KU.keyCertSign })).pem, I.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /keyCertSign/ },
  { name: 'leaf without key usage', chain: async () => [(await leaf(I, { keyUsage: null })).pem, I.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /digitalSignature/ },
  { name: 'leaf with a P-384 key', chain: async () => [(await leaf(I, { keys: await newKeys('P-384') })).pem, I.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /P-384 key, expected ECDSA P-256/ },
  { name: 'intermediate without basicConstraints', chain: async () => { const bad = await ca({ ca: undefined }); return [(await leaf(bad)).pem, bad.pem]; }, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /is not a CA/ },
  { name: 'intermediate with CA=false', chain: async () => { const bad = await ca({ ca: false }); return [(await leaf(bad)).pem, bad.pem]; }, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /is not a CA/ },
  { name: 'intermediate without keyCertSign', chain: async () => { const bad = await ca({ keyUsage: KU.digitalSignature }); return [(await leaf(bad)).pem, bad.pem]; }, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /keyCertSign/ },
  { name: 'intermediate without key usage', chain: async () => { const bad = await ca({ keyUsage: null }); return [(await leaf(bad)).pem, bad.pem]; }, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /keyCertSign/ },
  {
    name: 'pathLenConstraint 0 on an intermediate with another intermediate below',
    chain: async () => { const a = await intermediate(R, 'O=cluster.local, CN=A', { pathLength: 0 }); const b = await intermediate(a, 'O=cluster.local, CN=B'); return [(await leaf(b)).pem, b.pem, a.pem]; },
    code: 'AMBIT_SPIFFE_BAD_CHAIN',
    reason: /allows 0 intermediate\(s\) below it .* the chain has 1/,
  },
  {
    name: 'pathLenConstraint 0 on the root',
    chain: async () => [(await leaf(I0)).pem, I0.pem],
    options: { bundle: new TrustBundle([R0.pem]) },
    code: 'AMBIT_SPIFFE_BAD_CHAIN',
    reason: /^root .*pathLenConstraint/,
  },
  { name: 'unknown critical extension', chain: async () => [(await leaf(I, { extra: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([5, 0]))] })).pem, I.pem], code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /critical extension 1.2.3.4.5/ },
  { name: 'two URI SANs', chain: async () => [(await leaf(I, { sans: [{ type: 'url', value: ID }, { type: 'url', value: 'spiffe://cluster.local/ns/x/sa/y' }] })).pem, I.pem], code: 'AMBIT_SPIFFE_SAN', reason: /2 URI SANs/ },
  { name: 'DNS SAN only', chain: async () => [(await leaf(I, { sans: [{ type: 'dns', value: 'web.default.svc' }] })).pem, I.pem], code: 'AMBIT_SPIFFE_SAN', reason: /0 URI SANs.*dns:web.default.svc/ },
  { name: 'no SAN at all', chain: async () => [(await leaf(I, { subject: 'CN=web', sans: null })).pem, I.pem], code: 'AMBIT_SPIFFE_SAN' },
  { name: 'non-SPIFFE URI SAN', chain: async () => [(await leaf(I, { sans: [{ type: 'url', value: 'https://web.example/' }] })).pem, I.pem], code: 'AMBIT_SPIFFE_SAN', reason: /not a valid SPIFFE ID/ },
  { name: 'SPIFFE URI SAN with an upper-case trust domain', chain: async () => [(await leaf(I, { sans: [{ type: 'url', value: 'spiffe://Cluster.local/ns/a/sa/b' }] })).pem, I.pem], code: 'AMBIT_SPIFFE_SAN' },
  { name: 'wrong trust domain', chain: async () => [(await leaf(I, { sans: [{ type: 'url', value: 'spiffe://evil.example/ns/default/sa/web' }] })).pem, I.pem], options: { trustDomain: 'cluster.local' }, code: 'AMBIT_SPIFFE_WRONG_TRUST_DOMAIN', reason: /"evil.example", expected "cluster.local"/ },
  { name: 'wrong expected identity', chain: async () => [L.pem, I.pem], options: { expectedIdentity: 'spiffe://cluster.local/ns/default/sa/db' }, code: 'AMBIT_SPIFFE_WRONG_IDENTITY' },
  { name: 'EKU serverAuth only, checked as a client certificate', chain: async () => [(await leaf(I, { eku: [x509.ExtendedKeyUsage.serverAuth] })).pem, I.pem], options: { purpose: 'client' }, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: /client authentication/ },
  { name: 'EKU serverAuth only, checked as a server certificate', chain: async () => [(await leaf(I, { eku: [x509.ExtendedKeyUsage.serverAuth] })).pem, I.pem], options: { purpose: 'server' } },
];

for (const c of cases) {
  test(`verifyPeerChain: ${c.name}`, async () => {
    const chain = await c.chain();
    const result = await verifyPeerChain(chain as string[], { bundle, ...c.options });
    if (c.code === undefined) {
      assert.deepEqual(result.ok ? { ok: true, identity: result.identity } : result, { ok: true, identity: ID });
    } else {
      assert.equal(result.ok, false, 'must be refused');
      if (!result.ok) {
        assert.equal(result.code, c.code, result.reason);
        if (c.reason) assert.match(result.reason, c.reason);
      }
    }
  });
}

test('verifyPeerChain returns the earliest notAfter of the path', async () => {
  const result = await verifyPeerChain([L.pem, I.pem], { bundle });
  assert.ok(result.ok);
  assert.equal(result.notAfter.getTime(), Math.min(L.cert.notAfter.getTime(), I.cert.notAfter.getTime(), R.cert.notAfter.getTime()));
});

test('an expired root in the bundle fails the check', async () => {
  const old = await root('O=cluster.local, CN=Old', { notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) });
  const result = await verifyPeerChain([(await leaf(old, { notBefore: new Date(now - 2 * HOUR), notAfter: new Date(now + HOUR) })).pem], { bundle: new TrustBundle([old.pem]) });
  assert.deepEqual(result.ok ? 'ok' : result.code, 'AMBIT_SPIFFE_EXPIRED');
});

test('of two same-named intermediates, the valid one is chosen', async () => {
  const key = await newKeys();
  const expired = await intermediate(R, 'O=cluster.local, CN=Same', { keys: key, notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) });
  const current = await intermediate(R, 'O=cluster.local, CN=Same', { keys: key });
  const l = await leaf(current);
  const result = await verifyPeerChain([l.pem, expired.pem, current.pem], { bundle });
  assert.equal(result.ok, true);
});

test('a bundle holding a non-CA certificate is refused', async () => {
  assert.throws(() => new TrustBundle([L.pem]), { code: 'AMBIT_SPIFFE_BAD_BUNDLE' });
});

test('inputs that are not certificates are refused, never thrown', async () => {
  for (const input of [[null], [42], [{}], ['']] as unknown as string[][]) {
    const result = await verifyPeerChain(input, { bundle });
    assert.equal(result.ok, false);
  }
});

