// The control plane's CA (istiod's CA role): CreateCertificate, node credentials, 15012 TLS, root rotation.
export {
  CaService,
  DEFAULT_WORKLOAD_CERT_TTL_SECONDS,
  MAX_WORKLOAD_CERT_TTL_SECONDS,
  MAX_CA_REQUEST_BYTES,
  IMPERSONATED_IDENTITY,
  REFUSAL_REASONS,
  type CaServiceOptions,
  type CreateCertificateResult,
  type IdentityDirectory,
  type RefusalReason,
  type RotationPhase,
} from './ca-service.ts';
export {
  NodeTokenAuthenticator,
  issueNodeCredentials,
  bearerToken,
  hashToken,
  parseNodesFile,
  MAX_BEARER_LENGTH,
  type Caller,
  type CallerAuthenticator,
  type IssuedNodeCredentials,
  type NodeTokenAuthenticatorOptions,
} from './credentials.ts';
export {
  ServingCertificate,
  caChannelCredentials,
  istiodIdentity,
  certificateIdentity,
  ISTIOD_HOST,
  DEFAULT_SERVING_TTL_SECONDS,
  type CaChannel,
  type ServingCertificateOptions,
} from './server-tls.ts';
export { CA_CODES, type CaErrorCode } from './errors.ts';
