// The waypoint's one Listener (ADR 0007): HBONE arrives on 15008 and the CONNECT authority
// (`VIP:port`) picks a filter chain per (Service, port). HTTP ports run the HTTP connection manager
// with routes from RDS and the authorization filters before the router; ports a Service declares
// as TCP are proxied to the port's cluster as bytes.
import type { ServicePort } from '@ambit/api';
import { ENVOY_FILTER, ENVOY_TYPE, packAny, type Init, type envoy } from '@ambit/xds-types';
import { clusterName } from './clusters.ts';

/** The port waypoints (and every HBONE peer) terminate the tunnel on. */
export const WAYPOINT_HBONE_PORT = 15008;

/** Name of a waypoint's Listener: the Gateway's `namespace/name`. */
export function listenerName(namespace: string, gateway: string): string {
  return `${namespace}/${gateway}`;
}

/** Name of the RouteConfiguration (and filter chain) of one service port. */
export function routeName(host: string, port: number): string {
  return `${host}:${port}`;
}

/**
 * Whether a Service port is declared as plain TCP, so the waypoint must not parse HTTP on it:
 * `appProtocol: tcp`, or (without appProtocol) a name `tcp` or `tcp-*` (Istio's protocol selection).
 */
export function isTcpPort(port: Pick<ServicePort, 'name' | 'appProtocol'>): boolean {
  if (port.appProtocol !== undefined) return port.appProtocol.toLowerCase() === 'tcp';
  const name = (port.name ?? '').toLowerCase();
  return name === 'tcp' || name.startsWith('tcp-');
}

export interface ChainInput {
  /** The Service's FQDN. */
  host: string;
  port: number;
  clusterIp: string;
  /** Plain TCP (tcp_proxy) instead of HTTP. */
  tcp: boolean;
  /** The authorization filters for this chain, in ADR order, without the router. */
  authzFilters: Array<Init<envoy.HttpFilter>>;
}

function httpConnectionManager(chain: ChainInput): Init<envoy.HttpConnectionManager> {
  const name = routeName(chain.host, chain.port);
  return {
    codec_type: 'AUTO',
    stat_prefix: clusterName(chain.port, chain.host),
    rds: { route_config_name: name, config_source: { ads: {} } },
    // Istio's default BASE normalisation: RFC 3986 dot segments, slashes kept as sent.
    normalize_path: { value: true },
    merge_slashes: false,
    generate_request_id: { value: true },
    http_filters: [...chain.authzFilters, { name: ENVOY_FILTER.router, typed_config: packAny(ENVOY_TYPE.router, {}) }],
  };
}

function filterChain(chain: ChainInput): Init<envoy.FilterChain> {
  const filter: Init<envoy.Filter> = chain.tcp
    ? {
        name: ENVOY_FILTER.tcpProxy,
        typed_config: packAny(ENVOY_TYPE.tcpProxy, { stat_prefix: clusterName(chain.port, chain.host), cluster: clusterName(chain.port, chain.host) } satisfies Init<envoy.TcpProxy>),
      }
    : { name: ENVOY_FILTER.httpConnectionManager, typed_config: packAny(ENVOY_TYPE.httpConnectionManager, httpConnectionManager(chain)) };
  return {
    name: routeName(chain.host, chain.port),
    filter_chain_match: { destination_port: { value: chain.port }, prefix_ranges: [{ address_prefix: chain.clusterIp, prefix_len: { value: 32 } }] },
    filters: [filter],
  };
}

/** The Listener of waypoint `namespace/gateway`; chains are sorted by name so equal input gives equal bytes. */
export function waypointListener(namespace: string, gateway: string, chains: readonly ChainInput[]): Init<envoy.Listener> {
  const sorted = [...chains].sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
  return {
    name: listenerName(namespace, gateway),
    address: { socket_address: { address: '0.0.0.0', port_value: WAYPOINT_HBONE_PORT } },
    filter_chains: sorted.map(filterChain),
  };
}
