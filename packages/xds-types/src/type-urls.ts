// The xDS type URLs Ambit serves and consumes.
export const TYPE_URL = {
  /** WDS, for ztunnels (istio.workload.Address = Workload | Service). */
  address: 'type.googleapis.com/istio.workload.Address',
  /** Authorization policies, for ztunnels. */
  authorization: 'type.googleapis.com/istio.security.Authorization',
  /** Every pod's policy view, for CNI agents. */
  policyWorkload: 'type.googleapis.com/ambit.policy.v1.PolicyWorkload',
  /** networking.k8s.io/v1 NetworkPolicy, for CNI agents. */
  networkPolicy: 'type.googleapis.com/ambit.policy.v1.NetworkPolicy',
  /** projectcalico.org/v3 (Global)NetworkPolicy, for CNI agents. */
  calicoPolicy: 'type.googleapis.com/ambit.policy.v1.CalicoPolicy',
  /** projectcalico.org/v3 Tier, for CNI agents. */
  calicoTier: 'type.googleapis.com/ambit.policy.v1.CalicoTier',
  /** Envoy LDS/RDS/CDS/EDS, for waypoints and proxyless gRPC clients. */
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type TypeUrl = (typeof TYPE_URL)[keyof typeof TYPE_URL];
