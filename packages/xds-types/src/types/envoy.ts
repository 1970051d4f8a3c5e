// The subset of Envoy's v3 API that Ambit's control plane emits for waypoints and the waypoint
// interprets (docs/adr/0007-waypoint.md), as decoded by this package: snake_case, unset messages
// null, oneof names present. Fields Ambit never sets are left out of these interfaces; they still
// decode (and a waypoint NACKs a resource that sets one it cannot honour).
import type { Any, BoolValue, Duration, EnumValue, Struct, UInt32Value } from './google.ts';

/** The type URLs of the typed_config messages Ambit uses. */
export const ENVOY_TYPE = {
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  rbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  extAuthz: 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  uriTemplateMatch: 'type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig',
} as const;

/** Filter names (Envoy's well-known names, as Istio writes them). */
export const ENVOY_FILTER = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  rbac: 'envoy.filters.http.rbac',
  extAuthz: 'envoy.filters.http.ext_authz',
  router: 'envoy.filters.http.router',
} as const;

// ---- envoy.config.core.v3 ----

export interface SocketAddress {
  protocol: EnumValue<'TCP' | 'UDP'>;
  address: string;
  port_value: number;
  port_specifier?: 'port_value' | 'named_port';
}

export interface Address {
  socket_address: SocketAddress | null;
  address?: 'socket_address' | 'pipe' | 'envoy_internal_address';
}

export interface CidrRange {
  address_prefix: string;
  prefix_len: UInt32Value | null;
}

export interface TypedExtensionConfig {
  name: string;
  typed_config: Any | null;
}

export interface ConfigSource {
  ads: Record<string, never> | null;
  config_source_specifier?: 'path' | 'path_config_source' | 'api_config_source' | 'ads' | 'self';
}

export interface HeaderValue {
  key: string;
  value: string;
}

export interface HeaderValueOption {
  header: HeaderValue | null;
  append_action: EnumValue<'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS'>;
}

export interface Metadata {
  filter_metadata: Record<string, Struct>;
}

export interface HttpUri {
  uri: string;
  cluster: string;
  timeout: Duration | null;
}

// ---- envoy.type.matcher.v3 / envoy.type.v3 ----

export interface RegexMatcher {
  regex: string;
}

export interface StringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  safe_regex?: RegexMatcher | null;
  contains?: string;
  ignore_case: boolean;
  match_pattern?: 'exact' | 'prefix' | 'suffix' | 'safe_regex' | 'contains' | 'custom';
}

export interface ListStringMatcher {
  patterns: StringMatcher[];
}

export interface PathMatcher {
  path: StringMatcher | null;
  rule?: 'path';
}

export interface Int64Range {
  start: string;
  end: string;
}

export interface Percent {
  value: number;
}

export interface MetadataMatcher {
  filter: string;
  path: Array<{ key: string }>;
  value: { string_match?: StringMatcher | null; present_match?: boolean; match_pattern?: string } | null;
  invert: boolean;
}

// ---- envoy.config.route.v3 ----

export interface HeaderMatcher {
  name: string;
  string_match?: StringMatcher | null;
  present_match?: boolean;
  safe_regex_match?: RegexMatcher | null;
  exact_match?: string;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  range_match?: Int64Range | null;
  header_match_specifier?: 'exact_match' | 'safe_regex_match' | 'range_match' | 'present_match' | 'prefix_match' | 'suffix_match' | 'contains_match' | 'string_match';
  invert_match: boolean;
  treat_missing_header_as_empty: boolean;
}

export interface QueryParameterMatcher {
  name: string;
  string_match?: StringMatcher | null;
  present_match?: boolean;
  query_parameter_match_specifier?: 'string_match' | 'present_match';
}

export interface RouteMatch {
  prefix?: string;
  path?: string;
  safe_regex?: RegexMatcher | null;
  path_separated_prefix?: string;
  path_specifier?: 'prefix' | 'path' | 'safe_regex' | 'connect_matcher' | 'path_separated_prefix' | 'path_match_policy';
  case_sensitive: BoolValue | null;
  headers: HeaderMatcher[];
  query_parameters: QueryParameterMatcher[];
}

export interface ClusterWeight {
  name: string;
  weight: UInt32Value | null;
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
}

export interface WeightedCluster {
  clusters: ClusterWeight[];
}

export interface RetryPolicy {
  /** Comma-separated Envoy retry conditions: 5xx, gateway-error, reset, connect-failure, retriable-status-codes, ... */
  retry_on: string;
  num_retries: UInt32Value | null;
  per_try_timeout: Duration | null;
  retriable_status_codes: number[];
  retry_back_off: { base_interval: Duration | null; max_interval: Duration | null } | null;
}

export interface RouteAction {
  cluster?: string;
  weighted_clusters?: WeightedCluster | null;
  cluster_specifier?: 'cluster' | 'cluster_header' | 'weighted_clusters' | 'cluster_specifier_plugin' | 'inline_cluster_specifier_plugin';
  /** Unset = Envoy's default 15 s; zero = no timeout (Istio sets 0s unless a route sets one). */
  timeout: Duration | null;
  retry_policy: RetryPolicy | null;
  prefix_rewrite: string;
  /** Rewrites every match of `pattern` in the path (not the query); `\N` in the substitution is capture group N. */
  regex_rewrite: RegexMatchAndSubstitute | null;
  host_rewrite_literal?: string;
  host_rewrite_specifier?: 'host_rewrite_literal' | 'auto_host_rewrite' | 'host_rewrite_header' | 'host_rewrite_path_regex';
}

/** envoy.type.matcher.v3.RegexMatchAndSubstitute. */
export interface RegexMatchAndSubstitute {
  pattern: RegexMatcher | null;
  substitution: string;
}

/** envoy.config.route.v3.RedirectAction: the route answers with a redirect instead of forwarding. */
export interface RedirectAction {
  scheme_redirect?: string;
  https_redirect?: boolean;
  scheme_rewrite_specifier?: 'https_redirect' | 'scheme_redirect';
  /** '' = the request's host. */
  host_redirect: string;
  /** 0 = the request's port. */
  port_redirect: number;
  path_redirect?: string;
  prefix_rewrite?: string;
  regex_rewrite?: RegexMatchAndSubstitute | null;
  path_rewrite_specifier?: 'path_redirect' | 'prefix_rewrite' | 'regex_rewrite';
  response_code: EnumValue<'MOVED_PERMANENTLY' | 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT'>;
  strip_query: boolean;
}

export interface DirectResponseAction {
  status: number;
  body: { inline_string?: string; specifier?: string } | null;
}

export interface Route {
  name: string;
  match: RouteMatch | null;
  route?: RouteAction | null;
  redirect?: RedirectAction | null;
  direct_response?: DirectResponseAction | null;
  action?: 'route' | 'redirect' | 'direct_response' | 'filter_action' | 'non_forwarding_action';
  metadata: Metadata | null;
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
  retry_policy: RetryPolicy | null;
}

export interface RouteConfiguration {
  name: string;
  virtual_hosts: VirtualHost[];
}

// ---- envoy.config.rbac.v3 and the HTTP RBAC filter ----

export interface Permission {
  and_rules?: { rules: Permission[] } | null;
  or_rules?: { rules: Permission[] } | null;
  any?: boolean;
  header?: HeaderMatcher | null;
  url_path?: PathMatcher | null;
  destination_ip?: CidrRange | null;
  destination_port?: number;
  destination_port_range?: { start: number; end: number } | null;
  metadata?: MetadataMatcher | null;
  not_rule?: Permission | null;
  requested_server_name?: StringMatcher | null;
  uri_template?: TypedExtensionConfig | null;
  rule?: 'and_rules' | 'or_rules' | 'any' | 'header' | 'url_path' | 'destination_ip' | 'destination_port' | 'destination_port_range' | 'metadata' | 'not_rule' | 'requested_server_name' | 'matcher' | 'uri_template';
}

export interface Principal {
  and_ids?: { ids: Principal[] } | null;
  or_ids?: { ids: Principal[] } | null;
  any?: boolean;
  authenticated?: { principal_name: StringMatcher | null } | null;
  direct_remote_ip?: CidrRange | null;
  remote_ip?: CidrRange | null;
  header?: HeaderMatcher | null;
  url_path?: PathMatcher | null;
  metadata?: MetadataMatcher | null;
  not_id?: Principal | null;
  identifier?: 'and_ids' | 'or_ids' | 'any' | 'authenticated' | 'source_ip' | 'direct_remote_ip' | 'remote_ip' | 'header' | 'url_path' | 'metadata' | 'filter_state' | 'not_id' | 'custom';
}

export interface Policy {
  permissions: Permission[];
  principals: Principal[];
}

export interface Rbac {
  action: EnumValue<'ALLOW' | 'DENY' | 'LOG'>;
  policies: Record<string, Policy>;
}

/** envoy.extensions.filters.http.rbac.v3.RBAC. */
export interface RbacFilter {
  rules: Rbac | null;
  shadow_rules: Rbac | null;
  shadow_rules_stat_prefix: string;
  rules_stat_prefix: string;
}

/** envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig. */
export interface UriTemplateMatchConfig {
  path_template: string;
}

// ---- envoy.extensions.filters.http.ext_authz.v3 ----

export interface ExtAuthzHttpService {
  server_uri: HttpUri | null;
  path_prefix: string;
  authorization_request: { allowed_headers: ListStringMatcher | null; headers_to_add: HeaderValue[] } | null;
  authorization_response: {
    allowed_upstream_headers: ListStringMatcher | null;
    allowed_client_headers: ListStringMatcher | null;
    allowed_client_headers_on_success: ListStringMatcher | null;
  } | null;
}

export interface ExtAuthz {
  http_service?: ExtAuthzHttpService | null;
  services?: 'grpc_service' | 'http_service';
  failure_mode_allow: boolean;
  /** envoy.type.v3.HttpStatus; code is a StatusCode enum (names like Forbidden, or the number). */
  status_on_error: { code: EnumValue<string> } | null;
  filter_enabled_metadata: MetadataMatcher | null;
}

// ---- envoy.extensions.filters.network.* ----

export interface HttpFilter {
  name: string;
  typed_config: Any | null;
}

export interface HttpConnectionManager {
  codec_type: EnumValue<'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3'>;
  stat_prefix: string;
  rds?: { config_source: ConfigSource | null; route_config_name: string } | null;
  route_config?: RouteConfiguration | null;
  route_specifier?: 'rds' | 'route_config' | 'scoped_routes';
  http_filters: HttpFilter[];
  normalize_path: BoolValue | null;
  merge_slashes: boolean;
  generate_request_id: BoolValue | null;
  stream_idle_timeout: Duration | null;
  request_timeout: Duration | null;
}

export interface TcpProxy {
  stat_prefix: string;
  cluster?: string;
  cluster_specifier?: 'cluster' | 'weighted_clusters';
  idle_timeout: Duration | null;
}

// ---- envoy.config.listener.v3 ----

export interface FilterChainMatch {
  destination_port: UInt32Value | null;
  prefix_ranges: CidrRange[];
  server_names: string[];
  transport_protocol: string;
  application_protocols: string[];
}

export interface Filter {
  name: string;
  typed_config: Any | null;
}

export interface FilterChain {
  name: string;
  filter_chain_match: FilterChainMatch | null;
  filters: Filter[];
}

export interface Listener {
  name: string;
  address: Address | null;
  filter_chains: FilterChain[];
  default_filter_chain: FilterChain | null;
}

// ---- envoy.config.cluster.v3 / envoy.config.endpoint.v3 ----

export interface OutlierDetection {
  consecutive_5xx: UInt32Value | null;
  consecutive_gateway_failure: UInt32Value | null;
  consecutive_local_origin_failure: UInt32Value | null;
  interval: Duration | null;
  base_ejection_time: Duration | null;
  max_ejection_time: Duration | null;
  max_ejection_percent: UInt32Value | null;
  enforcing_consecutive_5xx: UInt32Value | null;
  enforcing_consecutive_gateway_failure: UInt32Value | null;
  split_external_local_origin_errors: boolean;
}

export interface CircuitBreakerThresholds {
  priority: EnumValue<'DEFAULT' | 'HIGH'>;
  max_connections: UInt32Value | null;
  max_pending_requests: UInt32Value | null;
  max_requests: UInt32Value | null;
  max_retries: UInt32Value | null;
  retry_budget: { budget_percent: Percent | null; min_retry_concurrency: UInt32Value | null } | null;
}

export interface Cluster {
  name: string;
  type?: EnumValue<'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST'>;
  cluster_discovery_type?: 'type' | 'cluster_type';
  eds_cluster_config: { eds_config: ConfigSource | null; service_name: string } | null;
  connect_timeout: Duration | null;
  lb_policy: EnumValue<'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED' | 'LOAD_BALANCING_POLICY_CONFIG'>;
  circuit_breakers: { thresholds: CircuitBreakerThresholds[] } | null;
  outlier_detection: OutlierDetection | null;
  metadata: Metadata | null;
}

export interface LbEndpoint {
  endpoint: { address: Address | null; hostname: string } | null;
  host_identifier?: 'endpoint' | 'endpoint_name';
  health_status: EnumValue<'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED'>;
  metadata: Metadata | null;
  load_balancing_weight: UInt32Value | null;
}

export interface LocalityLbEndpoints {
  locality: { region: string; zone: string; sub_zone: string } | null;
  lb_endpoints: LbEndpoint[];
  load_balancing_weight: UInt32Value | null;
  priority: number;
}

export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints: LocalityLbEndpoints[];
}

/** The filter_metadata key marking an endpoint reached over HBONE (ADR 0007). */
export const HBONE_ENDPOINT_METADATA = 'ambit.hbone';
