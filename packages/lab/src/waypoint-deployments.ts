// What istiod's gateway deployment controller does for a Gateway of class istio-waypoint, as pure
// functions (docs/adr/0007-waypoint.md, "Deployment"): the ServiceAccount, Service and Deployment
// the waypoint runs as, and the status the controller writes back on the Gateway. The lab treats
// these objects as derived: they exist exactly as long as their Gateway and are never user-owned.
import type { Deployment, Gateway, Resource, Service, ServiceAccount } from '@ambit/api';

/**
 * V8 flags for the waypoint: a 4 MiB young generation (semi-space) keeps the per-request garbage of
 * an L7 proxy from inflating RSS (372 -> 270 MB under load, no measurable CPU cost; RESULTS.md,
 * "Optimisation log: waypoint").
 */
export const WAYPOINT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

export const WAYPOINT_CLASS = 'istio-waypoint';
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const MANAGED_LABEL = 'gateway.istio.io/managed';
export const MANAGED_VALUE = 'istio.io-mesh-controller';
const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';

export const WAYPOINT_PORTS = { mesh: 15008, metrics: 15020, status: 15021 } as const;

/** Settings every waypoint pod shares; node-dependent ones (the credential file) are the pod runtime's. */
export interface WaypointSettings {
  /** Absolute path of the waypoint's main module, run by this Node runtime. */
  main: string;
  nodeExecutable: string;
  xdsAddress: string;
  rootCa: string;
  trustDomain: string;
}

export interface WaypointObjects {
  serviceAccount: ServiceAccount;
  service: Service;
  deployment: Deployment;
}

export function isWaypointGateway(r: Resource): r is Gateway {
  return r.kind === 'Gateway' && r.spec.gatewayClassName === WAYPOINT_CLASS;
}

/** The Gateway's hostname as ztunnels bind it (`GW.NS.svc.cluster.local`). */
export function waypointHostname(gw: Gateway): string {
  return `${gw.metadata.name}.${gw.metadata.namespace ?? 'default'}.svc.cluster.local`;
}

export function waypointObjects(gw: Gateway, settings: WaypointSettings): WaypointObjects {
  const name = gw.metadata.name;
  const namespace = gw.metadata.namespace ?? 'default';
  // istiod copies the Gateway's own labels onto what it creates, then adds its own.
  const labels = { ...gw.metadata.labels, [GATEWAY_NAME_LABEL]: name, [MANAGED_LABEL]: MANAGED_VALUE };
  const metadata = { name, namespace, labels, annotations: {} };
  const podLabels = { ...labels, [DATAPLANE_MODE_LABEL]: 'none' };
  const source = gw.source;
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata, spec: {}, source },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        selector: { [GATEWAY_NAME_LABEL]: name },
        ports: [
          { name: 'status-port', port: WAYPOINT_PORTS.status, targetPort: WAYPOINT_PORTS.status, protocol: 'TCP', appProtocol: 'tcp' },
          { name: 'mesh', port: WAYPOINT_PORTS.mesh, targetPort: WAYPOINT_PORTS.mesh, protocol: 'TCP', appProtocol: 'hbone' },
        ],
        type: 'ClusterIP',
      },
      source,
    },
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        selector: { matchLabels: { [GATEWAY_NAME_LABEL]: name } },
        template: {
          metadata: { labels: podLabels, annotations: {} },
          spec: {
            serviceAccountName: name,
            containers: [
              {
                name: 'istio-proxy',
                image: 'ambit/waypoint',
                command: [settings.nodeExecutable, ...WAYPOINT_NODE_FLAGS, settings.main],
                ports: [
                  { name: 'mesh', containerPort: WAYPOINT_PORTS.mesh, protocol: 'TCP' },
                  { name: 'metrics', containerPort: WAYPOINT_PORTS.metrics, protocol: 'TCP' },
                  { name: 'status-port', containerPort: WAYPOINT_PORTS.status, protocol: 'TCP' },
                ],
                env: [
                  { name: 'SERVICE_ACCOUNT', value: name },
                  { name: 'GATEWAY_NAME', value: name },
                  { name: 'XDS_ADDRESS', value: settings.xdsAddress },
                  { name: 'ROOT_CA', value: settings.rootCa },
                  { name: 'TRUST_DOMAIN', value: settings.trustDomain },
                  { name: 'LOG_FORMAT', value: 'json' },
                ],
              },
            ],
          },
        },
      },
      source,
    },
  };
}

/** Set on every derived object, as the controller does, so tools can tell who owns it. */
export function ownerReferences(gw: Gateway): Array<Record<string, unknown>> {
  return [
    {
      apiVersion: gw.apiVersion,
      kind: 'Gateway',
      name: gw.metadata.name,
      ...(gw.metadata.uid === undefined ? {} : { uid: gw.metadata.uid }),
      controller: true,
    },
  ];
}

export interface GatewayCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface GatewayStatus {
  conditions: GatewayCondition[];
  addresses: Array<{ type: 'IPAddress' | 'Hostname'; value: string }>;
}

/**
 * The status the controller writes: Accepted once it owns the Gateway, Programmed once the
 * waypoint pod is ready; addresses from the Service (known as soon as it has a ClusterIP).
 */
export function waypointGatewayStatus(gw: Gateway, runtime: { clusterIP: string | undefined; ready: boolean }): GatewayStatus {
  const host = waypointHostname(gw);
  const accepted: GatewayCondition = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted' };
  const programmed: GatewayCondition = runtime.ready
    ? { type: 'Programmed', status: 'True', reason: 'Programmed', message: `Resource programmed, assigned to service(s) ${host}:${WAYPOINT_PORTS.mesh}` }
    : { type: 'Programmed', status: 'False', reason: 'NoResourcesAvailable', message: `Deployment ${gw.metadata.namespace ?? 'default'}/${gw.metadata.name} is not ready: no waypoint pod is ready yet` };
  return {
    conditions: [accepted, programmed],
    addresses: [...(runtime.clusterIP === undefined ? [] : [{ type: 'IPAddress' as const, value: runtime.clusterIP }]), { type: 'Hostname', value: host }],
  };
}

/** Gateway API's initial status for a Gateway no controller has picked up (its class is not ours). */
export function unclaimedGatewayStatus(): GatewayStatus {
  return { conditions: [{ type: 'Accepted', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' }], addresses: [] };
}
