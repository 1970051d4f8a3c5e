// Shapes shared by every kind. Field names follow Kubernetes exactly, so a resource can be
// written back as the YAML a user would write (see to-yaml.ts).

export interface SourceFile {
  path: string;
  text: string;
}

/** 1-based position of the start of a resource (its first key) in its file. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

export interface ObjectMeta {
  name: string;
  /** Set (defaulted to "default") for namespaced kinds, absent for cluster-scoped kinds. */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  uid?: string;
  /** RFC 3339, set by the API server (the lab) on create; decides "oldest first" ties. */
  creationTimestamp?: string;
}

export interface ResourceBase<K extends string, Spec, Status = unknown> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
  source: SourceRef;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
