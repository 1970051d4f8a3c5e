// The waypoint's config compilers, router and path normalisation (authz/, routing/), loaded when
// the process starts. While those parts are still being written a build may lack them: the
// waypoint then still starts (ports, identity, xDS), NACKs every resource with the reason and
// never reports ready, instead of failing to start.
import { errorMessage, type Logger } from '@ambit/core';
import type { WaypointParts } from './app.ts';
import { WAYPOINT_CODES, waypointError } from './errors.ts';

export async function loadParts(logger: Logger): Promise<WaypointParts> {
  try {
    const [authz, path, routes, endpoints, cluster, execute] = await Promise.all([
      import('./authz/index.ts'),
      import('./authz/path.ts'),
      import('./routing/routes.ts'),
      import('./routing/endpoints.ts'),
      import('./routing/cluster.ts'),
      import('./routing/execute.ts'),
    ]);
    return {
      compilers: { authz: authz.compileAuthz, routes: routes.compileRoutes, cluster: cluster.createClusterRuntime, endpoints: endpoints.endpointsFromAssignment },
      executeRequest: execute.executeRequest,
      normalizePath: path.normalizePath,
    };
  } catch (error) {
    const why = errorMessage(error);
    logger.error({ code: WAYPOINT_CODES.config, err: why }, 'the authorization and routing parts are missing from this build; every resource will be NACKed');
    const missing = (): never => {
      throw waypointError(WAYPOINT_CODES.config, `this waypoint build cannot compile configuration: ${why}`);
    };
    return { compilers: { authz: missing, routes: missing, cluster: missing, endpoints: missing }, executeRequest: missing, normalizePath: missing };
  }
}
