// The model's raw inputs, indexed for the lookups generation needs (by kind, by namespace).
import { resourceKey, type Resource, type Pod, type Service, type Namespace } from '@ambit/api';

type ByKind<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

export class ConfigIndex {
  private readonly byKey = new Map<string, Resource>();
  private readonly byKindNamespace = new Map<string, Map<string, Set<string>>>();

  upsert(resource: Resource): Resource | undefined {
    const key = resourceKey(resource);
    const previous = this.byKey.get(key);
    this.byKey.set(key, resource);
    this.bucket(resource.kind, resource.metadata.namespace ?? '').add(key);
    return previous;
  }

  delete(key: string): Resource | undefined {
    const previous = this.byKey.get(key);
    if (!previous) return undefined;
    this.byKey.delete(key);
    this.bucket(previous.kind, previous.metadata.namespace ?? '').delete(key);
    return previous;
  }

  get(key: string): Resource | undefined {
    return this.byKey.get(key);
  }

  private bucket(kind: string, namespace: string): Set<string> {
    let byNs = this.byKindNamespace.get(kind);
    if (!byNs) this.byKindNamespace.set(kind, (byNs = new Map()));
    let keys = byNs.get(namespace);
    if (!keys) byNs.set(namespace, (keys = new Set()));
    return keys;
  }

  /** Every resource of a kind, optionally in one namespace. */
  list<K extends Resource['kind']>(kind: K, namespace?: string): Array<ByKind<K>> {
    const byNs = this.byKindNamespace.get(kind);
    if (!byNs) return [];
    const keys = namespace === undefined ? [...byNs.values()].flatMap((s) => [...s]) : [...(byNs.get(namespace) ?? [])];
    return keys.map((k) => this.byKey.get(k)).filter((r): r is ByKind<K> => r !== undefined && r.kind === kind);
  }

  namespace(name: string): Namespace | undefined {
    const r = this.byKey.get(`Namespace/${name}`);
    return r?.kind === 'Namespace' ? r : undefined;
  }

  pod(namespace: string, name: string): Pod | undefined {
    const r = this.byKey.get(`Pod/${namespace}/${name}`);
    return r?.kind === 'Pod' ? r : undefined;
  }

  service(namespace: string, name: string): Service | undefined {
    const r = this.byKey.get(`Service/${namespace}/${name}`);
    return r?.kind === 'Service' ? r : undefined;
  }

  size(): number {
    return this.byKey.size;
  }
}
