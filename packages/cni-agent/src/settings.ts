// The agent's configuration: environment variables, declared once here with their defaults
// (Istio's names where the meaning is the same). Every problem is reported at once.
import { isAbsolute } from 'node:path';
import { parseDuration, type LogFormat } from '@ambit/core';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';

export interface Settings {
  /** host:port of the control plane's xDS (15012 TLS, 15010 plaintext when ROOT_CA is unset). */
  xdsAddress: string;
  /** PEM roots of the mesh; absent = plaintext (lab tests on 15010). */
  rootCa: string | undefined;
  /** File holding the node's bearer credential; absent = no authorization header. */
  tokenFile: string | undefined;
  nodeName: string;
  trustDomain: string;
  /** The ztunnel connects here. */
  handoffSocket: string;
  /** The CNI plugin connects here (plugin config key `agentSocket`). */
  pluginSocket: string;
  /** Known pods survive an agent restart here; '' = no persistence. */
  stateFile: string;
  monitoringAddress: string;
  monitoringPort: number;
  /** How long a plugin ADD of an enrolled pod waits for capture and the ztunnel's ack. */
  addTimeoutMs: number;
  /** How long one hand-off request waits for its ack before the connection is closed. */
  ackTimeoutMs: number;
  logFormat: LogFormat;
  logLevel: string;
  /** Enforce NetworkPolicy and Calico policy in this node's kernel (table inet ambit-netpol). */
  networkPolicy: boolean;
}

export const DEFAULTS = {
  ROOT_CA: '',
  TOKEN_FILE: '',
  TRUST_DOMAIN: 'cluster.local',
  HANDOFF_SOCKET: '/var/run/ambit/ztunnel.sock',
  PLUGIN_SOCKET: '/var/run/ambit/cni-agent.sock',
  STATE_FILE: '/var/run/ambit/cni-agent/pods.json',
  MONITORING_ADDRESS: '0.0.0.0',
  MONITORING_PORT: '15025',
  ADD_TIMEOUT: '10s',
  ACK_TIMEOUT: '5s',
  LOG_FORMAT: 'text',
  LOG_LEVEL: 'info',
  NETWORK_POLICY: 'enabled',
} as const;

export function loadSettings(env: Readonly<Record<string, string | undefined>> = process.env): Settings {
  const problems: string[] = [];
  const get = (name: keyof typeof DEFAULTS): string => {
    const v = env[name];
    return v === undefined || v === '' ? DEFAULTS[name] : v;
  };
  const required = (name: string, hint: string): string => {
    const v = env[name];
    if (v === undefined || v === '') {
      problems.push(`${name} is required (${hint})`);
      return '';
    }
    return v;
  };
  const path = (name: keyof typeof DEFAULTS, optional: boolean): string => {
    const v = get(name);
    if (v === '' && optional) return '';
    if (!isAbsolute(v)) problems.push(`${name}: expected an absolute path, got ${JSON.stringify(v)}`);
    return v;
  };
  const duration = (name: 'ADD_TIMEOUT' | 'ACK_TIMEOUT'): number => {
    const v = get(name);
    try {
      const ms = parseDuration(v);
      if (ms > 0 && ms <= 300_000) return ms;
      problems.push(`${name}: expected a duration from 1ms to 5m, got ${JSON.stringify(v)}`);
    } catch {
      problems.push(`${name}: expected a duration such as 500ms or 5s, got ${JSON.stringify(v)}`);
    }
    return 0;
  };

  const xdsAddress = required('XDS_ADDRESS', 'host:port of the control plane, e.g. 10.240.0.2:15012');
  if (xdsAddress !== '' && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(xdsAddress)) problems.push(`XDS_ADDRESS: expected host:port, got ${JSON.stringify(xdsAddress)}`);
  const nodeName = required('NODE_NAME', 'the name of this node, as pods carry it in spec.nodeName');
  const rootCa = path('ROOT_CA', true);
  const tokenFile = path('TOKEN_FILE', true);
  const port = Number(get('MONITORING_PORT'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`MONITORING_PORT: expected a port 0-65535, got ${JSON.stringify(get('MONITORING_PORT'))}`);
  const logFormat = get('LOG_FORMAT');
  if (logFormat !== 'json' && logFormat !== 'text') problems.push(`LOG_FORMAT: expected json or text, got ${JSON.stringify(logFormat)}`);
  const trustDomain = get('TRUST_DOMAIN');
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) problems.push(`TRUST_DOMAIN: expected a trust domain such as cluster.local, got ${JSON.stringify(trustDomain)}`);
  const networkPolicy = get('NETWORK_POLICY');
  if (networkPolicy !== 'enabled' && networkPolicy !== 'disabled') problems.push(`NETWORK_POLICY: expected enabled or disabled, got ${JSON.stringify(networkPolicy)}`);
  const settings: Settings = {
    xdsAddress,
    rootCa: rootCa === '' ? undefined : rootCa,
    tokenFile: tokenFile === '' ? undefined : tokenFile,
    nodeName,
    trustDomain,
    handoffSocket: path('HANDOFF_SOCKET', false),
    pluginSocket: path('PLUGIN_SOCKET', false),
    stateFile: path('STATE_FILE', true),
    monitoringAddress: get('MONITORING_ADDRESS'),
    monitoringPort: port,
    addTimeoutMs: duration('ADD_TIMEOUT'),
    ackTimeoutMs: duration('ACK_TIMEOUT'),
    logFormat: logFormat === 'json' ? 'json' : 'text',
    logLevel: get('LOG_LEVEL'),
    networkPolicy: networkPolicy !== 'disabled',
  };
  if (problems.length > 0) {
    throw agentError(CNI_AGENT_ERROR_CODES.CONFIG, `invalid cni-agent configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  return settings;
}
