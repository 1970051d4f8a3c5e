// The names one xDS resource makes the waypoint subscribe to next (ADR 0007 order: LDS -> RDS ->
// CDS -> EDS), read from the decoded resources so that no compiler has to expose them.
import type { envoy } from '@ambit/xds-types';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';

/** Every cluster a RouteConfiguration's routes send to (route.cluster and weighted_clusters). */
export function routeClusters(config: envoy.RouteConfiguration): string[] {
  const names = new Set<string>();
  for (const host of config.virtual_hosts) {
    for (const route of host.routes) {
      const action = route.route;
      if (action === null || action === undefined) continue;
      if (action.cluster) names.add(action.cluster);
      for (const weighted of action.weighted_clusters?.clusters ?? []) if (weighted.name) names.add(weighted.name);
    }
  }
  return [...names];
}

/** The EDS name of a cluster: eds_cluster_config.service_name, else the cluster's own name (Envoy). */
export function edsServiceName(cluster: envoy.Cluster): string {
  if (cluster.type !== 'EDS') throw waypointError(WAYPOINT_CODES.config, `Cluster ${cluster.name}: type ${String(cluster.type)} is not supported (EDS only)`);
  const source = cluster.eds_cluster_config?.eds_config;
  if (source !== null && source !== undefined && source.config_source_specifier !== 'ads') {
    throw waypointError(WAYPOINT_CODES.config, `Cluster ${cluster.name}: eds_cluster_config.eds_config: only ads {} is supported`);
  }
  return cluster.eds_cluster_config?.service_name || cluster.name;
}
