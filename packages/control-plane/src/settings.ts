// The control plane's configuration, from environment variables with Istio's names where the
// meaning is the same, declared once with their defaults.
import { AmbitError, envSettings } from '@ambit/core';
import { DEFAULT_MESH, type MeshSettings } from './model/mesh.ts';

export interface ControlPlaneSettings {
  mesh: MeshSettings;
  /** Directory of YAML files (the lab writes its cluster state there). */
  configDir: string;
  /** Where the self-signed root is kept, or a plug-in CA's files are read from. */
  caDir: string;
  /** JSON file of node credential hashes (lab); empty = no bearer authentication on 15010. */
  nodeCredentials: string;
  listenHost: string;
  plaintextPort: number;
  tlsPort: number;
  monitoringPort: number;
  /** Extra names the serving certificate carries (the address ztunnels dial). */
  serverAddresses: string[];
  workloadCertTtlSeconds: number;
  maxWorkloadCertTtlSeconds: number;
  debounceMs: number;
  logFormat: 'json' | 'text';
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new AmbitError('AMBIT_CP_BAD_SETTING', `${name}=${text} is not a positive number of seconds`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  const { port } = envSettings(env, 'AMBIT_CP_BAD_SETTING');
  const configDir = env['CONFIG_DIR'];
  if (!configDir) throw new AmbitError('AMBIT_CP_BAD_SETTING', 'CONFIG_DIR is required: the directory of YAML files to serve');
  return {
    mesh: {
      ...DEFAULT_MESH,
      trustDomain: env['TRUST_DOMAIN'] || DEFAULT_MESH.trustDomain,
      rootNamespace: env['ROOT_NAMESPACE'] || DEFAULT_MESH.rootNamespace,
      clusterId: env['CLUSTER_ID'] || DEFAULT_MESH.clusterId,
    },
    configDir,
    caDir: env['CA_DIR'] || `${configDir}/../ca`,
    nodeCredentials: env['NODE_CREDENTIALS'] ?? '',
    listenHost: env['LISTEN_HOST'] || '0.0.0.0',
    plaintextPort: port('XDS_PLAINTEXT_PORT', 15010),
    tlsPort: port('XDS_TLS_PORT', 15012),
    monitoringPort: port('MONITORING_PORT', 15014),
    serverAddresses: (env['SERVER_ADDRESSES'] ?? '').split(',').filter(Boolean),
    workloadCertTtlSeconds: seconds(env, 'DEFAULT_WORKLOAD_CERT_TTL', 24 * 3600),
    maxWorkloadCertTtlSeconds: seconds(env, 'MAX_WORKLOAD_CERT_TTL', 90 * 24 * 3600),
    debounceMs: Number(env['PILOT_DEBOUNCE_AFTER'] ?? '100'),
    logFormat: env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
  };
}
