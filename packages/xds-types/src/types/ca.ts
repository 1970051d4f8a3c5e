// istio.v1.auth (proto/istio/ca/ca.proto) as decoded by this package.
import type { Int64, Struct } from './google.ts';

export interface IstioCertificateRequest {
  /** PEM PKCS#10. */
  csr: string;
  /** Seconds, as a decimal string. */
  validity_duration: Int64;
  /** ImpersonatedIdentity for node agents. */
  metadata: Struct | null;
}

export interface IstioCertificateResponse {
  /** PEM: leaf first, root last. */
  cert_chain: string[];
}
