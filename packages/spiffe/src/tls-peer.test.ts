import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetailedPeerCertificate } from 'node:tls';
import { peerChainFromTls } from './tls-peer.ts';

function fake(raw: string, issuer?: object): DetailedPeerCertificate {
  const cert = { raw: Buffer.from(raw) } as unknown as DetailedPeerCertificate & { issuerCertificate: DetailedPeerCertificate };
  cert.issuerCertificate = (issuer ?? cert) as DetailedPeerCertificate; // a root points to itself
  return cert;
}

test('walks issuerCertificate links leaf first and stops at the self-referencing root', () => {
  const root = fake('root');
  const inter = fake('inter', root);
  const leaf = fake('leaf', inter);
  assert.deepEqual(peerChainFromTls(leaf).map(String), ['leaf', 'inter', 'root']);
});

test('no peer certificate gives an empty chain (refused by verifyPeerChain)', () => {
  assert.deepEqual(peerChainFromTls({}), []);
  assert.deepEqual(peerChainFromTls(undefined), []);
});

test('a cycle between two certificates terminates', () => {
  const a = fake('a');
  const b = fake('b', a);
  (a as unknown as { issuerCertificate: object }).issuerCertificate = b;
  assert.deepEqual(peerChainFromTls(b).map(String), ['b', 'a']);
});
