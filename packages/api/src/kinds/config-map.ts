// v1 ConfigMap: string data under `data`. One ConfigMap has meaning to the mesh: `istio` in the
// root namespace, whose key `mesh` is Istio's MeshConfig (ADR 0007); its text is validated as the
// mesh config file is, and its problems point at their line inside the block scalar. Every other
// ConfigMap (and every other key) is opaque data.
import type { Problem } from '@ambit/core';
import { INVALID_VALUE } from '../codes.ts';
import { DEFAULT_ROOT_NAMESPACE, loadMeshConfig, type MeshConfig } from '../mesh-config.ts';
import { dns1123Subdomain } from '../names.ts';
import { childPath, readString } from '../reader.ts';
import type { Ctx, Field } from '../reader.ts';
import type { ResourceBase } from '../types.ts';
import type { KindDef } from './kind.ts';

export interface ConfigMapSpec {
  data: Record<string, string>;
}

export type ConfigMap = ResourceBase<'ConfigMap', ConfigMapSpec>;

/** The ConfigMap istiod reads its MeshConfig from, in the root namespace, and the key holding it. */
export const MESH_CONFIG_MAP = { name: 'istio', key: 'mesh' } as const;

// Kubernetes' IsConfigMapKey: at most 253 characters of [-._a-zA-Z0-9], not `.` or `..`.
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
function configMapKey(key: string): string | undefined {
  if (key.length === 0 || key.length > 253 || !CONFIG_MAP_KEY.test(key)) return 'must be at most 253 characters of letters, digits, "-", "_" or "."';
  if (key === '.' || key === '..') return 'must not be "." or ".."';
  return undefined;
}

/** Whether a ConfigMap is the mesh config of the given root namespace. */
export function isMeshConfigMap(r: { kind: string; metadata: { name: string; namespace?: string } }, rootNamespace: string): boolean {
  return r.kind === 'ConfigMap' && r.metadata.name === MESH_CONFIG_MAP.name && (r.metadata.namespace ?? 'default') === rootNamespace;
}

/**
 * Reads the MeshConfig text held under `mesh`, as loadMeshConfig does, with each problem moved to
 * its place in `file`: a literal block scalar (`mesh: |`) maps line for line; any other form of
 * the value is reported at the `mesh` key, naming the line inside the value.
 */
export function readMeshConfigText(file: string, text: string, at: { line: number; col: number }, path: string, block: { headerLine: number; indent: number } | undefined): { config: MeshConfig; problems: Problem[] } {
  const { config, problems } = loadMeshConfig({ path: file, text });
  const moved = problems.map((p): Problem => {
    const inner = p.path ? `${path}.${p.path}` : path;
    if (block) return { ...p, file, line: block.headerLine + p.line, col: p.col + block.indent, path: inner };
    return { ...p, file, line: at.line, col: at.col, path: inner, message: `line ${p.line} of the mesh config: ${p.message}` };
  });
  return { config, problems: moved };
}

function readData(ctx: Ctx, f: Field): Record<string, string> | undefined {
  if (f.node.type !== 'map') {
    ctx.error(INVALID_VALUE, f.at, f.path, 'must be a map of keys to string values');
    return undefined;
  }
  const before = ctx.errorCount();
  const data: Record<string, string> = {};
  for (const e of f.node.entries) {
    const field: Field = { node: e.value, at: e.keyAt, path: childPath(f.path, e.key) };
    const problem = configMapKey(e.key);
    if (problem) ctx.error(INVALID_VALUE, e.keyAt, field.path, `key ${JSON.stringify(e.key)} ${problem}`);
    const value = readString(ctx, field);
    if (value !== undefined) data[e.key] = value;
  }
  return ctx.errorCount() === before ? data : undefined;
}

export const configMapKind: KindDef<ConfigMap> = {
  kind: 'ConfigMap',
  apiVersions: ['v1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  // binaryData is valid but Ambit never reads it; immutable only guards updates.
  fields: { data: 'read', binaryData: 'ignore', immutable: 'ignore' },
  readSpec(ctx, top, meta) {
    const f = top.get('data');
    const data = f ? readData(ctx, f) : {};
    if (!data) return undefined;
    // The parser knows no settings: the mesh config is validated in the default root namespace;
    // a control plane with another root namespace validates its own when it reads it.
    const meshField = f && f.node.type === 'map' ? f.node.entries.find((e) => e.key === MESH_CONFIG_MAP.key) : undefined;
    if (meta && f && meshField && data[MESH_CONFIG_MAP.key] !== undefined && isMeshConfigMap({ kind: 'ConfigMap', metadata: meta }, DEFAULT_ROOT_NAMESPACE)) {
      const value = meshField.value;
      const block = value.type === 'scalar' ? value.block : undefined;
      const { problems } = readMeshConfigText(ctx.file, data[MESH_CONFIG_MAP.key] ?? '', meshField.keyAt, childPath(f.path, MESH_CONFIG_MAP.key), block);
      ctx.problems.push(...problems);
    }
    return { data };
  },
  encode: (spec) => ({ data: spec.data }),
};
