// The parts of the waypoint written against contracts.ts (authz/, routing/), put together for the
// process: the config compilers the xDS layer calls, the router's executor and the HCM's path
// normalisation.
import type { WaypointParts } from './app.ts';
import { compileAuthz, normalizePath } from './authz/index.ts';
import { createClusterRuntime } from './routing/cluster.ts';
import { endpointsFromAssignment } from './routing/endpoints.ts';
import { executeRequest } from './routing/execute.ts';
import { compileRoutes } from './routing/routes.ts';

export const WAYPOINT_PARTS: WaypointParts = {
  compilers: { authz: compileAuthz, routes: compileRoutes, cluster: (cluster) => createClusterRuntime(cluster), endpoints: endpointsFromAssignment },
  executeRequest,
  normalizePath,
};
