// The ambit-cni plugin configuration (one conflist entry as the runtime hands it over), validated
// into a typed value with every problem listed. Keys Ambit does not know are allowed: the spec
// says runtimes pass plugin-specific keys through, and `args`/`runtimeConfig` are runtime-owned.
import { isAbsolute } from 'node:path';
import { CNI_CODE } from '../protocol/errors.ts';
import { isObject, sortProblems, validateNetConf, type ConfigProblem, type NetConf } from '../protocol/net-conf.ts';
import { parseDns } from '../protocol/result.ts';
import type { CniDns } from '../protocol/types.ts';
import type { Verb } from '../protocol/env.ts';
import { DEFAULT_AGENT_SOCKET } from './handoff.ts';

export const DEFAULT_DATA_DIR = '/var/lib/ambit/cni';
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface PluginConfig extends NetConf {
  /** The IPAM plugin to delegate to (primary mode). */
  ipam?: { type: string };
  mtu?: number;
  /** Attachment records live in `<dataDir>/attachments`. */
  dataDir: string;
  dns?: CniDns;
  logLevel?: string;
  logFile?: string;
  /** The cni-agent's Unix socket; absent = no hand-off (ADD only records). `true` = the default path. */
  agentSocket?: string;
  /** Deadline of one exchange with the agent. */
  agentTimeoutMs?: number;
}

export type PluginConfigResult = { ok: true; config: PluginConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates an ambit-cni plugin configuration. `verb` adds the verb-specific rules (STATUS and GC
 * need 1.1.0; GC needs the attachment list). Problems come ordered decode, version, rest, so the
 * first one's code is the one to report.
 */
export function validatePluginConfig(raw: unknown, verb?: Verb): PluginConfigResult {
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', message: 'the configuration must be a JSON object', cniCode: CNI_CODE.decode }] };
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string, cniCode: number = CNI_CODE.invalidConfig): void => {
    problems.push({ path, message, cniCode });
  };
  const config: PluginConfig = { ...validateNetConf(raw, verb, problems), dataDir: DEFAULT_DATA_DIR };

  const ipam = raw['ipam'];
  if (ipam !== undefined) {
    if (!isObject(ipam)) add('ipam', 'must be an object with a "type"');
    else if (typeof ipam['type'] !== 'string' || ipam['type'] === '') add('ipam.type', 'is missing');
    else if (!PLUGIN_NAME.test(ipam['type'])) add('ipam.type', `"${ipam['type']}" is not a plugin binary name`, CNI_CODE.unsupportedField);
    else config.ipam = { type: ipam['type'] };
  }
  const mtu = raw['mtu'];
  if (mtu !== undefined) {
    if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) add('mtu', `${JSON.stringify(mtu)} must be an integer from 68 to 65535`);
    else config.mtu = mtu;
  }
  const dataDir = raw['dataDir'];
  if (dataDir !== undefined) {
    if (typeof dataDir !== 'string' || !isAbsolute(dataDir)) add('dataDir', `${JSON.stringify(dataDir)} must be an absolute path`);
    else config.dataDir = dataDir;
  }
  if (raw['ipMasq'] === true) add('ipMasq', 'ipMasq=true is not supported by ambit-cni', CNI_CODE.unsupportedField);
  const dns = raw['dns'];
  if (dns !== undefined) {
    const parsed = parseDns(dns, 'dns');
    if (typeof parsed === 'string') add('dns', parsed);
    else config.dns = parsed;
  }
  for (const key of ['logLevel', 'logFile'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') add(key, 'must be a string');
    else if (key === 'logLevel' && !LOG_LEVELS.includes(v)) add(key, `"${v}" is not one of ${LOG_LEVELS.join(', ')}`);
    else if (key === 'logFile' && !isAbsolute(v)) add(key, `"${v}" must be an absolute path`);
    else config[key] = v;
  }
  const agentSocket = raw['agentSocket'];
  if (agentSocket === true) config.agentSocket = DEFAULT_AGENT_SOCKET;
  else if (agentSocket !== undefined && agentSocket !== false) {
    if (typeof agentSocket !== 'string' || !isAbsolute(agentSocket)) add('agentSocket', `${JSON.stringify(agentSocket)} must be an absolute path (or true for ${DEFAULT_AGENT_SOCKET})`);
    else config.agentSocket = agentSocket;
  }
  const agentTimeoutMs = raw['agentTimeoutMs'];
  if (agentTimeoutMs !== undefined) {
    if (typeof agentTimeoutMs !== 'number' || !Number.isInteger(agentTimeoutMs) || agentTimeoutMs < 100 || agentTimeoutMs > 120_000) add('agentTimeoutMs', `${JSON.stringify(agentTimeoutMs)} must be an integer from 100 to 120000`);
    else config.agentTimeoutMs = agentTimeoutMs;
  }
  if (config.prevResult !== undefined && config.ipam !== undefined && verb === 'ADD') {
    add('ipam', `ipam (type "${config.ipam.type}") is not used when ambit-cni is chained after another plugin (prevResult present); remove it`, CNI_CODE.unsupportedField);
  }
  sortProblems(problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}
