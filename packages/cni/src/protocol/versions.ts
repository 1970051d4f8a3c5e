// CNI spec versions: what Ambit speaks and how a runtime picks one.

/** Versions the ambit-cni and ambit-ipam plugins accept, oldest first. */
export const SUPPORTED_VERSIONS: readonly string[] = ['1.0.0', '1.1.0'];
export const CURRENT_VERSION = '1.1.0';
/** STATUS and GC exist from this version on. */
export const STATUS_GC_MIN_VERSION = '1.1.0';

/** Parses `MAJOR.MINOR.PATCH`; undefined for anything else. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative, zero or positive like a sort comparator; unparsable versions sort first. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [-1, -1, -1];
  const pb = parseVersion(b) ?? [-1, -1, -1];
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_VERSIONS.includes(version);
}

export function atLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}

/**
 * The runtime side of negotiation (spec 1.1): the highest version in `cniVersion` ∪ `cniVersions`
 * that the runtime supports, or undefined when there is none.
 */
export function negotiateVersion(cniVersion: string | undefined, cniVersions: readonly string[] | undefined, supported: readonly string[] = SUPPORTED_VERSIONS): string | undefined {
  const offered = new Set([...(cniVersions ?? []), ...(cniVersion === undefined ? [] : [cniVersion])]);
  return [...offered].filter((v) => supported.includes(v)).sort(compareVersions).at(-1);
}

/** The VERSION verb's reply. */
export interface CniVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

export function versionInfo(): CniVersionInfo {
  return { cniVersion: CURRENT_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}
