// The certificate a ztunnel holds for one workload identity (a SPIFFE ID), shared by every pod of
// that service account on the node.
import type { TrustBundle } from '@ambit/spiffe';

export interface WorkloadCertificate {
  /** The SPIFFE ID in the leaf's URI SAN, exactly the one that was requested. */
  identity: string;
  /** PKCS#8 PEM of the P-256 key the leaf certifies. Never log it. */
  keyPem: string;
  /** Leaf first, root last, as the CA sent it. */
  certChainPem: string[];
  /** The root the CA sent (last element of the chain), which the leaf was verified against. */
  trustBundle: TrustBundle;
  notBefore: Date;
  notAfter: Date;
}

/** What the certificate manager needs from a CA client (CaClient, or a fake in tests). */
export interface CertificateSource {
  request(identity: string, ttlSeconds: number): Promise<WorkloadCertificate>;
}

/** Istio's refresh point: not_before + (not_after - not_before) / 2. */
export function halfLife(cert: Pick<WorkloadCertificate, 'notBefore' | 'notAfter'>): number {
  const from = cert.notBefore.getTime();
  return from + Math.floor((cert.notAfter.getTime() - from) / 2);
}
