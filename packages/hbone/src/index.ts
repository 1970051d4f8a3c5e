// @ambit/hbone: HTTP/2 CONNECT over mutual TLS 1.3 with SPIFFE X.509-SVIDs (Istio's HBONE).
export { createHboneServer, HboneServer, type HboneServerOptions, type HboneServerStats, type ConnectRequest, type ConnectResult, type PeerInfo, type StreamClosedInfo } from './server.ts';
export { HbonePool, poolKeyString, type HbonePoolOptions, type HboneConnectOptions, type HboneStream, type HboneStreamInfo, type PoolKey, type PoolStats, type PoolSessionStats } from './pool.ts';
export { relay, abortDuplex, type RelayResult } from './relay.ts';
export { parseAuthority, formatAuthority, MAX_AUTHORITY_LENGTH, type Authority, type AuthorityResult } from './authority.ts';
export {
  buildBaggage,
  parseBaggage,
  buildForwarded,
  parseForwarded,
  newTraceparent,
  parseTraceparent,
  checkHeaderValue,
  MAX_HEADER_VALUE_LENGTH,
  type BaggageSource,
  type ConnectHeaders,
  type ForwardedElement,
  type Traceparent,
} from './headers.ts';
export { prepareCredentials, type HboneCredentials } from './credentials.ts';
export { PeerVerifier, sharedPeerVerifier } from './peer-verifier.ts';
export { CODES as HBONE_ERROR_CODES, HboneRefusedError, type HboneErrorCode } from './errors.ts';
export * as hboneSettings from './settings.ts';
