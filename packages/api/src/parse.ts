// From YAML text to typed resources: documents -> kind lookup -> per-kind validation. Every
// problem of every file is collected; only documents without errors become resources.
import type { Problem } from '@ambit/core';
import { DUPLICATE, INVALID_TYPE, REQUIRED, UNKNOWN_API_VERSION, UNKNOWN_KIND } from './codes.ts';
import { kindDef, knownKinds, servedApiVersions } from './kinds/registry.ts';
import { readObjectMeta } from './metadata.ts';
import { Ctx, childPath, readList, readObject, readString, suggest } from './reader.ts';
import type { Field } from './reader.ts';
import type { Resource } from './resource.ts';
import { resourceKey } from './order.ts';
import type { SourceFile } from './types.ts';
import { parseYamlDocuments } from './yaml-tree.ts';
import type { PNode, Pos } from './yaml-tree.ts';

export interface ParseResult {
  resources: Resource[];
  problems: Problem[];
}

/**
 * Parses multi-document YAML (or JSON) files into resources. Empty documents are skipped; a
 * `kind: List` document contributes its `items`. Never throws for bad input: every problem is
 * returned, and a document with any error yields no resource (warnings do not drop it).
 * The same resource (kind, namespace, name) twice is reported at the second one.
 */
export function parseResources(files: SourceFile[]): ParseResult {
  const resources: Resource[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, Resource>();
  for (const file of files) {
    const { documents, problems: syntax } = parseYamlDocuments(file.path, file.text);
    const ctx = new Ctx(file.path);
    for (const doc of documents) {
      if (!doc.root) continue;
      const root: Field = { node: doc.root, at: doc.root.at, path: '' };
      for (const item of expandList(ctx, root)) {
        const read = readResource(ctx, item);
        if (!read) continue;
        const key = resourceKey(read.resource);
        const first = seen.get(key);
        if (first) {
          const s = first.source;
          ctx.error(DUPLICATE, read.nameAt, childPath(childPath(item.path, 'metadata'), 'name'),
            `${key} is defined twice; first at ${s.file}:${s.line}:${s.col}`);
          continue;
        }
        seen.set(key, read.resource);
        resources.push(read.resource);
      }
    }
    problems.push(...[...syntax, ...ctx.problems].sort(byPosition));
  }
  return { resources, problems };
}

function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}

function entry(node: PNode, key: string): { value: PNode; keyAt: Pos } | undefined {
  if (node.type !== 'map') return undefined;
  const e = node.entries.find((x) => x.key === key);
  return e ? { value: e.value, keyAt: e.keyAt } : undefined;
}

function scalarString(node: PNode | undefined): string | undefined {
  return node?.type === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

/** A `kind: List` (as `kubectl get -o yaml` prints) stands for its items; anything else for itself. */
function expandList(ctx: Ctx, root: Field): Field[] {
  if (scalarString(entry(root.node, 'kind')?.value) !== 'List') return [root];
  const list = readObject(ctx, root, { apiVersion: 'read', kind: 'read', items: 'read', metadata: 'ignore' });
  const apiVersion = list?.require('apiVersion');
  if (apiVersion) {
    const v = readString(ctx, apiVersion);
    if (v !== undefined && v !== 'v1') ctx.error(UNKNOWN_API_VERSION, apiVersion.at, apiVersion.path, `List is served as v1, got ${JSON.stringify(v)}`);
  }
  const items = list?.require('items');
  return (items && readList(ctx, items, (f) => f)) ?? [];
}

function readResource(ctx: Ctx, f: Field): { resource: Resource; nameAt: Pos } | undefined {
  const before = ctx.errorCount();
  const node = f.node;
  if (node.type !== 'map') {
    ctx.error(INVALID_TYPE, f.at, f.path, 'must be an object with apiVersion, kind and metadata (a Kubernetes resource)');
    return undefined;
  }
  const kindEntry = entry(node, 'kind');
  const apiEntry = entry(node, 'apiVersion');
  const kindField: Field | undefined = kindEntry && { node: kindEntry.value, at: kindEntry.keyAt, path: childPath(f.path, 'kind') };
  const apiField: Field | undefined = apiEntry && { node: apiEntry.value, at: apiEntry.keyAt, path: childPath(f.path, 'apiVersion') };
  const kind = kindField ? readString(ctx, kindField) : undefined;
  const apiVersion = apiField ? readString(ctx, apiField) : undefined;
  if (!kindField) ctx.error(REQUIRED, f.at, childPath(f.path, 'kind'), 'is required');
  if (!apiField) ctx.error(REQUIRED, f.at, childPath(f.path, 'apiVersion'), 'is required');
  if (kind === undefined || !kindField) return undefined;
  const def = kindDef(kind, apiVersion);
  if (!def) {
    const near = suggest(kind, knownKinds());
    const hint = near ? `did you mean "${near}"? ` : '';
    ctx.error(UNKNOWN_KIND, kindField.at, kindField.path,
      `unknown kind ${JSON.stringify(kind)}${apiVersion ? ` in ${apiVersion}` : ''} (${hint}supported: ${knownKinds().join(', ')})`);
    return undefined;
  }
  if (apiVersion !== undefined && apiField && !def.apiVersions.includes(apiVersion)) {
    ctx.error(UNKNOWN_API_VERSION, apiField.at, apiField.path,
      `${kind} is served as ${servedApiVersions(kind).join(' or ')}, got ${JSON.stringify(apiVersion)}`);
  }
  const top = readObject(ctx, f, { apiVersion: 'read', kind: 'read', metadata: 'read', status: 'read', ...def.fields });
  if (!top) return undefined;
  const metaField = top.require('metadata');
  const metadata = metaField ? readObjectMeta(ctx, metaField, { nameRule: def.nameRule, namespaced: def.namespaced }) : undefined;
  const spec = def.readSpec(ctx, top, metadata);
  const statusField = top.get('status');
  const status = statusField && def.readStatus ? def.readStatus(ctx, statusField) : undefined;
  if (ctx.errorCount() > before || !metadata || spec === undefined || apiVersion === undefined) return undefined;
  const base = { apiVersion, kind: def.kind, metadata, spec, source: { file: ctx.file, line: f.at.line, col: f.at.col } };
  // The registry guarantees def.kind and spec belong together; TypeScript cannot see it through the map.
  const resource = (status !== undefined ? { ...base, status } : base) as Resource;
  const nameAt = (metaField?.node.type === 'map' && metaField.node.entries.find((e) => e.key === 'name')?.keyAt) || f.at;
  return { resource, nameAt };
}
