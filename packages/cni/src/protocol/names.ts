// Validators for the identifiers the spec constrains (the same rules as libcni's Validate* helpers).

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_IFNAME_LENGTH = 15;

/** undefined when valid, else why not. */
export function containerIdProblem(id: string): string | undefined {
  if (id === '') return 'must not be empty';
  if (!CONTAINER_ID.test(id)) return 'must start with a letter or digit and contain only letters, digits, "_", "." and "-"';
  return undefined;
}

export function networkNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (!NETWORK_NAME.test(name)) return 'must start with a letter or digit and contain only letters, digits, "_", "." and "-"';
  return undefined;
}

export function ifnameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > MAX_IFNAME_LENGTH) return `is longer than ${MAX_IFNAME_LENGTH} characters`;
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (/[/:\s]/.test(name)) return 'must not contain "/", ":" or whitespace';
  return undefined;
}
