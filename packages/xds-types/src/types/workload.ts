// istio.workload (proto/istio/workload/workload.proto) as decoded by this package: snake_case,
// every scalar present, unset messages null, oneof members absent unless set with the oneof's
// name naming the set member, enums as names.
import type { Any, EnumValue, UInt32Value } from './google.ts';

export type TunnelProtocol = EnumValue<'NONE' | 'HBONE' | 'LEGACY_ISTIO_MTLS'>;
export type WorkloadStatus = EnumValue<'HEALTHY' | 'UNHEALTHY'>;
export type WorkloadType = EnumValue<'DEPLOYMENT' | 'CRONJOB' | 'POD' | 'JOB'>;
export type NetworkMode = EnumValue<'STANDARD' | 'HOST_NETWORK'>;
export type AppProtocol = EnumValue<'UNKNOWN' | 'HTTP11' | 'HTTP2' | 'GRPC' | 'TCP' | 'TLS'>;
export type IPFamilies = EnumValue<'AUTOMATIC' | 'IPV4_ONLY' | 'IPV6_ONLY' | 'DUAL'>;
export type Visibility = EnumValue<'PUBLIC' | 'NAMESPACE'>;
export type LoadBalancingScope = EnumValue<'UNSPECIFIED_SCOPE' | 'REGION' | 'ZONE' | 'SUBZONE' | 'NODE' | 'CLUSTER' | 'NETWORK'>;
export type LoadBalancingMode = EnumValue<'UNSPECIFIED_MODE' | 'STRICT' | 'FAILOVER' | 'PASSTHROUGH'>;
export type LoadBalancingHealthPolicy = EnumValue<'ONLY_HEALTHY' | 'ALLOW_ALL'>;
export type ApplicationTunnelProtocol = EnumValue<'NONE' | 'PROXY'>;

/** The WDS resource: a Workload (name = uid) or a Service (name = namespace/hostname). */
export interface Address {
  type?: 'workload' | 'service';
  workload?: Workload;
  service?: Service;
}

export interface Service {
  name: string;
  namespace: string;
  hostname: string;
  addresses: NetworkAddress[];
  ports: Port[];
  subject_alt_names: string[];
  waypoint: GatewayAddress | null;
  load_balancing: LoadBalancing | null;
  ip_families: IPFamilies;
  extensions: Extension[];
  canonical: boolean;
  ingress_use_waypoint: boolean;
  weighted_waypoints: WeightedWaypoint[];
  visibility: Visibility;
}

export interface LoadBalancing {
  routing_preference: LoadBalancingScope[];
  mode: LoadBalancingMode;
  health_policy: LoadBalancingHealthPolicy;
}

export interface Workload {
  uid: string;
  name: string;
  namespace: string;
  /** Raw 4- or 16-byte IPs. */
  addresses: Uint8Array[];
  hostname: string;
  network: string;
  tunnel_protocol: TunnelProtocol;
  trust_domain: string;
  service_account: string;
  waypoint: GatewayAddress | null;
  network_gateway: GatewayAddress | null;
  node: string;
  canonical_name: string;
  canonical_revision: string;
  workload_type: WorkloadType;
  workload_name: string;
  native_tunnel: boolean;
  application_tunnel: ApplicationTunnel | null;
  /** Key namespace/hostname. */
  services: Record<string, PortList>;
  authorization_policies: string[];
  status: WorkloadStatus;
  cluster_id: string;
  locality: Locality | null;
  network_mode: NetworkMode;
  extensions: Extension[];
  /** Absent (null) means 1. */
  capacity: UInt32Value | null;
}

export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

export interface ApplicationTunnel {
  protocol: ApplicationTunnelProtocol;
  port: number;
}

export interface PortList {
  ports: Port[];
}

export interface Port {
  service_port: number;
  target_port: number;
  app_protocol: AppProtocol;
}

export interface GatewayAddress {
  destination?: 'hostname' | 'address';
  hostname?: NamespacedHostname;
  address?: NetworkAddress;
  hbone_mtls_port: number;
}

export interface WeightedWaypoint {
  destination: GatewayAddress | null;
  weight: number;
}

export interface NamespacedHostname {
  namespace: string;
  hostname: string;
}

export interface NetworkAddress {
  network: string;
  /** Raw 4- or 16-byte IP. */
  address: Uint8Array;
  /** proto3 optional: absent unless set (then `_length` is 'length', protobufjs's synthetic oneof). */
  length?: number;
  _length?: 'length';
}

export interface Extension {
  name: string;
  config: Any | null;
}
