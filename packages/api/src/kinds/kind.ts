// What the registry knows about one kind. Adding a kind = one module exporting a KindDef, plus
// one line in registry.ts and one member in the Resource union (resource.ts).
import type { NameRule } from '../names.ts';
import type { Ctx, Field, FieldTable, ObjectReader } from '../reader.ts';
import type { ObjectMeta } from '../types.ts';

export interface KindShape {
  kind: string;
  spec: unknown;
  status?: unknown;
}

export interface KindDef<R extends KindShape> {
  kind: R['kind'];
  /** apiVersions this kind is served under; the first is the one written by toYaml. */
  apiVersions: readonly string[];
  namespaced: boolean;
  /**
   * How resourceKey names this kind when another API group serves a kind of the same name
   * (Calico's `NetworkPolicy.projectcalico.org` beside Kubernetes' `NetworkPolicy`).
   */
  keyKind?: string;
  /** Rule for metadata.name. */
  nameRule: NameRule;
  /** Top-level keys besides apiVersion, kind, metadata and status (which every kind has). */
  fields: FieldTable;
  /**
   * Reads the kind's body (spec, or top-level fields for kinds without spec) from the top-level
   * object. Reports every problem into ctx; the result is used only when ctx gained no error.
   */
  readSpec(ctx: Ctx, top: ObjectReader, meta: ObjectMeta | undefined): R['spec'] | undefined;
  /** Reads status; kinds without it ignore status on input. */
  readStatus?(ctx: Ctx, f: Field): R['status'] | undefined;
  /** Kubernetes-shaped top-level fields other than apiVersion, kind, metadata and status. */
  encode(spec: R['spec']): Record<string, unknown>;
}
