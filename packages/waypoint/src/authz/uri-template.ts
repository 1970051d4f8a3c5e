// Envoy's uri_template path matcher (envoy.extensions.path.match.uri_template.v3): a template of
// '/'-separated segments, each a literal or an operator. `{*}` (or `{name}`, `{name=*}`) is exactly
// one non-empty segment; `{**}` (or `{name=**}`) is the rest of the path, slashes included, and
// must come last. The template matches the whole path (query removed).

/** RFC 3986 pchar without '/', as Envoy allows inside one matched segment. */
const SEGMENT_CHARS = "A-Za-z0-9\\-._~%!$&'()+,;:@=";
const ONE_SEGMENT = `[${SEGMENT_CHARS}]+`;
const REST = `[${SEGMENT_CHARS}/]*`;
const LITERAL = new RegExp(`^[${SEGMENT_CHARS}]*$`);
const VARIABLE = /^\{(?:([A-Za-z][A-Za-z0-9_]*)(?:=(\*\*?))?|(\*\*?))\}$/;

/** The anchored RegExp of a template, or a message saying what is wrong with it. */
export function compileUriTemplate(template: string): RegExp | string {
  if (!template.startsWith('/')) return 'must start with "/"';
  if (template.length > 256) return 'must be at most 256 characters';
  const segments = template.slice(1).split('/');
  const names = new Set<string>();
  const parts: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const variable = VARIABLE.exec(segment);
    if (!variable) {
      if (!LITERAL.test(segment)) return `segment ${JSON.stringify(segment)} is neither a literal path segment nor {*}, {**}, {name}, {name=*} or {name=**}`;
      parts.push(segment.replace(/[.+*?()|[\]{}^$\\]/g, '\\$&'));
      continue;
    }
    const [, name, op, bare] = variable;
    if (name !== undefined) {
      if (names.has(name)) return `variable ${name} appears twice`;
      names.add(name);
    }
    if ((op ?? bare) === '**') {
      if (i !== segments.length - 1) return `${segment} may only be the last segment`;
      parts.push(REST);
    } else {
      parts.push(ONE_SEGMENT);
    }
  }
  return new RegExp(`^/${parts.join('/')}$`);
}
