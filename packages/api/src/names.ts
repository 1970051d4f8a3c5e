// Name and label rules as the Kubernetes API server applies them (k8s.io/apimachinery
// pkg/util/validation). Each rule returns undefined when the value is valid, otherwise the
// "must be ..." part of a message; the caller appends the offending value.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[-a-z0-9]+$/;

export type NameRule = (value: string) => string | undefined;

/** RFC 1123 label: Namespace and Service names, container names, Service port names. */
export const dns1123Label: NameRule = (v) => {
  if (v.length > 63 || !DNS1123_LABEL.test(v)) {
    return "must be a DNS-1123 label (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit)";
  }
  return undefined;
};

/** RFC 1123 subdomain: Pod, Deployment and ServiceAccount names, node names. */
export const dns1123Subdomain: NameRule = (v) => {
  if (v.length > 253 || !DNS1123_SUBDOMAIN.test(v)) {
    return "must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' or '.', each dot-separated part starting and ending with a letter or digit)";
  }
  return undefined;
};

/** A label or annotation key: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters. */
export const qualifiedName: NameRule = (v) => {
  const parts = v.split('/');
  let name = v;
  if (parts.length > 2) return "must be a qualified name (an optional DNS subdomain prefix and '/', then a name): it has more than one '/'";
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) return 'must have a non-empty prefix before \'/\'';
    if (dns1123Subdomain(prefix)) return `must have a prefix that is a DNS-1123 subdomain (lowercase, at most 253 characters), not "${prefix}"`;
  }
  if (name.length === 0) return 'must have a non-empty name part';
  if (name.length > 63) return `must have a name part of at most 63 characters (it has ${name.length})`;
  if (!QUALIFIED_NAME.test(name)) {
    return "must have a name part of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
};

/** A label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit. */
export const labelValue: NameRule = (v) => {
  if (v.length > 63) return `must be a label value of at most 63 characters (it has ${v.length})`;
  if (!LABEL_VALUE.test(v)) {
    return "must be a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit)";
  }
  return undefined;
};

/** IANA_SVC_NAME (RFC 6335): container port names and named target ports. */
export const ianaSvcName: NameRule = (v) => {
  const rule = "a port name (IANA_SVC_NAME: at most 15 lowercase letters, digits or '-', with at least one letter, no '--', not starting or ending with '-')";
  if (v.length === 0 || v.length > 15 || !IANA_SVC_NAME.test(v) || !/[a-z]/.test(v) || v.includes('--') || v.startsWith('-') || v.endsWith('-')) {
    return `must be ${rule}`;
  }
  return undefined;
};

/** Dotted-quad IPv4 without leading zeros (the API server rejects them in new objects). */
export const ipv4: NameRule = (v) => {
  const parts = v.split('.');
  const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
  return ok ? undefined : 'must be a valid IPv4 address';
};

/** Any IPv4 or IPv6 address (status fields written by a real cluster may carry either). */
export const ipAddress: NameRule = (v) => {
  if (!ipv4(v)) return undefined;
  if (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v) && isIPv6(v)) return undefined;
  return 'must be a valid IP address';
};

function isIPv6(v: string): boolean {
  const halves = v.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const all = halves.flatMap(groups);
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (ipv4(last)) return false;
    count += 1; // an embedded IPv4 takes two groups
  }
  if (!all.every((g, i) => /^[0-9a-fA-F]{1,4}$/.test(g) || (i === all.length - 1 && g.includes('.')))) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

/** Environment variable names: any printable ASCII except '=' (Kubernetes 1.30+ relaxed rule). */
export const envVarName: NameRule = (v) => {
  if (v.length === 0 || !/^[\x20-\x7e]+$/.test(v) || v.includes('=')) {
    return "must be an environment variable name (printable ASCII characters other than '=')";
  }
  return undefined;
};
