// envoy.service.discovery.v3 Delta messages as decoded by this package (Envoy's own protos from
// @grpc/grpc-js-xds). Node and the rarer sub-messages are typed loosely.
import type { Any, Duration, Status, Struct, UntypedMessage } from './google.ts';

/** envoy.config.core.v3.Node, the fields Ambit reads typed. */
export interface Node extends UntypedMessage {
  id: string;
  cluster: string;
  metadata: Struct | null;
  user_agent_name: string;
  client_features: string[];
}

export interface DeltaDiscoveryRequest {
  node: Node | null;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  resource_locators_subscribe: UntypedMessage[];
  resource_locators_unsubscribe: UntypedMessage[];
  /** Resource name -> version, sent on reconnect. */
  initial_resource_versions: Record<string, string>;
  /** '' on the first request of a type; otherwise the nonce being ACKed or NACKed. */
  response_nonce: string;
  /** Set on a NACK. */
  error_detail: Status | null;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: Resource[];
  type_url: string;
  removed_resources: string[];
  removed_resource_names: UntypedMessage[];
  nonce: string;
  control_plane: UntypedMessage | null;
}

export interface Resource {
  name: string;
  resource_name: UntypedMessage | null;
  aliases: string[];
  version: string;
  resource: Any | null;
  ttl: Duration | null;
  cache_control: { do_not_cache: boolean } | null;
  metadata: UntypedMessage | null;
}
