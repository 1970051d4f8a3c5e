// The proxies' identity layer (ztunnel, waypoint): CA client and connection across root rotations,
// per-identity certificate lifecycle, CA channel credentials, mesh trust.
export type { WorkloadCertificate, CertificateSource } from './workload-certificate.ts';
export { halfLife } from './workload-certificate.ts';
export { CaClient, DEFAULT_CA_TIMEOUT_MS, type CaClientOptions } from './ca-client.ts';
export { CaConnection, type CaConnectionOptions } from './ca-connection.ts';
export { caChannelCredentials, uriSans, ISTIOD_HOST, type CaChannel, type CaChannelOptions } from './ca-credentials.ts';
export {
  CertificateManager,
  DEFAULT_TTL_SECONDS,
  DEFAULT_MIN_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  type CertificateManagerOptions,
  type CertificateManagerEvents,
  type CertificateState,
  type CertificateStatus,
  type Timers,
} from './certificate-manager.ts';
export { MeshTrust, parseTrustBundle } from './mesh-trust.ts';
export { backoffDelay, type BackoffOptions } from './backoff.ts';
export { CaError, IDENTITY_CODES, type IdentityErrorCode } from './errors.ts';
