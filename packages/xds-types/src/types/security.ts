// istio.security (proto/istio/security/authorization.proto) as decoded by this package.
import type { Empty, EnumValue } from './google.ts';
import type { Extension } from './workload.ts';

export type Scope = EnumValue<'GLOBAL' | 'NAMESPACE' | 'WORKLOAD_SELECTOR'>;
export type Action = EnumValue<'ALLOW' | 'DENY'>;

/** The WADS resource; its name is namespace/name. */
export interface Authorization {
  name: string;
  namespace: string;
  scope: Scope;
  action: Action;
  /** OR-ed. */
  rules: Rule[];
  dry_run: boolean;
  extensions: Extension[];
}

export interface Rule {
  /** AND-ed. */
  clauses: Clause[];
}

export interface Clause {
  /** OR-ed. */
  matches: Match[];
}

/** Match types are AND-ed, values of one type OR-ed. */
export interface Match {
  namespaces: StringMatch[];
  not_namespaces: StringMatch[];
  principals: StringMatch[];
  not_principals: StringMatch[];
  source_ips: Address[];
  not_source_ips: Address[];
  destination_ips: Address[];
  not_destination_ips: Address[];
  destination_ports: number[];
  not_destination_ports: number[];
  service_accounts: ServiceAccountMatch[];
  not_service_accounts: ServiceAccountMatch[];
  extensions: Extension[];
}

export interface Address {
  /** Raw 4- or 16-byte IP. */
  address: Uint8Array;
  /** Prefix length. */
  length: number;
}

export interface ServiceAccountMatch {
  namespace: string;
  /** camelCase upstream, kept as is. */
  serviceAccount: string;
}

export interface StringMatch {
  match_type?: 'exact' | 'prefix' | 'suffix' | 'presence';
  exact?: string;
  prefix?: string;
  suffix?: string;
  presence?: Empty;
}
