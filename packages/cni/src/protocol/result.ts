// Parsing and version conversion of Success results. Results are checked field by field but kept
// as the object they came in, so a chained plugin can pass on keys it does not know unchanged.
import { CNI_CODE, cniError } from './errors.ts';
import { atLeast, compareVersions, parseVersion } from './versions.ts';
import type { CniDns, CniResult } from './types.ts';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeError(where: string, message: string): Error {
  return cniError(CNI_CODE.decode, 'AMBIT_CNI_BAD_RESULT', `${where}: ${message}`);
}

function checkArrayOf(value: Obj, key: string, where: string, check: (item: Obj, at: string) => void): void {
  const list = value[key];
  if (list === undefined) return;
  if (!Array.isArray(list)) throw decodeError(where, `${key} must be an array`);
  list.forEach((item: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!isObject(item)) throw decodeError(where, `${at} must be an object`);
    check(item, at);
  });
}

function expect(item: Obj, key: string, type: 'string' | 'number', at: string, where: string, required = false): void {
  const v = item[key];
  if (v === undefined && !required) return;
  if (typeof v !== type) throw decodeError(where, `${at}.${key} must be a ${type}${required ? ' (required)' : ''}`);
}

/**
 * Checks that `raw` is a Success result (any version from 0.3.0 on) and returns it as a CniResult.
 * `where` names the source for messages, e.g. `prevResult` or `output of plugin bridge`.
 */
export function parseResult(raw: unknown, where: string): CniResult {
  if (!isObject(raw)) throw decodeError(where, 'a result must be a JSON object');
  const version = raw['cniVersion'];
  if (typeof version !== 'string' || parseVersion(version) === undefined) throw decodeError(where, 'cniVersion must be a version string like "1.0.0"');
  if (compareVersions(version, '0.3.0') < 0) {
    throw cniError(CNI_CODE.incompatibleVersion, 'AMBIT_CNI_INCOMPATIBLE_VERSION', `${where}: result version ${version} is older than 0.3.0 and cannot be converted`);
  }
  checkArrayOf(raw, 'interfaces', where, (item, at) => {
    expect(item, 'name', 'string', at, where, true);
    expect(item, 'mac', 'string', at, where);
    expect(item, 'sandbox', 'string', at, where);
    expect(item, 'mtu', 'number', at, where);
  });
  checkArrayOf(raw, 'ips', where, (item, at) => {
    expect(item, 'address', 'string', at, where, true);
    expect(item, 'gateway', 'string', at, where);
    expect(item, 'interface', 'number', at, where);
  });
  checkArrayOf(raw, 'routes', where, (item, at) => {
    expect(item, 'dst', 'string', at, where, true);
    expect(item, 'gw', 'string', at, where);
  });
  if (raw['dns'] !== undefined && !isObject(raw['dns'])) throw decodeError(where, 'dns must be an object');
  return raw as unknown as CniResult;
}

const INTERFACE_FIELDS_1_1 = ['mtu', 'socketPath', 'pciID'];
const ROUTE_FIELDS_1_1 = ['mtu', 'advmss', 'priority', 'table', 'scope'];

function without(item: unknown, keys: readonly string[]): unknown {
  if (!isObject(item)) return item;
  const copy: Obj = { ...item };
  for (const key of keys) delete copy[key];
  return copy;
}

/**
 * Converts a parsed result to `toVersion` (1.0.0 or later), the way libcni's converters do:
 * from 0.3.x/0.4.0 drop `ips[].version`; down to 1.0.0 drop the fields 1.1.0 added. Everything
 * else, including keys this code does not know, is kept.
 */
export function convertResult(result: CniResult, toVersion: string): CniResult {
  if (!atLeast(toVersion, '1.0.0')) {
    throw cniError(CNI_CODE.incompatibleVersion, 'AMBIT_CNI_INCOMPATIBLE_VERSION', `cannot convert a result to version ${toVersion}; only 1.0.0 and later are produced`);
  }
  const copy = structuredClone(result) as unknown as Obj;
  const from = result.cniVersion;
  if (!atLeast(from, '1.0.0') && Array.isArray(copy['ips'])) copy['ips'] = copy['ips'].map((ip: unknown) => without(ip, ['version']));
  if (!atLeast(toVersion, '1.1.0')) {
    if (Array.isArray(copy['interfaces'])) copy['interfaces'] = copy['interfaces'].map((i: unknown) => without(i, INTERFACE_FIELDS_1_1));
    if (Array.isArray(copy['routes'])) copy['routes'] = copy['routes'].map((r: unknown) => without(r, ROUTE_FIELDS_1_1));
  }
  copy['cniVersion'] = toVersion;
  return copy as unknown as CniResult;
}

export function parseDns(raw: unknown, where: string): CniDns | string {
  if (!isObject(raw)) return `${where} must be an object`;
  const dns: CniDns = {};
  for (const key of ['nameservers', 'search', 'options'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return `${where}.${key} must be an array of strings`;
    dns[key] = v as string[];
  }
  const domain = raw['domain'];
  if (domain !== undefined) {
    if (typeof domain !== 'string') return `${where}.domain must be a string`;
    dns.domain = domain;
  }
  return dns;
}
