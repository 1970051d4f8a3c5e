// The registry of kinds Ambit reads. To add a kind: write kinds/<kind>.ts exporting a KindDef,
// list it here, and add its type to the Resource union in ../resource.ts.
import { deploymentKind } from './deployment.ts';
import type { KindDef, KindShape } from './kind.ts';
import { namespaceKind } from './namespace.ts';
import { podKind } from './pod.ts';
import { serviceAccountKind } from './service-account.ts';
import { serviceKind } from './service.ts';

// Each entry is typed by its own kind; the registry sees them through the common shape.
export const KINDS: readonly KindDef<KindShape>[] = [namespaceKind, serviceAccountKind, podKind, serviceKind, deploymentKind];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

export function kindDef(kind: string): KindDef<KindShape> | undefined {
  return byKind.get(kind);
}

export function knownKinds(): string[] {
  return KINDS.map((k) => k.kind);
}
