// ambit.policy.v1 (proto/ambit/policy/v1/policy.proto) as decoded by this package.
import type { EnumValue } from './google.ts';

export interface PolicyWorkload {
  uid: string;
  name: string;
  namespace: string;
  node: string;
  /** Raw 4- or 16-byte IPs. */
  addresses: Uint8Array[];
  labels: Record<string, string>;
  namespace_labels: Record<string, string>;
  service_account: string;
  named_ports: NamedPort[];
  enrolled: boolean;
}

export interface NamedPort {
  name: string;
  port: number;
  /** TCP, UDP or SCTP. */
  protocol: string;
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  pod_selector: LabelSelector | null;
  /** 'Ingress' | 'Egress', defaulted by the control plane. */
  policy_types: string[];
  ingress: NetworkPolicyIngressRule[];
  egress: NetworkPolicyEgressRule[];
}

export interface NetworkPolicyIngressRule {
  ports: NetworkPolicyPort[];
  from: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports: NetworkPolicyPort[];
  to: NetworkPolicyPeer[];
}

/** null = the selector is absent (not the same as {} = match everything). */
export interface NetworkPolicyPeer {
  pod_selector: LabelSelector | null;
  namespace_selector: LabelSelector | null;
  ip_block: IPBlock | null;
}

export interface IPBlock {
  cidr: string;
  except: string[];
}

export interface NetworkPolicyPort {
  /** '' means TCP. */
  protocol: string;
  port?: 'number' | 'name';
  number?: number;
  name?: string;
  end_port?: number;
  _end_port?: 'end_port';
}

export interface LabelSelector {
  match_labels: Record<string, string>;
  match_expressions: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist. */
  operator: string;
  values: string[];
}

export interface CalicoPolicy {
  name: string;
  /** '' for a GlobalNetworkPolicy. */
  namespace: string;
  /** '' means default. */
  tier: string;
  /** Absent = infinite. */
  order?: number;
  _order?: 'order';
  selector: string;
  namespace_selector: string;
  service_account_selector: string;
  types: string[];
  ingress: CalicoRule[];
  egress: CalicoRule[];
  do_not_track: boolean;
  pre_dnat: boolean;
  apply_on_forward: boolean;
}

export type CalicoAction = EnumValue<'ACTION_UNSPECIFIED' | 'ALLOW' | 'DENY' | 'LOG' | 'PASS'>;

export interface CalicoRule {
  action: CalicoAction;
  protocol: string;
  not_protocol: string;
  ip_version: number;
  source: EntityRule | null;
  destination: EntityRule | null;
}

export interface EntityRule {
  nets: string[];
  not_nets: string[];
  selector: string;
  not_selector: string;
  namespace_selector: string;
  service_account_names: string[];
  service_account_selector: string;
  ports: PortSpec[];
  not_ports: PortSpec[];
}

export interface PortSpec {
  port?: 'number' | 'range' | 'name';
  number?: number;
  range?: PortRange;
  name?: string;
}

export interface PortRange {
  min: number;
  max: number;
}

export interface CalicoTier {
  name: string;
  /** Absent = infinite. */
  order?: number;
  _order?: 'order';
  /** 'Deny' | 'Pass'; '' means Deny. */
  default_action: string;
}
