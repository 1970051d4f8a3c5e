import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, publicKeyOf, spkiOf } from './keys.ts';

test('P-256 key pair round-trips through PKCS#8 PEM', async () => {
  const keys = await generateKeyPair();
  assert.deepEqual(keys.publicKey.algorithm, { name: 'ECDSA', namedCurve: 'P-256' });
  const pem = await exportPrivateKeyPem(keys.privateKey);
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  const back = await importPrivateKeyPem(pem);
  assert.deepEqual(await spkiOf(await publicKeyOf(back)), await spkiOf(keys.publicKey));
  assert.equal(await exportPrivateKeyPem(back), pem);
});

test('SEC1 "EC PRIVATE KEY" (openssl ecparam -genkey) is accepted', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sec1 = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  const key = await importPrivateKeyPem(sec1);
  assert.equal(key.type, 'private');
});

const wrongKeys: Array<[string, () => string, RegExp]> = [
  ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /got rsa/],
  ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /secp384r1/],
  ['Ed25519', () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /got ed25519/],
  [
    'encrypted',
    () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString(),
    /encrypted/,
  ],
  ['certificate instead of key', () => '-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n', /found "CERTIFICATE"/],
  ['garbage DER', () => '-----BEGIN PRIVATE KEY-----\nMAMCAQU=\n-----END PRIVATE KEY-----\n', /could not be parsed/],
  ['two keys', () => { const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(); return k + k; }, /found 2/],
];
for (const [name, make, message] of wrongKeys) {
  test(`importPrivateKeyPem refuses ${name}`, async () => {
    await assert.rejects(importPrivateKeyPem(make()), (e: Error & { code?: string }) => e.code === 'AMBIT_SPIFFE_BAD_KEY' && message.test(e.message));
  });
}
