// A Listener (LDS) compiled for serving: each filter chain's match, and what the chain does with
// a connection: an HTTP connection manager (authorization filters compiled once, routes by RDS
// name) or a TCP proxy to a cluster. Everything the waypoint cannot honour throws an
// AMBIT_WAYPOINT_CONFIG error naming the field, so the Listener is NACKed and the last good one
// keeps serving (ADR 0007 "Consequences").
import { ENVOY_FILTER, ENVOY_TYPE, unpackAny, type envoy } from '@ambit/xds-types';
import type { CompiledAuthz, CompiledRoutes } from '../contracts.ts';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';
import { routeClusters } from './references.ts';
import { chainMatch, selectChain, type ChainMatch } from './filter-chain-match.ts';

export interface HttpChain {
  kind: 'http';
  name: string;
  statPrefix: string;
  /** RDS name, or undefined when the routes are inline (`inlineRoutes`). */
  routeConfigName: string | undefined;
  inlineRoutes: CompiledRoutes | undefined;
  /** Clusters the inline routes name. */
  inlineRouteClusters: string[];
  authz: CompiledAuthz;
  /** Clusters the ext_authz filters call (subscribed through CDS/EDS). */
  extAuthzClusters: string[];
  /** HCM generate_request_id (default true). */
  generateRequestId: boolean;
  /** HCM normalize_path (Istio sets it; default false in Envoy). */
  normalizePath: boolean;
  mergeSlashes: boolean;
}

export interface TcpChain {
  kind: 'tcp';
  name: string;
  statPrefix: string;
  cluster: string;
}

export type CompiledChain = HttpChain | TcpChain;

export interface CompiledListener {
  name: string;
  chains: CompiledChain[];
  defaultChain: CompiledChain | undefined;
  /** RDS names any chain needs. */
  routeConfigNames: string[];
  /** Clusters named by the listener itself (ext_authz, tcp_proxy). */
  clusters: string[];
  /** The decoded resource, for /config_dump. */
  resource: envoy.Listener;
  /** The chain serving `ip:port`. */
  select(ip: string, port: number): CompiledChain | undefined;
}

export interface ListenerCompilers {
  authz(filters: envoy.HttpFilter[]): CompiledAuthz;
  routes(config: envoy.RouteConfiguration): CompiledRoutes;
}

function configError(listener: string, where: string, problem: string): Error {
  return waypointError(WAYPOINT_CODES.config, `Listener ${listener}: ${where}: ${problem}`);
}

function typeNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

function unpack<T>(listener: string, where: string, any: envoy.Filter['typed_config'], expected: string): T {
  if (any === null) throw configError(listener, where, 'typed_config is unset');
  if (any.type_url !== expected) throw configError(listener, where, `typed_config is ${any.type_url}, expected ${expected}`);
  try {
    return unpackAny<T>(any);
  } catch (error) {
    throw configError(listener, where, `typed_config does not decode as ${typeNameOf(expected)}: ${(error as Error).message}`);
  }
}

function compileHttp(listener: string, where: string, name: string, filter: envoy.Filter, compilers: ListenerCompilers): HttpChain {
  const hcm = unpack<envoy.HttpConnectionManager>(listener, where, filter.typed_config, ENVOY_TYPE.httpConnectionManager);
  const codec = hcm.codec_type;
  if (codec !== 'AUTO' && codec !== 'HTTP1' && codec !== 'HTTP2') throw configError(listener, `${where}.codec_type`, `${String(codec)} is not supported (AUTO, HTTP1, HTTP2)`);
  let routeConfigName: string | undefined;
  let inlineRoutes: CompiledRoutes | undefined;
  let inlineRouteClusters: string[] = [];
  if (hcm.route_specifier === 'rds' && hcm.rds) {
    if (hcm.rds.route_config_name === '') throw configError(listener, `${where}.rds.route_config_name`, 'is empty');
    if (hcm.rds.config_source?.config_source_specifier !== 'ads') throw configError(listener, `${where}.rds.config_source`, 'only ads {} is supported');
    routeConfigName = hcm.rds.route_config_name;
  } else if (hcm.route_specifier === 'route_config' && hcm.route_config) {
    inlineRoutes = compilers.routes(hcm.route_config);
    inlineRouteClusters = routeClusters(hcm.route_config);
  } else {
    throw configError(listener, where, `route_specifier ${String(hcm.route_specifier)} is not supported (rds or route_config)`);
  }
  const filters = hcm.http_filters;
  const last = filters[filters.length - 1];
  if (last === undefined || last.name !== ENVOY_FILTER.router) throw configError(listener, `${where}.http_filters`, `the last filter must be ${ENVOY_FILTER.router}`);
  if (last.typed_config !== null && last.typed_config.type_url !== ENVOY_TYPE.router) throw configError(listener, `${where}.http_filters[${filters.length - 1}]`, `typed_config is ${last.typed_config.type_url}, expected ${ENVOY_TYPE.router}`);
  const before = filters.slice(0, -1);
  const extAuthzClusters: string[] = [];
  before.forEach((f, index) => {
    if (f.name === ENVOY_FILTER.router) throw configError(listener, `${where}.http_filters[${index}]`, 'the router must be the last filter');
    if (f.name !== ENVOY_FILTER.extAuthz) return;
    const config = unpack<envoy.ExtAuthz>(listener, `${where}.http_filters[${index}]`, f.typed_config, ENVOY_TYPE.extAuthz);
    const cluster = config.http_service?.server_uri?.cluster;
    if (!cluster) throw configError(listener, `${where}.http_filters[${index}].http_service.server_uri.cluster`, 'is unset (only http_service is supported)');
    if (!extAuthzClusters.includes(cluster)) extAuthzClusters.push(cluster);
  });
  let authz: CompiledAuthz;
  try {
    authz = compilers.authz(before);
  } catch (error) {
    throw configError(listener, `${where}.http_filters`, (error as Error).message);
  }
  return {
    kind: 'http',
    name,
    statPrefix: hcm.stat_prefix,
    routeConfigName,
    inlineRoutes,
    inlineRouteClusters,
    authz,
    extAuthzClusters,
    generateRequestId: hcm.generate_request_id?.value ?? true,
    normalizePath: hcm.normalize_path?.value ?? false,
    mergeSlashes: hcm.merge_slashes,
  };
}

function compileTcp(listener: string, where: string, name: string, filter: envoy.Filter): TcpChain {
  const proxy = unpack<envoy.TcpProxy>(listener, where, filter.typed_config, ENVOY_TYPE.tcpProxy);
  if (proxy.cluster_specifier !== 'cluster' || !proxy.cluster) throw configError(listener, `${where}.cluster`, 'is unset (weighted_clusters is not supported)');
  return { kind: 'tcp', name, statPrefix: proxy.stat_prefix, cluster: proxy.cluster };
}

function compileChain(listener: string, where: string, chain: envoy.FilterChain, compilers: ListenerCompilers): CompiledChain {
  if (chain.filters.length !== 1) throw configError(listener, `${where}.filters`, `holds ${chain.filters.length} filters; exactly one (HTTP connection manager or TCP proxy) is supported`);
  const filter = chain.filters[0] as envoy.Filter;
  const at = `${where}.filters[0]`;
  if (filter.name === ENVOY_FILTER.httpConnectionManager) return compileHttp(listener, at, chain.name, filter, compilers);
  if (filter.name === ENVOY_FILTER.tcpProxy) return compileTcp(listener, at, chain.name, filter);
  throw configError(listener, `${at}.name`, `${JSON.stringify(filter.name)} is not supported (${ENVOY_FILTER.httpConnectionManager} or ${ENVOY_FILTER.tcpProxy})`);
}

export function compileListener(resource: envoy.Listener, compilers: ListenerCompilers): CompiledListener {
  const name = resource.name;
  const chains: CompiledChain[] = [];
  const matches: ChainMatch[] = [];
  resource.filter_chains.forEach((chain, index) => {
    const where = `filter_chains[${index}]`;
    const m = chain.filter_chain_match;
    if (m !== null) {
      if (m.server_names.length > 0 || m.transport_protocol !== '' || m.application_protocols.length > 0) {
        throw configError(name, `${where}.filter_chain_match`, 'only destination_port and prefix_ranges are supported (HBONE carries no SNI or ALPN)');
      }
    }
    try {
      matches.push(chainMatch(m?.destination_port?.value, m?.prefix_ranges ?? [], `${where}.filter_chain_match`));
    } catch (error) {
      throw configError(name, where, (error as Error).message);
    }
    chains.push(compileChain(name, where, chain, compilers));
  });
  const defaultChain = resource.default_filter_chain === null ? undefined : compileChain(name, 'default_filter_chain', resource.default_filter_chain, compilers);
  const all = defaultChain === undefined ? chains : [...chains, defaultChain];
  const routeConfigNames = unique(all.flatMap((c) => (c.kind === 'http' && c.routeConfigName !== undefined ? [c.routeConfigName] : [])));
  const clusters = unique(all.flatMap((c) => (c.kind === 'http' ? [...c.extAuthzClusters, ...c.inlineRouteClusters] : [c.cluster])));
  return {
    name,
    chains,
    defaultChain,
    routeConfigNames,
    clusters,
    resource,
    select(ip, port) {
      const index = selectChain(matches, ip, port);
      return index >= 0 ? chains[index] : defaultChain;
    },
  };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
