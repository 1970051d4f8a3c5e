// The ztunnel's domain types: what it knows about workloads and services, validated once at the
// xDS boundary (convert.ts) so proxy code never touches protobuf objects.

export interface WaypointRef {
  /** Namespace/hostname of the waypoint's Service, or a direct address. */
  service?: { namespace: string; hostname: string };
  address?: string;
  port: number;
}

export interface Workload {
  uid: string;
  name: string;
  namespace: string;
  addresses: string[];
  network: string;
  /** Speaks HBONE (enrolled in the mesh) or plain TCP. */
  protocol: 'HBONE' | 'TCP';
  trustDomain: string;
  serviceAccount: string;
  /** spiffe://<td>/ns/<ns>/sa/<sa> */
  identity: string;
  node: string;
  canonicalName: string;
  canonicalRevision: string;
  workloadName: string;
  workloadType: string;
  waypoint: WaypointRef | undefined;
  /** Service key (namespace/hostname) -> service port -> target port. */
  services: ReadonlyMap<string, ReadonlyMap<number, number>>;
  authorizationPolicies: readonly string[];
  healthy: boolean;
  clusterId: string;
  capacity: number;
}

export interface ServicePort {
  port: number;
  /** 0 when the target port is named and resolved per workload. */
  targetPort: number;
}

export interface Service {
  /** namespace/hostname */
  key: string;
  name: string;
  namespace: string;
  hostname: string;
  vips: Array<{ network: string; address: string }>;
  ports: readonly ServicePort[];
  waypoint: WaypointRef | undefined;
  subjectAltNames: readonly string[];
}
