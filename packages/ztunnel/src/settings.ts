// The ztunnel's configuration, from environment variables with Istio's names where the meaning is
// the same (XDS_ADDRESS, CA_ADDRESS, TRUST_DOMAIN, LOG_FORMAT), declared once with defaults.
import { AmbitError } from '@ambit/core';

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

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new AmbitError('AMBIT_ZTUNNEL_BAD_SETTING', `${name} is required`);
  return value;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new AmbitError('AMBIT_ZTUNNEL_BAD_SETTING', `${name}=${text} is not a port number`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv): ZtunnelSettings {
  const xdsAddress = required(env, 'XDS_ADDRESS');
  return {
    nodeName: required(env, 'NODE_NAME'),
    xdsAddress,
    caAddress: env['CA_ADDRESS'] || xdsAddress,
    rootCa: required(env, 'ROOT_CA'),
    tokenFile: required(env, 'TOKEN_FILE'),
    trustDomain: env['TRUST_DOMAIN'] || 'cluster.local',
    rootNamespace: env['ROOT_NAMESPACE'] || 'istio-system',
    clusterId: env['CLUSTER_ID'] || 'Kubernetes',
    handoffSocket: required(env, 'HANDOFF_SOCKET'),
    adminPort: port(env, 'ADMIN_PORT', 15000),
    metricsPort: port(env, 'METRICS_PORT', 15020),
    readinessPort: port(env, 'READINESS_PORT', 15021),
    listenHost: env['LISTEN_HOST'] || '0.0.0.0',
    logFormat: env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
  };
}
