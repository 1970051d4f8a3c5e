// The waypoint's one Listener (ADR 0007): HBONE arrives on 15008 and the CONNECT authority picks a
// filter chain: `VIP:port` one per bound (Service, port), `podIP:port` one per port of a pod bound
// for workload traffic. HTTP ports run the HTTP connection manager with routes from RDS and the
// authorization filters before the router; ports declared as TCP are proxied to the port's
// cluster as bytes.
import { isIPv6 } from 'node:net';
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

/** One filter chain of the Listener, whatever the traffic is addressed to. */
export interface ChainInput {
  /** The chain's name; for HTTP also its RouteConfiguration's name. */
  name: string;
  /** The destination address the CONNECT authority must carry (a ClusterIP or a pod IP). */
  address: string;
  port: number;
  /** The cluster a TCP chain proxies to; also the chains' stat_prefix. */
  cluster: string;
  /** Plain TCP (tcp_proxy) instead of HTTP. */
  tcp: boolean;
  /** The authorization filters for this chain, in ADR order, without the router. */
  authzFilters: Array<Init<envoy.HttpFilter>>;
}

/** The chain of one Service port: named `<host>:<port>`, matched on the ClusterIP. */
export function serviceChain(input: { host: string; port: number; clusterIp: string; tcp: boolean; authzFilters: Array<Init<envoy.HttpFilter>> }): ChainInput {
  return { name: routeName(input.host, input.port), address: input.clusterIp, port: input.port, cluster: clusterName(input.port, input.host), tcp: input.tcp, authzFilters: input.authzFilters };
}

/**
 * Name of the filter chain, RouteConfiguration, Cluster and ClusterLoadAssignment of one pod port
 * reached by its pod IP (workload-addressed traffic): `inbound-pod|<port>||<podIP>`, shaped like
 * Istio's `<direction>|<port>|<subset>|<host>` cluster names with the pod IP as the host, so it
 * can never collide with a Service's `<host>:<port>` or `outbound|...` names.
 */
export function podPortName(ip: string, port: number): string {
  return `inbound-pod|${port}||${ip}`;
}

/** The chain of one pod port: matched on the pod IP; its route and cluster carry the same name. */
export function podChain(input: { ip: string; port: number; tcp: boolean; authzFilters: Array<Init<envoy.HttpFilter>> }): ChainInput {
  const name = podPortName(input.ip, input.port);
  return { name, address: input.ip, port: input.port, cluster: name, tcp: input.tcp, authzFilters: input.authzFilters };
}

function httpConnectionManager(chain: ChainInput): Init<envoy.HttpConnectionManager> {
  return {
    codec_type: 'AUTO',
    stat_prefix: chain.cluster,
    rds: { route_config_name: chain.name, config_source: { ads: {} } },
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
        typed_config: packAny(ENVOY_TYPE.tcpProxy, { stat_prefix: chain.cluster, cluster: chain.cluster } satisfies Init<envoy.TcpProxy>),
      }
    : { name: ENVOY_FILTER.httpConnectionManager, typed_config: packAny(ENVOY_TYPE.httpConnectionManager, httpConnectionManager(chain)) };
  return {
    name: chain.name,
    // One address exactly: /32 for IPv4, /128 for IPv6 (pods may be IPv6).
    filter_chain_match: { destination_port: { value: chain.port }, prefix_ranges: [{ address_prefix: chain.address, prefix_len: { value: isIPv6(chain.address) ? 128 : 32 } }] },
    filters: [filter],
  };
}

/**
 * The Listener of waypoint `namespace/gateway`. Chains are sorted by name (numbers compared as
 * numbers, so port 80 before 5432) so equal input gives equal bytes; the order does not decide
 * which chain serves a CONNECT (the most specific match does).
 */
export function waypointListener(namespace: string, gateway: string, chains: readonly ChainInput[]): Init<envoy.Listener> {
  const sorted = [...chains].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return {
    name: listenerName(namespace, gateway),
    address: { socket_address: { address: '0.0.0.0', port_value: WAYPOINT_HBONE_PORT } },
    filter_chains: sorted.map(filterChain),
  };
}
