// The ztunnel's configuration, from environment variables with Istio's names where the meaning is
// the same (XDS_ADDRESS, CA_ADDRESS, TRUST_DOMAIN, LOG_FORMAT), declared once with defaults.
import { envSettings } from '@ambit/core';

export interface ZtunnelSettings {
  nodeName: string;
  xdsAddress: string;
  caAddress: string;
  /** PEM file with the mesh root(s), to verify the control plane. */
  rootCa: string;
  /** The node's bearer credential (lab: issued by the supervisor). */
  tokenFile: string;
  trustDomain: string;
  rootNamespace: string;
  clusterId: string;
  handoffSocket: string;
  adminPort: number;
  metricsPort: number;
  readinessPort: number;
  /** Where admin/metrics/readiness listen (the node's address space). */
  listenHost: string;
  logFormat: 'json' | 'text';
}

export function readSettings(env: NodeJS.ProcessEnv): ZtunnelSettings {
  const { required, port } = envSettings(env, 'AMBIT_ZTUNNEL_BAD_SETTING');
  const xdsAddress = required('XDS_ADDRESS');
  return {
    nodeName: required('NODE_NAME'),
    xdsAddress,
    caAddress: env['CA_ADDRESS'] || xdsAddress,
    rootCa: required('ROOT_CA'),
    tokenFile: required('TOKEN_FILE'),
    trustDomain: env['TRUST_DOMAIN'] || 'cluster.local',
    rootNamespace: env['ROOT_NAMESPACE'] || 'istio-system',
    clusterId: env['CLUSTER_ID'] || 'Kubernetes',
    handoffSocket: required('HANDOFF_SOCKET'),
    adminPort: port('ADMIN_PORT', 15000),
    metricsPort: port('METRICS_PORT', 15020),
    readinessPort: port('READINESS_PORT', 15021),
    listenHost: env['LISTEN_HOST'] || '0.0.0.0',
    logFormat: env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
  };
}
