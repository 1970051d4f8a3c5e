// Runs @ambit/spiffe's verifyPeerChain on the chain a TLS peer presented, with a bounded cache of
// successful results: in a mesh the same few peer certificates arrive again and again, and the
// JavaScript path check costs more than the rest of the handshake bookkeeping. An entry is keyed
// by the exact chain bytes and the check's options, belongs to one TrustBundle object (a new
// bundle starts empty) and expires at the earliest notAfter on the path. Failures are not cached.
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { peerChainFromTls, verifyPeerChain, type PeerCheck, type TrustBundle } from '@ambit/spiffe';

export interface PeerRequirement {
  bundle: TrustBundle;
  /** The server checking its clients: same trust domain as its own identity. */
  trustDomain?: string;
  purpose: 'client' | 'server';
}

interface Entry {
  identity: string;
  notAfter: number;
}

export const PEER_CACHE_SIZE = 4096;

export class PeerVerifier {
  readonly #caches = new WeakMap<TrustBundle, Map<string, Entry>>();
  readonly #max: number;

  constructor(maxEntries = PEER_CACHE_SIZE) {
    this.#max = maxEntries;
  }

  async verifySocket(socket: TLSSocket, requirement: PeerRequirement): Promise<PeerCheck> {
    let chain: Buffer[];
    try {
      chain = peerChainFromTls(socket.getPeerCertificate(true));
    } catch {
      chain = [];
    }
    return this.verify(chain, requirement);
  }

  async verify(chain: Buffer[], requirement: PeerRequirement): Promise<PeerCheck> {
    if (chain.length === 0) return { ok: false, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: 'the peer presented no certificate' };
    const hash = createHash('sha256').update(`${requirement.purpose}\0${requirement.trustDomain ?? ''}\0`);
    for (const der of chain) hash.update(der);
    const key = hash.digest('base64');
    let cache = this.#caches.get(requirement.bundle);
    const now = Date.now();
    const hit = cache?.get(key);
    if (hit && hit.notAfter > now) return { ok: true, identity: hit.identity, notAfter: new Date(hit.notAfter) };
    const options = requirement.trustDomain === undefined ? { bundle: requirement.bundle, purpose: requirement.purpose } : { bundle: requirement.bundle, purpose: requirement.purpose, trustDomain: requirement.trustDomain };
    let check: PeerCheck;
    try {
      check = await verifyPeerChain(chain, options);
    } catch (error) {
      check = { ok: false, code: 'AMBIT_SPIFFE_BAD_CHAIN', reason: `the peer check failed: ${(error as Error).message}` };
    }
    if (check.ok) {
      if (!cache) {
        cache = new Map();
        this.#caches.set(requirement.bundle, cache);
      }
      if (cache.size >= this.#max) {
        for (const [k, v] of cache) {
          if (v.notAfter <= now || cache.size >= this.#max) cache.delete(k);
          if (cache.size < this.#max / 2) break;
        }
      }
      cache.set(key, { identity: check.identity, notAfter: check.notAfter.getTime() });
    }
    return check;
  }
}

/** One cache per process: servers and pools of a ztunnel see the same peers. */
export const sharedPeerVerifier = new PeerVerifier();
