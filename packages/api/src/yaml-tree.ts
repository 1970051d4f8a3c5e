// Parses YAML (or JSON, which is YAML) into a small positioned tree, one per document, plus the
// syntax problems. Validators read only this tree, never the yaml library's node classes, so the
// library stays an implementation detail of this file.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Node as YamlNode, Scalar } from 'yaml';
import type { Problem } from '@ambit/core';
import { YAML_SYNTAX } from './codes.ts';

/** 1-based line and column. */
export interface Pos {
  line: number;
  col: number;
}

export type ScalarValue = string | number | boolean | null;

export type PNode =
  | { type: 'map'; at: Pos; entries: PEntry[] }
  | { type: 'seq'; at: Pos; items: PNode[] }
  | {
      type: 'scalar';
      at: Pos;
      value: ScalarValue;
      /** True for unquoted scalars: `yes` written plainly is a boolean to Kubernetes' YAML 1.1. */
      plain: boolean;
      source: string;
      /**
       * For a literal block scalar (`|`, `|-`, `|+` without an indentation indicator): the file
       * line of its header and the indentation of its content, so that a position inside the
       * value (line n, col c) is the file position (headerLine + n, c + indent). Lets a document
       * embedded in a ConfigMap value be reported at its place in the file.
       */
      block?: { headerLine: number; indent: number };
    };

export interface PEntry {
  key: string;
  keyAt: Pos;
  value: PNode;
}

export interface ParsedDocument {
  /** Undefined for an empty document (only comments or nothing between `---` markers). */
  root: PNode | undefined;
  /** True when the document has syntax errors; such a document is not validated further. */
  broken: boolean;
}

const HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BAD_INDENT: 'check the indentation of this line against its siblings',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation: a key seems to be nested under a plain value',
  MULTILINE_IMPLICIT_KEY: 'check the indentation, or a missing ":" after a key',
  DUPLICATE_KEY: 'remove one of the two keys',
};

const MAX_ALIAS_DEPTH = 50;

export function parseYamlDocuments(file: string, text: string): { documents: ParsedDocument[]; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const problems: Problem[] = [];
  const toPos = (offset: number): Pos => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  // parseAllDocuments returns an EmptyStream (an empty array) for a text without documents.
  const list: Document[] = Array.isArray(docs) ? docs : [];
  const documents: ParsedDocument[] = [];
  for (const doc of list) {
    const seen = new Set<string>();
    for (const err of doc.errors) {
      let at = toPos(err.pos[0]);
      let message = firstLine(err.message);
      if (err.code === 'MISSING_CHAR' && /quote/i.test(err.message)) {
        const opened = findUnclosedQuote(doc, err.pos[0]);
        if (opened) {
          message = `unclosed ${opened.kind} quote (the string runs to line ${at.line} and is never closed)`;
          at = toPos(opened.offset);
        }
      }
      const key = `${at.line}:${at.col}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const hint = HINTS[err.code];
      problems.push({
        file,
        line: at.line,
        col: at.col,
        path: '',
        message: `invalid YAML: ${lowerFirst(message)}${hint ? ` (${hint})` : ''}`,
        code: YAML_SYNTAX,
        severity: 'error',
      });
    }
    const broken = doc.errors.length > 0;
    const contents = doc.contents;
    const root = broken || contents === null || isEmptyScalar(contents) ? undefined : convert(doc, contents, toPos, 0, text);
    documents.push({ root, broken });
  }
  return { documents, problems };
}

function isEmptyScalar(node: YamlNode): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

function convert(doc: Document, node: YamlNode, toPos: (offset: number) => Pos, depth: number, text: string): PNode {
  const at = toPos(node.range?.[0] ?? 0);
  if (isAlias(node)) {
    const target = depth < MAX_ALIAS_DEPTH ? node.resolve(doc) : undefined;
    if (!target) return { type: 'scalar', at, value: null, plain: true, source: '' };
    // The alias stands where it is written; its content comes from the anchor.
    return { ...convert(doc, target, toPos, depth + 1, text), at };
  }
  if (isMap(node)) {
    const entries: PEntry[] = [];
    const merges: PNode[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyAt = keyNode && 'range' in keyNode && keyNode.range ? toPos(keyNode.range[0]) : at;
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : keyNode ? String(keyNode) : '';
      const valueNode = pair.value as YamlNode | null;
      const value: PNode = valueNode
        ? convert(doc, valueNode, toPos, depth + 1, text)
        : { type: 'scalar', at: keyAt, value: null, plain: true, source: '' };
      if (key === '<<' && keyNode && isScalar(keyNode) && keyNode.type === 'PLAIN') merges.push(value);
      else entries.push({ key, keyAt, value });
    }
    // YAML 1.1 merge keys (`<<: *defaults`), which Kubernetes' YAML reader honours: keys written
    // in the map win over merged ones.
    for (const m of merges) {
      const sources = m.type === 'seq' ? m.items : [m];
      for (const s of sources) {
        if (s.type !== 'map') continue;
        for (const e of s.entries) if (!entries.some((x) => x.key === e.key)) entries.push(e);
      }
    }
    return { type: 'map', at, entries };
  }
  if (isSeq(node)) {
    const items: PNode[] = [];
    for (const item of node.items) {
      const n = item as YamlNode | null;
      items.push(n ? convert(doc, n, toPos, depth + 1, text) : { type: 'scalar', at, value: null, plain: true, source: '' });
    }
    return { type: 'seq', at, items };
  }
  if (isScalar(node)) {
    const block = node.type === 'BLOCK_LITERAL' && node.range ? literalBlock(text, node.range[0], at.line) : undefined;
    return scalar(node, at, block);
  }
  return { type: 'scalar', at, value: null, plain: true, source: '' };
}

function scalar(node: Scalar, at: Pos, block?: { headerLine: number; indent: number }): PNode {
  const raw: unknown = node.value;
  const source = node.source ?? String(raw);
  const plain = node.type === 'PLAIN' || node.type === undefined;
  let value: ScalarValue;
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') value = raw;
  else if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'bigint') value = Number(raw);
  // Anything else (binary, custom tags) is kept as the text the user wrote.
  else value = source;
  return block ? { type: 'scalar', at, value, plain, source, block } : { type: 'scalar', at, value, plain, source };
}

/**
 * The content indentation of the literal block scalar whose header starts at `offset`: that of
 * its first non-blank line, as YAML detects it. Undefined with an explicit indentation indicator
 * (`|2`, relative to the parent, rare) or without content.
 */
function literalBlock(text: string, offset: number, headerLine: number): { headerLine: number; indent: number } | undefined {
  const lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) return undefined;
  const header = text.slice(offset, lineEnd).replace(/\s+#.*$/, '').trim();
  if (/[1-9]/.test(header)) return undefined;
  for (const line of text.slice(lineEnd + 1).split('\n')) {
    if (line.trim() === '') continue;
    return { headerLine, indent: line.length - line.trimStart().length };
  }
  return undefined;
}

function findUnclosedQuote(doc: Document, errorOffset: number): { offset: number; kind: string } | undefined {
  let found: { offset: number; kind: string } | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range) {
        const [start, end] = node.range;
        if (start <= errorOffset && errorOffset <= end + 1) {
          found = { offset: start, kind: node.type === 'QUOTE_DOUBLE' ? 'double' : 'single' };
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return found;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
