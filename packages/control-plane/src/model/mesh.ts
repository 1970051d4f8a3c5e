// Mesh-wide settings the model needs (DESIGN.md defaults: trust domain cluster.local, root
// namespace istio-system).
export interface MeshSettings {
  trustDomain: string;
  rootNamespace: string;
  clusterId: string;
  /** Network of every workload; the default network is elided on the wire, as Istio does. */
  network: string;
  domainSuffix: string;
}

export const DEFAULT_MESH: MeshSettings = {
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
  clusterId: 'Kubernetes',
  network: '',
  domainSuffix: 'cluster.local',
};

export const LABEL = {
  useWaypoint: 'istio.io/use-waypoint',
  useWaypointNamespace: 'istio.io/use-waypoint-namespace',
  waypointFor: 'istio.io/waypoint-for',
  namespaceName: 'kubernetes.io/metadata.name',
} as const;
