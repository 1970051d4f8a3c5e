// The Delta ADS server of the control plane (transport only; resources come from a ResourceSource).
export { DeltaAdsServer, type DeltaAdsServerOptions } from './server.ts';
export type {
  AuthenticatedPeer,
  ClientAuthenticator,
  ClientInfo,
  ClientStatus,
  NackStatus,
  ResourceChange,
  ResourceSnapshot,
  ResourceSource,
  TypeStatus,
  XdsResource,
  XdsServerCallbacks,
} from './types.ts';
export { XDS_SERVER_ERROR_CODES, XdsStreamError, type XdsServerErrorCode } from './errors.ts';
export { RESOURCE_INFO_TYPE_URL } from './nack.ts';
export { encodeResourceInfo } from './wire.ts';
