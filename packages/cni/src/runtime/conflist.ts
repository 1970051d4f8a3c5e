// A network configuration list as a runtime reads it (spec "Network configuration"), validated
// with every problem listed, and the per-plugin configuration built from it (spec "Deriving
// execution configuration from plugin configuration").
import { CNI_CODE } from '../protocol/errors.ts';
import { isObject, type ConfigProblem } from '../protocol/net-conf.ts';
import { networkNameProblem } from '../protocol/names.ts';
import { SUPPORTED_VERSIONS, negotiateVersion } from '../protocol/versions.ts';
import type { CniResult, GcAttachment } from '../protocol/types.ts';

/** Versions the runtime can drive (those whose results it can read and convert). */
export const RUNTIME_VERSIONS: readonly string[] = SUPPORTED_VERSIONS;

export interface Conflist {
  name: string;
  /** The negotiated version every plugin is called with. */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  plugins: Array<Record<string, unknown>>;
}

export type ConflistResult = { ok: true; conflist: Conflist } | { ok: false; problems: ConfigProblem[] };

/** Keys of an entry the runtime owns and never passes through from the file. */
const RUNTIME_OWNED = ['capabilities', 'prevResult', 'cni.dev/valid-attachments', 'cni.dev/attachments'];
const PLUGIN_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function validateConflist(raw: unknown, supported: readonly string[] = RUNTIME_VERSIONS): ConflistResult {
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', message: 'the network configuration list must be a JSON object', cniCode: CNI_CODE.decode }] };
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string, cniCode: number = CNI_CODE.invalidConfig): void => {
    problems.push({ path, message, cniCode });
  };
  const name = raw['name'];
  if (typeof name !== 'string') add('name', 'is missing');
  else {
    const why = networkNameProblem(name);
    if (why) add('name', `"${name}" ${why}`);
  }
  const cniVersion = raw['cniVersion'];
  const cniVersions = raw['cniVersions'];
  if (cniVersion !== undefined && typeof cniVersion !== 'string') add('cniVersion', 'must be a string');
  if (cniVersions !== undefined && (!Array.isArray(cniVersions) || !cniVersions.every((v) => typeof v === 'string'))) add('cniVersions', 'must be an array of strings');
  let version: string | undefined;
  if (cniVersion === undefined && cniVersions === undefined) add('cniVersion', 'is missing', CNI_CODE.incompatibleVersion);
  else {
    version = negotiateVersion(typeof cniVersion === 'string' ? cniVersion : undefined, Array.isArray(cniVersions) ? cniVersions.filter((v): v is string => typeof v === 'string') : undefined, supported);
    if (version === undefined) {
      const offered = [...(Array.isArray(cniVersions) ? cniVersions : []), ...(typeof cniVersion === 'string' ? [cniVersion] : [])].map(String);
      add('cniVersion', `none of ${offered.join(', ') || '(nothing)'} is supported by this runtime (${supported.join(', ')})`, CNI_CODE.incompatibleVersion);
    }
  }
  for (const key of ['disableCheck', 'disableGC'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') add(key, 'must be true or false');
  }
  const plugins = raw['plugins'];
  const list: Array<Record<string, unknown>> = [];
  if (!Array.isArray(plugins) || plugins.length === 0) add('plugins', 'must be a non-empty array of plugin configurations');
  else {
    plugins.forEach((p: unknown, i) => {
      const at = `plugins[${i}]`;
      if (!isObject(p)) return add(at, 'must be an object');
      if (typeof p['type'] !== 'string' || p['type'] === '') add(`${at}.type`, 'is missing');
      else if (!PLUGIN_TYPE.test(p['type'])) add(`${at}.type`, `"${p['type']}" is not a plugin binary name`);
      if (p['capabilities'] !== undefined && (!isObject(p['capabilities']) || !Object.values(p['capabilities']).every((v) => typeof v === 'boolean'))) {
        add(`${at}.capabilities`, 'must map capability names to true or false');
      }
      list.push(p);
    });
  }
  if (problems.length > 0 || typeof name !== 'string' || version === undefined) return { ok: false, problems };
  return { ok: true, conflist: { name, cniVersion: version, disableCheck: raw['disableCheck'] === true, disableGC: raw['disableGC'] === true, plugins: list } };
}

export interface PluginConfigInputs {
  name: string;
  cniVersion: string;
  prevResult?: CniResult;
  capabilityArgs?: Readonly<Record<string, unknown>>;
  /** GC only. */
  validAttachments?: GcAttachment[];
}

/**
 * The object sent on stdin: the plugin entry with `name` and `cniVersion` inserted, `runtimeConfig`
 * built from the declared capabilities and what the runtime supplies, `capabilities` removed, and
 * `prevResult` or the GC keys (both spellings, as libcni sends them) when given.
 */
export function pluginStdin(plugin: Readonly<Record<string, unknown>>, inputs: PluginConfigInputs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(plugin)) if (!RUNTIME_OWNED.includes(k)) out[k] = v;
  out['name'] = inputs.name;
  out['cniVersion'] = inputs.cniVersion;
  const caps = isObject(plugin['capabilities']) ? plugin['capabilities'] : {};
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(caps)) {
    if (on === true && inputs.capabilityArgs && cap in inputs.capabilityArgs) runtimeConfig[cap] = inputs.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) out['runtimeConfig'] = runtimeConfig;
  if (inputs.prevResult) out['prevResult'] = inputs.prevResult;
  if (inputs.validAttachments) {
    out['cni.dev/valid-attachments'] = inputs.validAttachments;
    out['cni.dev/attachments'] = inputs.validAttachments;
  }
  return out;
}
