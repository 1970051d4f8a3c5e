import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import './reflect-polyfill.ts';
import * as x509 from '@peculiar/x509';
import { createCsr, inspectCsr } from './csr.ts';
import { generateKeyPair, spkiOf } from './keys.ts';
import { encodePem, decodePem } from './pem.ts';
import type { Algorithm, Crypto, CryptoKeyPair, EcdsaParams } from './webcrypto-types.ts';

// Hostile CSRs are built with @peculiar/x509 directly, never with the code under test.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const P256 = { name: 'ECDSA', namedCurve: 'P-256' };
const ID = 'spiffe://cluster.local/ns/default/sa/web';

async function rawCsr(options: { keys?: CryptoKeyPair; alg?: Algorithm | EcdsaParams; sans?: Array<{ type: 'url' | 'dns'; value: string }> | null }): Promise<string> {
  const keys = options.keys ?? ((await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair);
  const sans = options.sans === undefined ? [{ type: 'url' as const, value: ID }] : options.sans;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: options.alg ?? { name: 'ECDSA', hash: 'SHA-256' },
    extensions: sans === null ? [] : [new x509.SubjectAlternativeNameExtension(sans)],
  });
  return encodePem(csr.rawData, 'CERTIFICATE REQUEST');
}

test('createCsr -> inspectCsr round trip', async () => {
  const keys = await generateKeyPair();
  const pem = await createCsr({ identity: ID, keys });
  assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  const info = await inspectCsr(pem);
  assert.deepEqual(info.identities, [ID]);
  assert.equal(info.publicKeyAlgorithm, 'ECDSA P-256');
  assert.equal(info.signatureValid, true);
  assert.deepEqual(await spkiOf(info.publicKey), await spkiOf(keys.publicKey));
  const csr = new x509.Pkcs10CertificateRequest(decodePem(pem, 'CERTIFICATE REQUEST', 'AMBIT_SPIFFE_BAD_CSR'));
  assert.equal(csr.subject, '');
});

test('createCsr refuses an invalid identity', async () => {
  await assert.rejects(createCsr({ identity: 'spiffe://Bad/x', keys: await generateKeyPair() }), { code: 'AMBIT_SPIFFE_BAD_ID' });
});

test('a CSR made by another library with one URI SAN is accepted', async () => {
  assert.deepEqual((await inspectCsr(await rawCsr({}))).identities, [ID]);
});

function flipSignatureByte(pem: string): string {
  const der = Uint8Array.from(decodePem(pem, 'CERTIFICATE REQUEST', 'AMBIT_SPIFFE_BAD_CSR'));
  der[der.length - 3] = (der[der.length - 3] as number) ^ 0x01; // inside the signature's s value
  return encodePem(der, 'CERTIFICATE REQUEST');
}

const refused: Array<[string, () => Promise<string>, RegExp, { maxBytes?: number }?]> = [
  ['malformed PEM', async () => '-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----\n', /not base64/],
  ['no PEM at all', async () => 'hello', /found 0/],
  ['a certificate instead of a CSR', async () => (await rawCsr({})).replaceAll('CERTIFICATE REQUEST', 'CERTIFICATE'), /expected a PEM block "CERTIFICATE REQUEST"/],
  ['DER that is not PKCS#10', async () => encodePem(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]), 'CERTIFICATE REQUEST'), /not a PKCS#10 request/],
  [
    'an RSA key',
    async () => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      return rawCsr({ keys, alg: { name: 'RSASSA-PKCS1-v1_5' } });
    },
    /public key is RSASSA-PKCS1-v1_5 2048 bit, expected ECDSA P-256/,
  ],
  [
    'a P-384 key',
    async () => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      return rawCsr({ keys, alg: { name: 'ECDSA', hash: 'SHA-384' } } as never);
    },
    /public key is ECDSA P-384, expected ECDSA P-256/,
  ],
  ['a P-256 key signed with SHA-384', async () => rawCsr({ alg: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams }), /not ECDSA with SHA-256/],
  ['a tampered signature', async () => flipSignatureByte(await rawCsr({})), /signature does not verify/],
  ['oversized input', async () => (await rawCsr({})) + ' '.repeat(20_000), /more than the limit of 16384/],
  ['input over a custom limit', async () => rawCsr({}), /more than the limit of 100/, { maxBytes: 100 }],
  ['two URI SANs', async () => rawCsr({ sans: [{ type: 'url', value: ID }, { type: 'url', value: 'spiffe://cluster.local/ns/x/sa/y' }] }), /2 URI SANs, expected exactly one/],
  ['no SAN', async () => rawCsr({ sans: null }), /no subject alternative name/],
  ['a DNS SAN only', async () => rawCsr({ sans: [{ type: 'dns', value: 'web.default.svc' }] }), /unexpected subject alternative names "dns:web.default.svc"/],
  ['a non-SPIFFE URI SAN', async () => rawCsr({ sans: [{ type: 'url', value: 'https://example.com/x' }] }), /URI SAN: invalid SPIFFE ID "https:\/\/example.com\/x": scheme "https"/],
  ['an invalid SPIFFE URI SAN', async () => rawCsr({ sans: [{ type: 'url', value: 'spiffe://cluster.local/ns/../sa/x' }] }), /dot segment/],
];

for (const [name, make, message, limits] of refused) {
  test(`inspectCsr refuses ${name}`, async () => {
    const pem = await make();
    await assert.rejects(inspectCsr(pem, limits), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AMBIT_SPIFFE_BAD_CSR');
      assert.match(e.message, /^invalid CSR: /);
      assert.match(e.message, message);
      return true;
    });
  });
}
