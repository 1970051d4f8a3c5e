// Resources back to the YAML a user would write (Kubernetes field names and order, defaults made
// explicit, no `source`), so state written to disk parses back to the same resources.
import { Document, parse, visit } from 'yaml';
import { kindDef } from './kinds/registry.ts';
import type { Resource } from './resource.ts';

export function toManifest(resource: Resource): Record<string, unknown> {
  const m = resource.metadata;
  const metadata: Record<string, unknown> = { name: m.name };
  if (m.namespace !== undefined) metadata['namespace'] = m.namespace;
  if (Object.keys(m.labels).length > 0) metadata['labels'] = { ...m.labels };
  if (Object.keys(m.annotations).length > 0) metadata['annotations'] = { ...m.annotations };
  if (m.uid !== undefined) metadata['uid'] = m.uid;
  if (m.creationTimestamp !== undefined) metadata['creationTimestamp'] = m.creationTimestamp;
  const def = kindDef(resource.kind, resource.apiVersion);
  const body = def ? def.encode(resource.spec) : { spec: resource.spec };
  const out: Record<string, unknown> = { apiVersion: resource.apiVersion, kind: resource.kind, metadata, ...body };
  if (resource.status !== undefined) out['status'] = resource.status;
  return out;
}

/**
 * YAML for one resource, or several separated by `---`. Strings that Kubernetes' YAML 1.1 reader
 * would take for something else (`yes`, `on`, `0755`, `12:30`) are quoted.
 */
export function toYaml(resource: Resource | Resource[]): string {
  const list = Array.isArray(resource) ? resource : [resource];
  return list.map((r) => render(toManifest(r))).join('---\n');
}

function render(manifest: Record<string, unknown>): string {
  const doc = new Document(manifest);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !readsBackAsString(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** Whether a string written plainly reads back as the same string under YAML 1.2 and 1.1. */
function readsBackAsString(value: string): boolean {
  try {
    return parse(value) === value && parse(value, { version: '1.1' }) === value;
  } catch {
    return false;
  }
}
