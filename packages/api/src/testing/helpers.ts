// Test helpers: YAML written indented inside test tables, and problems as compact strings.
import type { Problem } from '@ambit/core';
import { parseResources } from '../parse.ts';
import type { ParseResult } from '../parse.ts';

/** Strips the first newline and the common indentation, so YAML can be indented in a table. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  // Raw text, so escapes such as \n reach YAML as written.
  const raw = strings.raw.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').replace(/\n[ ]*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** `line:col path CODE`, with ` warning` appended for warnings. */
export function brief(p: Problem): string {
  return `${p.line}:${p.col} ${p.path} ${p.code}${p.severity === 'warning' ? ' warning' : ''}`;
}

export function parseOne(text: string, path = 'test.yaml'): ParseResult {
  return parseResources([{ path, text }]);
}

export function problemsOf(text: string): string[] {
  return parseOne(text).problems.map(brief);
}
