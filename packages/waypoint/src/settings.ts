// The waypoint's configuration, from the environment the deployment gives its container (ADR 0007
// "Waypoint settings"), Istio's names where they exist, declared once with defaults.
import { envSettings } from '@ambit/core';
import { WAYPOINT_CODES } from './errors.ts';

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

export function readSettings(env: NodeJS.ProcessEnv): WaypointSettings {
  const { required, integer, oneOf } = envSettings(env, WAYPOINT_CODES.badSetting, { requiredHint: 'the waypoint Deployment sets it (ADR 0007)' });
  const xdsAddress = required('XDS_ADDRESS');
  const podIp = required('POD_IP');
  return {
    nodeName: required('NODE_NAME'),
    podName: required('POD_NAME'),
    podNamespace: required('POD_NAMESPACE'),
    podIp,
    serviceAccount: required('SERVICE_ACCOUNT'),
    gatewayName: required('GATEWAY_NAME'),
    xdsAddress,
    caAddress: env['CA_ADDRESS'] || xdsAddress,
    rootCa: required('ROOT_CA'),
    tokenFile: required('TOKEN_FILE'),
    trustDomain: env['TRUST_DOMAIN'] || 'cluster.local',
    clusterId: env['CLUSTER_ID'] || 'Kubernetes',
    hbonePort: integer('HBONE_PORT', 15008, 1, 65535),
    adminPort: integer('ADMIN_PORT', 15000, 1, 65535),
    metricsPort: integer('METRICS_PORT', 15020, 1, 65535),
    readinessPort: integer('READINESS_PORT', 15021, 1, 65535),
    listenHost: env['LISTEN_HOST'] || '0.0.0.0',
    drainMs: integer('DRAIN_MS', 5000, 0, 600_000),
    logFormat: env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
    accessLog: oneOf('ACCESS_LOG', ['json', 'off'], 'json'),
  };
}
