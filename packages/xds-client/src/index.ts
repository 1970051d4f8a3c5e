// @ambit/xds-client: the Delta ADS client ztunnel and the CNI agent use to follow the control plane.
export { DeltaXdsClient, type XdsClientOptions, type XdsNode, type ClientStatus, type TypeStatus } from './client.ts';
export type { TypeSubscription, StateChange } from './state.ts';
export type { MetricsRegistry, CollectableMetric, TerminationReason } from './metrics.ts';
export { Backoff, DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, type BackoffOptions } from './backoff.ts';
export { buildNack, encodeResourceInfo, RESOURCE_INFO_TYPE_URL, type NackDetail, type Rejection } from './nack.ts';
export { XDS_CLIENT_ERROR_CODES, type XdsClientErrorCode } from './errors.ts';
