// The HTTP connection manager's path normalisation with Istio's default (BASE): RFC 3986
// normalisation of the path (percent-decoding of unreserved characters, then remove_dot_segments,
// section 5.2.4), with slashes never merged and an encoded slash (%2F) never decoded, so that
// `/a%2Fb` stays one segment for both the policy and the application. Policies match the result.

/** Characters RFC 3986 calls unreserved: decoding them never changes what a path means. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Characters an HTTP request target may not carry raw (controls, space, DEL, and the fragment mark). */
function hasForbiddenCharacter(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x23) return true;
  }
  return false;
}

/**
 * The normalised path (without the query), or undefined for a path Envoy rejects with 400: one
 * that does not start with '/' (except the asterisk form `*`) or carries forbidden characters.
 */
export function normalizePath(raw: string): string | undefined {
  if (raw === '*') return raw;
  if (!raw.startsWith('/') || hasForbiddenCharacter(raw)) return undefined;
  return removeDotSegments(decodeUnreserved(raw));
}

function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape: string, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : escape;
  });
}

/** RFC 3986 5.2.4 for an absolute path, by segments: `.` vanishes, `..` removes the one before. */
function removeDotSegments(path: string): string {
  const input = path.slice(1).split('/');
  const out: string[] = [];
  input.forEach((segment, i) => {
    const last = i === input.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      // A trailing dot segment leaves the directory it names: "/a/b/.." is "/a/".
      if (last) out.push('');
      return;
    }
    out.push(segment);
  });
  return `/${out.join('/')}`;
}
