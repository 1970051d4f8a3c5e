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
  ports: Array<{ name: string | null; port: number; protocol: string }>;
}

export interface ServiceStatusEntry {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: Array<{ name: string | null; port: number; protocol: string; targetPort: number | string }>;
  endpoints: string[];
}

export type ComponentKind = 'control-plane' | 'ztunnel' | 'cni-agent' | 'waypoint' | 'dns' | 'supervisor';

export interface ComponentStatus {
  kind: ComponentKind;
  node: string | null;
  pid: number | null;
  ready: boolean;
}

export interface LabStatus {
  name: string;
  nodes: NodeStatus[];
  pods: PodStatusEntry[];
  services: ServiceStatusEntry[];
  components: ComponentStatus[];
}
