// What every plugin configuration shares, whichever plugin reads it: cniVersion (negotiated by
// the runtime), the network name, and the runtime-inserted keys (prevResult, GC attachments).
// Validation collects problems as values; `configError` turns them into one coded error.
import type { AmbitError } from '@ambit/core';
import { CNI_CODE, cniError } from './errors.ts';
import { networkNameProblem } from './names.ts';
import { parseResult } from './result.ts';
import { STATUS_GC_MIN_VERSION, SUPPORTED_VERSIONS, atLeast, isSupportedVersion } from './versions.ts';
import type { Verb } from './env.ts';
import type { CniResult, GcAttachment } from './types.ts';

export interface ConfigProblem {
  /** Field path, e.g. `ipam.subnet`. */
  path: string;
  message: string;
  /** The CNI error code this problem maps to. */
  cniCode: number;
}

export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  prevResult?: CniResult;
  /** GC only: `cni.dev/valid-attachments` (or the older `cni.dev/attachments`). */
  validAttachments?: GcAttachment[];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseAttachments(raw: unknown, path: string, problems: ConfigProblem[]): GcAttachment[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push({ path, message: 'must be an array of {containerID, ifname}', cniCode: CNI_CODE.invalidConfig });
    return undefined;
  }
  const list: GcAttachment[] = [];
  raw.forEach((item: unknown, i) => {
    if (isObject(item) && typeof item['containerID'] === 'string' && typeof item['ifname'] === 'string') {
      list.push({ containerID: item['containerID'], ifname: item['ifname'] });
    } else {
      problems.push({ path: `${path}[${i}]`, message: 'must be an object with string containerID and ifname', cniCode: CNI_CODE.invalidConfig });
    }
  });
  return list;
}

/** Validates the shared keys of `raw` (already known to be an object), appending to `problems`. */
export function validateNetConf(raw: Record<string, unknown>, verb: Verb | undefined, problems: ConfigProblem[]): NetConf {
  const add = (path: string, message: string, cniCode: number = CNI_CODE.invalidConfig): void => {
    problems.push({ path, message, cniCode });
  };
  const cniVersion = raw['cniVersion'];
  if (typeof cniVersion !== 'string' || cniVersion === '') {
    add('cniVersion', `is missing; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`, CNI_CODE.incompatibleVersion);
  } else if (!isSupportedVersion(cniVersion)) {
    add('cniVersion', `"${cniVersion}" is not supported; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`, CNI_CODE.incompatibleVersion);
  } else if ((verb === 'STATUS' || verb === 'GC') && !atLeast(cniVersion, STATUS_GC_MIN_VERSION)) {
    add('cniVersion', `"${cniVersion}" does not allow ${verb}; it needs ${STATUS_GC_MIN_VERSION} or later`, CNI_CODE.incompatibleVersion);
  }
  const name = raw['name'];
  if (typeof name !== 'string') add('name', 'is missing (the runtime inserts the network name)');
  else {
    const why = networkNameProblem(name);
    if (why) add('name', `"${name}" ${why}`);
  }
  const type = raw['type'];
  if (typeof type !== 'string' || type === '') add('type', 'is missing');

  const conf: NetConf = {
    cniVersion: typeof cniVersion === 'string' ? cniVersion : '',
    name: typeof name === 'string' ? name : '',
    type: typeof type === 'string' ? type : '',
  };
  if (raw['prevResult'] !== undefined) {
    try {
      conf.prevResult = parseResult(raw['prevResult'], 'prevResult');
    } catch (error) {
      add('prevResult', error instanceof Error ? error.message : String(error), CNI_CODE.decode);
    }
  }
  const key = raw['cni.dev/valid-attachments'] !== undefined ? 'cni.dev/valid-attachments' : 'cni.dev/attachments';
  if (raw[key] !== undefined) {
    const list = parseAttachments(raw[key], key, problems);
    if (list) conf.validAttachments = list;
  } else if (verb === 'GC') {
    add('cni.dev/valid-attachments', 'is missing (GC needs the list of valid attachments)');
  }
  return conf;
}

/** Decode first, then version, then the rest, as the reference library checks them. */
function rank(code: number): number {
  if (code === CNI_CODE.decode) return 0;
  if (code === CNI_CODE.incompatibleVersion) return 1;
  return 2;
}

export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => rank(a.cniCode) - rank(b.cniCode));
}

const CODE_NAMES: Record<number, string> = {
  [CNI_CODE.incompatibleVersion]: 'AMBIT_CNI_INCOMPATIBLE_VERSION',
  [CNI_CODE.unsupportedField]: 'AMBIT_CNI_UNSUPPORTED_FIELD',
  [CNI_CODE.decode]: 'AMBIT_CNI_DECODE',
};

/** One AmbitError for a failed validation, coded after its first (most fundamental) problem. */
export function configError(problems: readonly ConfigProblem[], what: string): AmbitError {
  const cniCode = problems[0]?.cniCode ?? CNI_CODE.invalidConfig;
  const text = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  return cniError(cniCode, CODE_NAMES[cniCode] ?? 'AMBIT_CNI_INVALID_CONFIG', `invalid ${what} configuration: ${text}`);
}
