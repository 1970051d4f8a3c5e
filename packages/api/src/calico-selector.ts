// Calico's label selector language (projectcalico.org/v3 `selector`, `namespaceSelector`, ...),
// parsed at apply time so a typo is an error with a position, not a policy that silently
// matches nothing. Grammar (tigera docs, selectors; reference cni-netpol.md 4.2):
//
//   expr    := and ('||' and)*
//   and     := unary ('&&' unary)*
//   unary   := '!' unary | primary
//   primary := '(' expr ')' | 'all()' | 'global()' | 'has(' key ')'
//            | key '==' str | key '!=' str | key 'in' set | key 'not' 'in' set
//            | key 'contains' str | key 'starts' 'with' str | key 'ends' 'with' str
//   set     := '{' [str (',' str)*] '}'
//   str     := '...' | "..."            (no escapes)
//   key     := [A-Za-z0-9_./-]+          (at most 512 characters; `projectcalico.org/name`)
//
// Precedence: `!` binds tighter than `&&`, which binds tighter than `||`. An empty (or blank)
// selector is `all()`.

export type CalicoSelector =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: '==' | '!=' | 'contains' | 'starts with' | 'ends with'; key: string; value: string }
  | { op: 'in' | 'not in'; key: string; values: string[] }
  | { op: '!'; expr: CalicoSelector }
  | { op: '&&' | '||'; left: CalicoSelector; right: CalicoSelector };

export type CalicoSelectorResult = { ok: true; ast: CalicoSelector } | { ok: false; message: string; offset: number };

/** Label carrying the namespace of a namespaced entity (workload endpoints); absent on global ones. */
export const CALICO_NAMESPACE_LABEL = 'projectcalico.org/namespace';
const MAX_KEY = 512;

type Token =
  | { t: 'key'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'punct'; v: '(' | ')' | '{' | '}' | ',' | '&&' | '||' | '==' | '!=' | '!'; at: number }
  | { t: 'eof'; at: number };

class SelectorError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '==' || two === '!=') {
      out.push({ t: 'punct', v: two, at: i });
      i += 2;
      continue;
    }
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',' || c === '!') {
      out.push({ t: 'punct', v: c, at: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new SelectorError(`unterminated string: the ${c === '"' ? 'double' : 'single'} quote is never closed`, i);
      out.push({ t: 'str', v: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_./-]+/.exec(text.slice(i));
    if (m) {
      if (m[0].length > MAX_KEY) throw new SelectorError(`label name longer than ${MAX_KEY} characters`, i);
      out.push({ t: 'key', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === '&' || c === '|' || c === '=') throw new SelectorError(`unexpected "${c}" (did you mean "${c}${c}"?)`, i);
    throw new SelectorError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ t: 'eof', at: text.length });
  return out;
}

function show(tok: Token): string {
  if (tok.t === 'eof') return 'the end of the selector';
  if (tok.t === 'str') return `the string ${JSON.stringify(tok.v)}`;
  return `"${tok.v}"`;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(n = 0): Token {
    return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)] ?? { t: 'eof', at: 0 };
  }

  private next(): Token {
    const tok = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return tok;
  }

  private isPunct(v: string, n = 0): boolean {
    const tok = this.peek(n);
    return tok.t === 'punct' && tok.v === v;
  }

  private isWord(v: string, n = 0): boolean {
    const tok = this.peek(n);
    return tok.t === 'key' && tok.v === v;
  }

  private expectPunct(v: string, what: string): void {
    if (!this.isPunct(v)) throw new SelectorError(`expected ${what}, found ${show(this.peek())}`, this.peek().at);
    this.next();
  }

  private expectString(after: string): string {
    const tok = this.next();
    if (tok.t !== 'str') throw new SelectorError(`expected a quoted string after ${after}, found ${show(tok)}`, tok.at);
    return tok.v;
  }

  parse(): CalicoSelector {
    if (this.peek().t === 'eof') return { op: 'all' };
    const e = this.or();
    const tok = this.peek();
    if (tok.t !== 'eof') throw new SelectorError(`expected "&&", "||" or the end of the selector, found ${show(tok)}`, tok.at);
    return e;
  }

  private or(): CalicoSelector {
    let left = this.and();
    while (this.isPunct('||')) {
      this.next();
      left = { op: '||', left, right: this.and() };
    }
    return left;
  }

  private and(): CalicoSelector {
    let left = this.unary();
    while (this.isPunct('&&')) {
      this.next();
      left = { op: '&&', left, right: this.unary() };
    }
    return left;
  }

  private unary(): CalicoSelector {
    if (this.isPunct('!')) {
      this.next();
      return { op: '!', expr: this.unary() };
    }
    return this.primary();
  }

  private primary(): CalicoSelector {
    const tok = this.next();
    if (tok.t === 'punct' && tok.v === '(') {
      const e = this.or();
      this.expectPunct(')', '")"');
      return e;
    }
    if (tok.t !== 'key') throw new SelectorError(`expected a label name, "has(", "all()", "global()", "!" or "(", found ${show(tok)}`, tok.at);
    if (tok.v === 'has' && this.isPunct('(')) {
      this.next();
      const key = this.next();
      if (key.t !== 'key') throw new SelectorError(`expected a label name inside has(...), found ${show(key)}`, key.at);
      this.expectPunct(')', '")" to close has(');
      return { op: 'has', key: key.v };
    }
    if ((tok.v === 'all' || tok.v === 'global') && this.isPunct('(')) {
      this.next();
      this.expectPunct(')', `")": ${tok.v}() takes no argument`);
      return { op: tok.v };
    }
    const key = tok.v;
    const op = this.peek();
    if (this.isPunct('==') || this.isPunct('!=')) {
      this.next();
      const v = op.t === 'punct' ? op.v : '';
      return { op: v === '==' ? '==' : '!=', key, value: this.expectString(`"${v}"`) };
    }
    if (this.isWord('in')) {
      this.next();
      return { op: 'in', key, values: this.set('in') };
    }
    if (this.isWord('not') && this.isWord('in', 1)) {
      this.next();
      this.next();
      return { op: 'not in', key, values: this.set('not in') };
    }
    if (this.isWord('contains')) {
      this.next();
      return { op: 'contains', key, value: this.expectString('"contains"') };
    }
    if ((this.isWord('starts') || this.isWord('ends')) && this.isWord('with', 1)) {
      const which = this.isWord('starts') ? 'starts with' : 'ends with';
      this.next();
      this.next();
      return { op: which, key, value: this.expectString(`"${which}"`) };
    }
    throw new SelectorError(`expected an operator after label ${JSON.stringify(key)} (==, !=, in, not in, contains, starts with, ends with), found ${show(op)}`, op.at);
  }

  private set(after: string): string[] {
    this.expectPunct('{', `"{" to open the set of values after "${after}"`);
    const values: string[] = [];
    if (this.isPunct('}')) {
      this.next();
      return values;
    }
    for (;;) {
      values.push(this.expectString(values.length === 0 ? '"{"' : '","'));
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct('}', '"," or "}"');
      return values;
    }
  }
}

/** Parses a Calico selector; on error, the message and the 0-based character offset in `text`. */
export function parseCalicoSelector(text: string): CalicoSelectorResult {
  try {
    return { ok: true, ast: new Parser(tokenize(text)).parse() };
  } catch (err) {
    if (err instanceof SelectorError) return { ok: false, message: err.message, offset: err.offset };
    throw err;
  }
}

/**
 * Whether labels satisfy a selector, with Calico's semantics for absent labels:
 * `k == 'v'`, `k in {...}`, `contains`, `starts with`, `ends with` are false when k is absent;
 * `k != 'v'` and `k not in {...}` are true when k is absent. `in {}` matches nothing and
 * `not in {}` everything. `all()` matches everything.
 * `global()` matches entities outside any namespace, i.e. labels without
 * `projectcalico.org/namespace` (Calico writes a namespaceSelector of `global()` that way; it is
 * meant for namespaceSelector only).
 */
export function matchCalicoSelector(ast: CalicoSelector, labels: Record<string, string>): boolean {
  const has = (k: string): boolean => Object.hasOwn(labels, k);
  const get = (k: string): string | undefined => (has(k) ? labels[k] : undefined);
  switch (ast.op) {
    case 'all':
      return true;
    case 'global':
      return !has(CALICO_NAMESPACE_LABEL);
    case 'has':
      return has(ast.key);
    case '==':
      return get(ast.key) === ast.value;
    case '!=':
      return get(ast.key) !== ast.value;
    case 'contains':
      return get(ast.key)?.includes(ast.value) ?? false;
    case 'starts with':
      return get(ast.key)?.startsWith(ast.value) ?? false;
    case 'ends with':
      return get(ast.key)?.endsWith(ast.value) ?? false;
    case 'in': {
      const v = get(ast.key);
      return v !== undefined && ast.values.includes(v);
    }
    case 'not in': {
      const v = get(ast.key);
      return v === undefined || !ast.values.includes(v);
    }
    case '!':
      return !matchCalicoSelector(ast.expr, labels);
    case '&&':
      return matchCalicoSelector(ast.left, labels) && matchCalicoSelector(ast.right, labels);
    case '||':
      return matchCalicoSelector(ast.left, labels) || matchCalicoSelector(ast.right, labels);
  }
}

/** Whether a selector uses global() anywhere (allowed in namespaceSelector only). */
export function usesGlobal(ast: CalicoSelector): boolean {
  switch (ast.op) {
    case 'global':
      return true;
    case '!':
      return usesGlobal(ast.expr);
    case '&&':
    case '||':
      return usesGlobal(ast.left) || usesGlobal(ast.right);
    default:
      return false;
  }
}
