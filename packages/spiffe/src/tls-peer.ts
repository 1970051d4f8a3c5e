// node:tls gives the peer's chain as linked objects (getPeerCertificate(true)); the verifier wants
// DER, leaf first. The issuer link of a self-signed root points to itself, so stop on repeats.
import type { DetailedPeerCertificate } from 'node:tls';
import { MAX_CHAIN_LENGTH } from './verify-peer.ts';

export function peerChainFromTls(peer: DetailedPeerCertificate | Record<string, never> | undefined): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<object>();
  let current: DetailedPeerCertificate | undefined = peer && 'raw' in peer ? (peer as DetailedPeerCertificate) : undefined;
  while (current?.raw && !seen.has(current) && chain.length <= MAX_CHAIN_LENGTH) {
    seen.add(current);
    chain.push(current.raw);
    const next: DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (!next || next === current || (next.raw && next.raw.equals(current.raw))) break;
    current = next;
  }
  return chain;
}
