// The shape of `ambit lab status -o json` (DESIGN.md), plus the fields the CLI needs to reach pods.

export interface NodeStatus {
  name: string;
  ip: string;
  podCIDR: string;
  /** Rules in the node's NetworkPolicy table (null: the agent did not answer or enforcement is off). */
  netpolRules?: number | null;
}

export interface PodStatusEntry {
  namespace: string;
  name: string;
  node: string;
  ip: string | null;
  ready: boolean;
  enrolled: boolean;
  /** The pod's network namespace, for `lab exec` and probes. */
  netns: string;
  owner: string | null;
  labels: Record<string, string>;
  ports: Array<{ name: string | null; port: number; protocol: string }>;
}

export interface ServiceStatusEntry {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: Array<{ name: string | null; port: number; protocol: string; targetPort: number | string }>;
  endpoints: string[];
}

export interface NamespaceStatusEntry {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A Gateway and the status its controller wrote (for class istio-waypoint, the lab's; ADR 0007). */
export interface GatewayStatusEntry {
  namespace: string;
  name: string;
  class: string;
  /** Label istio.io/waypoint-for, default service. */
  trafficType: string;
  /** Label istio.io/rev, or "default". */
  revision: string;
  programmed: boolean;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  addresses: Array<{ type: string; value: string }>;
}

export type ComponentKind = 'control-plane' | 'ztunnel' | 'cni-agent' | 'waypoint' | 'dns' | 'supervisor';

export interface ComponentStatus {
  kind: ComponentKind;
  node: string | null;
  pid: number | null;
  ready: boolean;
  /** Waypoints run as pods: which one. */
  namespace?: string;
  name?: string;
}

export interface LabStatus {
  name: string;
  nodes: NodeStatus[];
  namespaces: NamespaceStatusEntry[];
  pods: PodStatusEntry[];
  services: ServiceStatusEntry[];
  gateways: GatewayStatusEntry[];
  components: ComponentStatus[];
}
