// SPIFFE IDs, parsed strictly per the SPIFFE ID specification (the same rules as go-spiffe's
// spiffeid package): spiffe://<trust-domain><path>, no userinfo, port, query, fragment or
// percent-encoding, no empty, "." or ".." path segments, no trailing slash, at most 2048 bytes.
import { CODES, quote, spiffeError } from './errors.ts';

export interface SpiffeId {
  trustDomain: string;
  /** "" for the trust domain's own ID, otherwise "/seg/seg...". */
  path: string;
  uri: string;
}

const SCHEME = 'spiffe://';
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why `uri` is not a SPIFFE ID, or undefined when it is one. */
function problem(uri: string): string | undefined {
  if (typeof uri !== 'string') return 'not a string';
  if (uri.length === 0) return 'empty';
  if (Buffer.byteLength(uri, 'utf8') > MAX_ID_BYTES) return `longer than ${MAX_ID_BYTES} bytes`;
  if (!uri.startsWith(SCHEME)) {
    const colon = uri.indexOf(':');
    const scheme = colon > 0 ? uri.slice(0, colon) : '';
    return scheme === '' ? 'scheme is missing (expected "spiffe://")' : `scheme ${quote(scheme)} is not "spiffe" (lowercase, followed by "//")`;
  }
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem) return tdProblem;
  return pathProblem(path);
}

function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain.length === 0) return 'trust domain is missing';
  if (trustDomain.length > MAX_TRUST_DOMAIN) return `trust domain is longer than ${MAX_TRUST_DOMAIN} characters`;
  for (const ch of trustDomain) {
    if (TRUST_DOMAIN_CHAR.test(ch)) continue;
    if (ch === '@') return `trust domain ${quote(trustDomain)} contains userinfo ("@")`;
    if (ch === ':') return `trust domain ${quote(trustDomain)} contains a port (":")`;
    if (ch === '?') return `trust domain ${quote(trustDomain)} is followed by a query ("?")`;
    if (ch === '#') return `trust domain ${quote(trustDomain)} is followed by a fragment ("#")`;
    if (ch === '%') return `trust domain ${quote(trustDomain)} contains percent-encoding ("%")`;
    if (/[A-Z]/.test(ch)) return `trust domain ${quote(trustDomain)} contains upper case ${quote(ch)} (trust domains are lower case)`;
    return `trust domain ${quote(trustDomain)} contains ${quote(ch)} (allowed: a-z 0-9 . - _)`;
  }
  return undefined;
}

function pathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.endsWith('/')) return `path ${quote(path)} has a trailing slash`;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return `path ${quote(path)} has an empty segment`;
    if (segment === '.' || segment === '..') return `path ${quote(path)} has a dot segment ${quote(segment)}`;
    if (SEGMENT.test(segment)) continue;
    for (const ch of segment) {
      if (/[A-Za-z0-9._-]/.test(ch)) continue;
      if (ch === '?') return `path ${quote(path)} contains a query ("?")`;
      if (ch === '#') return `path ${quote(path)} contains a fragment ("#")`;
      if (ch === '%') return `path ${quote(path)} contains percent-encoding ("%")`;
      return `path segment ${quote(segment)} contains ${quote(ch)} (allowed: A-Z a-z 0-9 . - _)`;
    }
  }
  return undefined;
}

function split(uri: string): SpiffeId {
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  return { trustDomain, path, uri };
}

/** Parses a SPIFFE ID; throws AMBIT_SPIFFE_BAD_ID naming the offending part. */
export function parseSpiffeId(uri: string): SpiffeId {
  const why = problem(uri);
  if (why !== undefined) {
    throw spiffeError(CODES.badId, `invalid SPIFFE ID ${typeof uri === 'string' ? quote(uri) : String(uri)}: ${why}`, {
      hint: 'a SPIFFE ID looks like spiffe://cluster.local/ns/<namespace>/sa/<service-account>',
    });
  }
  return split(uri);
}

export function tryParseSpiffeId(uri: string): SpiffeId | undefined {
  return problem(uri) === undefined ? split(uri) : undefined;
}

/** Checks a trust domain name on its own; throws AMBIT_SPIFFE_BAD_ID. */
export function checkTrustDomain(trustDomain: string): string {
  const why = typeof trustDomain === 'string' ? trustDomainProblem(trustDomain) : 'not a string';
  if (why !== undefined) throw spiffeError(CODES.badId, `invalid trust domain ${quote(String(trustDomain))}: ${why}`);
  return trustDomain;
}

/** spiffe://<td>/ns/<namespace>/sa/<service-account>, Istio's workload identity. */
export function istioIdentity(trustDomain: string, namespace: string, serviceAccount: string): string {
  for (const [what, value] of [['namespace', namespace], ['service account', serviceAccount]] as const) {
    if (typeof value !== 'string' || !SEGMENT.test(value) || value === '.' || value === '..') {
      throw spiffeError(CODES.badId, `invalid ${what} ${quote(String(value))} for a SPIFFE ID: allowed characters are A-Z a-z 0-9 . - _`);
    }
  }
  return parseSpiffeId(`${SCHEME}${checkTrustDomain(trustDomain)}/ns/${namespace}/sa/${serviceAccount}`).uri;
}

/** The parts of an Istio identity; undefined for anything that is not exactly /ns/<ns>/sa/<sa>. */
export function parseIstioIdentity(uri: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const id = tryParseSpiffeId(uri);
  if (!id) return undefined;
  const parts = id.path.split('/');
  if (parts.length !== 5 || parts[1] !== 'ns' || parts[3] !== 'sa') return undefined;
  const namespace = parts[2];
  const serviceAccount = parts[4];
  if (namespace === undefined || serviceAccount === undefined) return undefined;
  return { trustDomain: id.trustDomain, namespace, serviceAccount };
}
