// The waypoint's configuration, from the environment the deployment gives its container (ADR 0007
// "Waypoint settings"), Istio's names where they exist, declared once with defaults.
import { WAYPOINT_CODES, waypointError } from './errors.ts';

export interface WaypointSettings {
  nodeName: string;
  podName: string;
  podNamespace: string;
  podIp: string;
  serviceAccount: string;
  /** The Gateway this waypoint serves; the Listener is `<podNamespace>/<gatewayName>`. */
  gatewayName: string;
  xdsAddress: string;
  caAddress: string;
  /** PEM file with the mesh root(s), to verify the control plane and HBONE peers. */
  rootCa: string;
  /** The bearer credential for the CA and xDS (lab: the node's credential). */
  tokenFile: string;
  trustDomain: string;
  clusterId: string;
  hbonePort: number;
  adminPort: number;
  metricsPort: number;
  readinessPort: number;
  /** Where HBONE, metrics and readiness listen; admin is always loopback. */
  listenHost: string;
  /** How long open requests may finish after SIGTERM. */
  drainMs: number;
  logFormat: 'json' | 'text';
  /** One access log line per request (`json`, the default) or none (`off`, Istio's default mesh config). */
  accessLog: 'json' | 'off';
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw waypointError(WAYPOINT_CODES.badSetting, `${name} is required`, { hint: 'the waypoint Deployment sets it (ADR 0007)' });
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const text = env[name];
  if (!text) return fallback;
  if (!(values as readonly string[]).includes(text)) throw waypointError(WAYPOINT_CODES.badSetting, `${name}=${text} is not one of ${values.join(', ')}`);
  return text as T;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw waypointError(WAYPOINT_CODES.badSetting, `${name}=${text} is not an integer in [${min}, ${max}]`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv): WaypointSettings {
  const xdsAddress = required(env, 'XDS_ADDRESS');
  const podIp = required(env, 'POD_IP');
  return {
    nodeName: required(env, 'NODE_NAME'),
    podName: required(env, 'POD_NAME'),
    podNamespace: required(env, 'POD_NAMESPACE'),
    podIp,
    serviceAccount: required(env, 'SERVICE_ACCOUNT'),
    gatewayName: required(env, 'GATEWAY_NAME'),
    xdsAddress,
    caAddress: env['CA_ADDRESS'] || xdsAddress,
    rootCa: required(env, 'ROOT_CA'),
    tokenFile: required(env, 'TOKEN_FILE'),
    trustDomain: env['TRUST_DOMAIN'] || 'cluster.local',
    clusterId: env['CLUSTER_ID'] || 'Kubernetes',
    hbonePort: integer(env, 'HBONE_PORT', 15008, 1, 65535),
    adminPort: integer(env, 'ADMIN_PORT', 15000, 1, 65535),
    metricsPort: integer(env, 'METRICS_PORT', 15020, 1, 65535),
    readinessPort: integer(env, 'READINESS_PORT', 15021, 1, 65535),
    listenHost: env['LISTEN_HOST'] || '0.0.0.0',
    drainMs: integer(env, 'DRAIN_MS', 5000, 0, 600_000),
    logFormat: env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
    accessLog: oneOf(env, 'ACCESS_LOG', ['json', 'off'], 'json'),
  };
}
