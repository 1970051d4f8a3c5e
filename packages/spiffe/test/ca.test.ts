// The CA end to end: CSR -> sign -> chain, leaf fields read back with @peculiar/x509 directly,
// plug-in CA directories (Istio layout), save/load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import {
  CertificateAuthority,
  createCsr,
  generateKeyPair,
  inspectCsr,
  makeIntermediateCa,
  makeRootCa,
  TrustBundle,
  verifyPeerChain,
} from '../src/index.ts';
import { HOUR, ID, intermediate, makeCert, newKeys, root, x509 } from './hostile.ts';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ambit-spiffe-ca-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dir(name: string, files: Record<string, string>): Promise<string> {
  const d = join(tmp, name);
  await mkdir(d, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(d, file), text);
  return d;
}

function pluginFiles(p: { caCertPem: string; caKeyPem: string; certChainPem: string; rootCertPem: string }): Record<string, string> {
  return { 'ca-cert.pem': p.caCertPem, 'ca-key.pem': p.caKeyPem, 'cert-chain.pem': p.certChainPem, 'root-cert.pem': p.rootCertPem };
}

const SA = x509.ExtendedKeyUsage;

test('CSR -> sign: chain leaf first, root last; the leaf is an X.509-SVID', async () => {
  const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
  const keys = await generateKeyPair();
  const info = await inspectCsr(await createCsr({ identity: ID, keys }));
  const started = Date.now();
  const issued = await ca.sign({ publicKey: info.publicKey, identity: ID, ttlSeconds: 86_400 });
  assert.equal(issued.certChain.length, 2);
  assert.equal(issued.certChain[1], ca.rootPem);
  const leaf = new x509.X509Certificate(issued.certChain[0]!);
  const signing = new x509.X509Certificate(ca.signingCertPem);
  assert.equal(leaf.subject, '');
  assert.equal(leaf.issuer, signing.subject);
  assert.ok(await leaf.verify({ publicKey: signing.publicKey, signatureOnly: true }));
  assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assert.equal(leaf.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [SA.serverAuth, SA.clientAuth]);
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
  assert.equal(san.critical, true, 'SAN is critical when the subject is empty (RFC 5280 4.2.1.6)');
  assert.deepEqual(san.names.toJSON(), [{ type: 'url', value: ID }]);
  assert.deepEqual(Buffer.from(leaf.publicKey.rawData), Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)));
  // validity: backdated about a minute but never before the signing certificate, 24 h long
  assert.ok(leaf.notBefore.getTime() >= signing.notBefore.getTime());
  assert.ok(leaf.notBefore.getTime() <= started - 59_000);
  assert.ok(leaf.notAfter.getTime() <= signing.notAfter.getTime());
  assert.ok(Math.abs(leaf.notAfter.getTime() - (started + 86_400_000)) < 2_000);
  assert.deepEqual([issued.notBefore, issued.notAfter], [leaf.notBefore, leaf.notAfter]);
  const check = await verifyPeerChain(issued.certChain, { bundle: ca.bundle, expectedIdentity: ID, trustDomain: 'cluster.local', purpose: 'server' });
  assert.ok(check.ok, check.ok ? '' : check.reason);
});

test('serial numbers are random and positive', async () => {
  const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
  const { publicKey } = await generateKeyPair();
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const leaf = new x509.X509Certificate((await ca.sign({ publicKey, identity: ID, ttlSeconds: 60 })).certChain[0]!);
    assert.ok(leaf.serialNumber.length >= 32);
    assert.ok(parseInt(leaf.serialNumber.slice(0, 2), 16) < 0x80);
    serials.add(leaf.serialNumber);
  }
  assert.equal(serials.size, 5);
});

test('notAfter is capped by the signing certificate', async () => {
  const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local', ttlSeconds: 3600 });
  const { publicKey } = await generateKeyPair();
  const issued = await ca.sign({ publicKey, identity: ID, ttlSeconds: 86_400 });
  assert.equal(issued.notAfter.getTime(), new x509.X509Certificate(ca.rootPem).notAfter.getTime());
});

const refusedSigns: Array<[string, () => Promise<{ publicKey: CryptoKey; identity: string; ttlSeconds: number }>, string]> = [
  ['another trust domain', async () => ({ publicKey: (await generateKeyPair()).publicKey, identity: 'spiffe://other.td/ns/a/sa/b', ttlSeconds: 60 }), 'AMBIT_SPIFFE_BAD_REQUEST'],
  ['an invalid identity', async () => ({ publicKey: (await generateKeyPair()).publicKey, identity: 'spiffe://cluster.local/ns/../x', ttlSeconds: 60 }), 'AMBIT_SPIFFE_BAD_ID'],
  ['the trust domain ID itself', async () => ({ publicKey: (await generateKeyPair()).publicKey, identity: 'spiffe://cluster.local', ttlSeconds: 60 }), 'AMBIT_SPIFFE_BAD_REQUEST'],
  ['a P-384 key', async () => ({ publicKey: (await newKeys('P-384')).publicKey, identity: ID, ttlSeconds: 60 }), 'AMBIT_SPIFFE_BAD_KEY'],
  ['a private key', async () => ({ publicKey: (await generateKeyPair()).privateKey, identity: ID, ttlSeconds: 60 }), 'AMBIT_SPIFFE_BAD_KEY'],
  ['a zero TTL', async () => ({ publicKey: (await generateKeyPair()).publicKey, identity: ID, ttlSeconds: 0 }), 'AMBIT_SPIFFE_BAD_REQUEST'],
  ['a NaN TTL', async () => ({ publicKey: (await generateKeyPair()).publicKey, identity: ID, ttlSeconds: Number.NaN }), 'AMBIT_SPIFFE_BAD_REQUEST'],
];
for (const [name, make, code] of refusedSigns) {
  test(`sign refuses ${name}`, async () => {
    const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
    await assert.rejects(ca.sign(await make()), { code });
  });
}

test('plug-in CA made by makeIntermediateCa: chain of 3, verifies against the root', async () => {
  const rootCa = await makeRootCa({ trustDomain: 'mesh.example' });
  const files = await makeIntermediateCa({ root: rootCa, cluster: 'east' });
  assert.equal(files.rootCertPem, rootCa.certPem);
  assert.equal(files.certChainPem, files.caCertPem + rootCa.certPem);
  const inter = new x509.X509Certificate(files.caCertPem);
  assert.equal(inter.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
  assert.match(inter.subject, /L=east/);
  const ca = await CertificateAuthority.fromFiles(await dir('east', pluginFiles(files)));
  assert.equal(ca.trustDomain, 'mesh.example', 'trust domain read from the spiffe://<td> SAN of ca-cert');
  assert.equal(ca.rootPem, rootCa.certPem);
  const identity = 'spiffe://mesh.example/ns/a/sa/b';
  const issued = await ca.sign({ publicKey: (await generateKeyPair()).publicKey, identity, ttlSeconds: 86_400 });
  assert.equal(issued.certChain.length, 3);
  assert.deepEqual(issued.certChain.slice(1), [files.caCertPem, rootCa.certPem]);
  const check = await verifyPeerChain(issued.certChain.map((p) => Buffer.from(new x509.X509Certificate(p).rawData)), { bundle: TrustBundle.fromPem(rootCa.certPem), expectedIdentity: identity });
  assert.ok(check.ok, check.ok ? '' : check.reason);
  // A second cluster under the same root is trusted by the first (multi-cluster with a shared root).
  const west = await CertificateAuthority.fromFiles(await dir('west', pluginFiles(await makeIntermediateCa({ root: rootCa, cluster: 'west' }))));
  const fromWest = await west.sign({ publicKey: (await generateKeyPair()).publicKey, identity, ttlSeconds: 60 });
  assert.ok((await verifyPeerChain(fromWest.certChain, { bundle: ca.bundle })).ok);
});

test('fromFiles accepts a cert-chain.pem without ca-cert and a trust domain option', async () => {
  const rootCa = await makeRootCa({});
  const files = await makeIntermediateCa({ root: rootCa, cluster: 'c1' });
  const ca = await CertificateAuthority.fromFiles(await dir('no-ca-in-chain', pluginFiles({ ...files, certChainPem: rootCa.certPem })), { trustDomain: 'other.td' });
  assert.equal(ca.trustDomain, 'other.td');
  assert.equal(ca.chainPem.length, 2);
});

test('save -> load round trip keeps key, chain, bundle and trust domain; the key is 0600', async () => {
  const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'lab.ambit', commonName: 'Lab, "Root"' });
  const d = join(tmp, 'saved');
  await ca.save(d);
  assert.equal((await stat(join(d, 'ca-key.pem'))).mode & 0o777, 0o600);
  await ca.save(d); // overwriting keeps the mode
  assert.equal((await stat(join(d, 'ca-key.pem'))).mode & 0o777, 0o600);
  const loaded = await CertificateAuthority.load(d);
  assert.equal(loaded.trustDomain, 'lab.ambit');
  assert.equal(loaded.rootPem, ca.rootPem);
  assert.equal(loaded.signingCertPem, ca.signingCertPem);
  assert.deepEqual(loaded.bundle.roots, ca.bundle.roots);
  const issued = await loaded.sign({ publicKey: (await generateKeyPair()).publicKey, identity: 'spiffe://lab.ambit/ns/a/sa/b', ttlSeconds: 60 });
  assert.ok((await verifyPeerChain(issued.certChain, { bundle: ca.bundle })).ok);
  assert.match(await readFile(join(d, 'ca-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
});

test('plug-in directories that must be refused', async (t) => {
  const rootCa = await makeRootCa({});
  const a = await makeIntermediateCa({ root: rootCa, cluster: 'a' });
  const b = await makeIntermediateCa({ root: rootCa, cluster: 'b' });
  const otherRoot = await makeRootCa({});
  const otherB = await makeIntermediateCa({ root: otherRoot, cluster: 'b' });
  // An intermediate that expired an hour ago, built directly.
  const r = await root('O=cluster.local, CN=Old Root');
  const oldKeys = await newKeys();
  const old = await intermediate(r, 'O=cluster.local, CN=Old', { keys: oldKeys, notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
  const oldKeyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', oldKeys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const rsaLike = await makeCert({ subject: 'CN=not a ca', ca: false });

  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ['ca-key of another intermediate', { ...pluginFiles(a), 'ca-key.pem': b.caKeyPem }, 'AMBIT_SPIFFE_CA_KEY_MISMATCH', /ca-key.pem is not the private key of ca-cert.pem/],
    ['missing ca-key.pem', { 'ca-cert.pem': a.caCertPem, 'cert-chain.pem': a.certChainPem, 'root-cert.pem': a.rootCertPem }, 'AMBIT_SPIFFE_CA_FILES', /cannot read .*ca-key.pem/],
    ['garbage ca-cert.pem', { ...pluginFiles(a), 'ca-cert.pem': 'hello' }, 'AMBIT_SPIFFE_CA_FILES', /ca-cert.pem/],
    ['root-cert.pem of another root', { ...pluginFiles(a), 'root-cert.pem': otherRoot.certPem, 'cert-chain.pem': a.caCertPem }, 'AMBIT_SPIFFE_CA_CHAIN', /neither a root in root-cert.pem nor signed by one/],
    ['cert-chain.pem of another cluster', { ...pluginFiles(a), 'cert-chain.pem': a.caCertPem + otherB.caCertPem }, 'AMBIT_SPIFFE_CA_CHAIN', /is not signed by the next certificate/],
    ['a ca-cert that is not a CA', { 'ca-cert.pem': rsaLike.pem, 'ca-key.pem': `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', rsaLike.keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`, 'cert-chain.pem': '', 'root-cert.pem': a.rootCertPem }, 'AMBIT_SPIFFE_CA_CHAIN', /is not a CA certificate/],
    ['an expired intermediate', { 'ca-cert.pem': old.pem, 'ca-key.pem': oldKeyPem, 'cert-chain.pem': old.pem + r.pem, 'root-cert.pem': r.pem }, 'AMBIT_SPIFFE_CA_EXPIRED', /expired/],
  ];
  for (const [name, files, code, message] of cases) {
    await t.test(name, async () => {
      const d = await dir(`bad-${name.replace(/\W+/g, '-')}`, files);
      await assert.rejects(CertificateAuthority.fromFiles(d), (e: Error & { code?: string }) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

test('makeIntermediateCa refuses a bad cluster name and a root key that does not match', async () => {
  const rootCa = await makeRootCa({});
  const other = await makeRootCa({});
  await assert.rejects(makeIntermediateCa({ root: rootCa, cluster: 'bad/name' }), { code: 'AMBIT_SPIFFE_BAD_REQUEST' });
  await assert.rejects(makeIntermediateCa({ root: { certPem: rootCa.certPem, keyPem: other.keyPem }, cluster: 'c' }), { code: 'AMBIT_SPIFFE_CA_KEY_MISMATCH' });
});

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];
