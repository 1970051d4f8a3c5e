// The proto-shaped objects the model produces, in the field names of the project's .proto files
// (snake_case, as @ambit/xds-types loads them). Only the fields Ambit sets are listed.

export interface NamespacedHostname {
  namespace: string;
  hostname: string;
}

export interface GatewayAddress {
  hostname?: NamespacedHostname;
  address?: { network: string; address: Uint8Array };
  hbone_mtls_port: number;
}

export interface WorkloadPort {
  service_port: number;
  target_port: number;
  app_protocol?: number;
}

export interface WorkloadMessage {
  uid: string;
  name: string;
  namespace: string;
  addresses: Uint8Array[];
  network: string;
  tunnel_protocol: number;
  trust_domain: string;
  service_account: string;
  waypoint?: GatewayAddress;
  node: string;
  canonical_name: string;
  canonical_revision: string;
  workload_type: number;
  workload_name: string;
  services: Record<string, { ports: WorkloadPort[] }>;
  authorization_policies: string[];
  status: number;
  cluster_id: string;
  capacity: { value: number };
}

export interface ServiceMessage {
  name: string;
  namespace: string;
  hostname: string;
  addresses: Array<{ network: string; address: Uint8Array }>;
  ports: WorkloadPort[];
  waypoint?: GatewayAddress;
}

export type AddressMessage = { workload: WorkloadMessage } | { service: ServiceMessage };

export interface StringMatchMessage {
  exact?: string;
  prefix?: string;
  suffix?: string;
  presence?: Record<string, never>;
}

export interface MatchMessage {
  namespaces: StringMatchMessage[];
  not_namespaces: StringMatchMessage[];
  principals: StringMatchMessage[];
  not_principals: StringMatchMessage[];
  source_ips: Array<{ address: Uint8Array; length: number }>;
  not_source_ips: Array<{ address: Uint8Array; length: number }>;
  destination_ips: Array<{ address: Uint8Array; length: number }>;
  not_destination_ips: Array<{ address: Uint8Array; length: number }>;
  destination_ports: number[];
  not_destination_ports: number[];
  service_accounts: Array<{ namespace: string; serviceAccount: string }>;
  not_service_accounts: Array<{ namespace: string; serviceAccount: string }>;
}

export interface AuthorizationMessage {
  name: string;
  namespace: string;
  scope: number;
  action: number;
  rules: Array<{ clauses: Array<{ matches: MatchMessage[] }> }>;
  dry_run: boolean;
}

export const TUNNEL = { NONE: 0, HBONE: 1 } as const;
export const WORKLOAD_STATUS = { HEALTHY: 0, UNHEALTHY: 1 } as const;
export const WORKLOAD_TYPE = { DEPLOYMENT: 0, CRONJOB: 1, POD: 2, JOB: 3 } as const;
export const AUTHZ_SCOPE = { GLOBAL: 0, NAMESPACE: 1, WORKLOAD_SELECTOR: 2 } as const;
export const AUTHZ_ACTION = { ALLOW: 0, DENY: 1 } as const;
export const APP_PROTOCOL = { UNKNOWN: 0, HTTP11: 1, HTTP2: 2, GRPC: 3, TCP: 4, TLS: 5 } as const;
export const HBONE_PORT = 15008;

/** A Match with no constraint: every list empty. ztunnel skips such a Match (it matches nothing). */
export function emptyMatch(): MatchMessage {
  return {
    namespaces: [],
    not_namespaces: [],
    principals: [],
    not_principals: [],
    source_ips: [],
    not_source_ips: [],
    destination_ips: [],
    not_destination_ips: [],
    destination_ports: [],
    not_destination_ports: [],
    service_accounts: [],
    not_service_accounts: [],
  };
}
