// metadata: name, namespace, labels, annotations, uid; server-set noise is accepted silently.
import { INVALID_VALUE, REQUIRED, UNSUPPORTED } from './codes.ts';
import { dns1123Label, qualifiedName } from './names.ts';
import type { NameRule } from './names.ts';
import { checkValue, childPath, readObject, readString, readStringMap } from './reader.ts';
import type { Ctx, Field, FieldTable } from './reader.ts';
import { readLabels } from './selector.ts';
import type { ObjectMeta } from './types.ts';

export const DEFAULT_NAMESPACE = 'default';
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

const METADATA_FIELDS: FieldTable = {
  name: 'read',
  namespace: 'read',
  labels: 'read',
  annotations: 'read',
  uid: 'read',
  generateName: 'read',
  // Written by the API server: kept (it orders routes and PeerAuthentications), null ignored.
  creationTimestamp: 'read',
  // Written by the API server; present in `kubectl get -o yaml` output.
  resourceVersion: 'ignore',
  generation: 'ignore',
  managedFields: 'ignore',
  selfLink: 'ignore',
  deletionTimestamp: 'ignore',
  deletionGracePeriodSeconds: 'ignore',
  ownerReferences: 'ignore',
  finalizers: 'ignore',
};

export interface MetadataOptions {
  nameRule: NameRule;
  namespaced: boolean;
}

/** Reads `metadata` of a top-level resource; undefined when it has errors. */
export function readObjectMeta(ctx: Ctx, f: Field, opts: MetadataOptions): ObjectMeta | undefined {
  const obj = readObject(ctx, f, METADATA_FIELDS);
  if (!obj) return undefined;
  const before = ctx.errorCount();
  const nameField = obj.get('name');
  let name: string | undefined;
  if (nameField) {
    name = checkValue(ctx, nameField, readString(ctx, nameField), opts.nameRule);
  } else if (obj.get('generateName')) {
    ctx.error(UNSUPPORTED, f.at, childPath(f.path, 'name'), 'is required: generateName is not supported, give the object a name');
  } else {
    ctx.error(REQUIRED, f.at, childPath(f.path, 'name'), 'is required');
  }
  const meta: ObjectMeta = { name: name ?? '', labels: {}, annotations: {} };
  const nsField = obj.get('namespace');
  if (nsField) {
    const ns = checkValue(ctx, nsField, readString(ctx, nsField), dns1123Label);
    if (!opts.namespaced) {
      ctx.warn(INVALID_VALUE, nsField.at, nsField.path, 'is ignored: this kind is cluster-scoped');
    } else if (ns !== undefined) {
      meta.namespace = ns;
    }
  }
  if (opts.namespaced && meta.namespace === undefined) meta.namespace = DEFAULT_NAMESPACE;
  const labels = readMetaLabels(ctx, obj.get('labels'));
  if (labels) meta.labels = labels;
  const annotations = readAnnotations(ctx, obj.get('annotations'));
  if (annotations) meta.annotations = annotations;
  const uidField = obj.get('uid');
  if (uidField) {
    const uid = readString(ctx, uidField);
    if (uid !== undefined) meta.uid = uid;
  }
  const createdField = obj.get('creationTimestamp');
  if (createdField && !(createdField.node.type === 'scalar' && createdField.node.value === null)) {
    const created = checkValue(ctx, createdField, readString(ctx, createdField), rfc3339);
    if (created !== undefined) meta.creationTimestamp = created;
  }
  return ctx.errorCount() === before ? meta : undefined;
}

/** Kubernetes' metav1.Time: RFC 3339 in UTC, `2026-11-22T12:00:00Z` (fractional seconds allowed). */
function rfc3339(v: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an RFC 3339 UTC time such as 2026-11-22T12:00:00Z';
}

export function readMetaLabels(ctx: Ctx, f: Field | undefined): Record<string, string> | undefined {
  return f ? readLabels(ctx, f) : undefined;
}

export function readAnnotations(ctx: Ctx, f: Field | undefined): Record<string, string> | undefined {
  if (!f) return undefined;
  // Kubernetes checks annotation keys case-insensitively as qualified names.
  const annotations = readStringMap(ctx, f, (k) => qualifiedName(k.toLowerCase()), () => undefined);
  if (!annotations) return undefined;
  const size = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_ANNOTATIONS_BYTES) {
    ctx.error(INVALID_VALUE, f.at, f.path, `must have at most ${MAX_ANNOTATIONS_BYTES} bytes in all, got ${size}`);
    return undefined;
  }
  return annotations;
}
