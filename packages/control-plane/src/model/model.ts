// The mesh model: config in, xDS resources out, incrementally. Each config change marks the
// generated resources it can affect (a pod: its workload; a Service: it and the workloads of its
// namespace; a Namespace: everything in it; a policy: it and the workloads it may select), only
// those are rebuilt, and only those whose encoded bytes changed are announced to the xDS server.
// Waypoint resources (Envoy LDS/RDS/CDS/EDS, ADR 0007) are rebuilt whole when anything they read
// changes, and only the endpoints when just a pod changed without changing which of its ports a
// waypoint serves for pod-addressed traffic: cheap at lab scale, and the byte comparison still
// announces only what changed.
import { createHash } from 'node:crypto';
import { isMeshConfigMap, MESH_CONFIG_MAP, readMeshConfigText, resourceKey, selectorMatches, type ExtensionProvider, type Pod, type Resource } from '@ambit/api';
import { TYPE_URL } from '@ambit/xds-types';
import type { Logger } from '@ambit/core';
import type { ConfigChange } from '../config/source.ts';
import { ConfigIndex } from './index-state.ts';
import type { MeshSettings } from './mesh.ts';
import { buildWorkload, podIps, workloadUid } from './workloads.ts';
import { buildService, serviceName } from './services.ts';
import { authorizationInputs, peerAuthenticationInputs } from './policy-inputs.ts';
import { convertAuthorizationPolicy, isSelectorEmpty } from '../generate/authorization.ts';
import { convertPortLevel, convertedName, peerAuthenticationKeysFor, peerAuthenticationView, staticStrictPolicy, STATIC_STRICT_NAME } from '../generate/peer-authentication.ts';
import type { AddressMessage, AuthorizationMessage } from './wire.ts';
import { waypointEndpoints, waypointResources, workloadPortBindings } from '../generate/waypoint/index.ts';
import { buildCalicoPolicy, buildCalicoTier, buildNetworkPolicy, buildPolicyWorkload, calicoPolicyName, isCalicoPolicy, isCalicoTier, isKubernetesNetworkPolicy, policyWorkloadName } from './policy-view.ts';

export const ADDRESS_TYPE = 'type.googleapis.com/istio.workload.Address';
export const AUTHORIZATION_TYPE = 'type.googleapis.com/istio.security.Authorization';
export const POLICY_WORKLOAD_TYPE = 'type.googleapis.com/ambit.policy.v1.PolicyWorkload';
export const NETWORK_POLICY_TYPE = 'type.googleapis.com/ambit.policy.v1.NetworkPolicy';
export const CALICO_POLICY_TYPE = 'type.googleapis.com/ambit.policy.v1.CalicoPolicy';
export const CALICO_TIER_TYPE = 'type.googleapis.com/ambit.policy.v1.CalicoTier';
export const LISTENER_TYPE = TYPE_URL.listener;
export const ROUTE_TYPE = TYPE_URL.routeConfiguration;
export const CLUSTER_TYPE = TYPE_URL.cluster;
export const ENDPOINT_TYPE = TYPE_URL.clusterLoadAssignment;
const MESSAGE_OF: Record<string, MessageName> = {
  [ADDRESS_TYPE]: 'istio.workload.Address',
  [AUTHORIZATION_TYPE]: 'istio.security.Authorization',
  [POLICY_WORKLOAD_TYPE]: 'ambit.policy.v1.PolicyWorkload',
  [NETWORK_POLICY_TYPE]: 'ambit.policy.v1.NetworkPolicy',
  [CALICO_POLICY_TYPE]: 'ambit.policy.v1.CalicoPolicy',
  [CALICO_TIER_TYPE]: 'ambit.policy.v1.CalicoTier',
  [LISTENER_TYPE]: 'envoy.config.listener.v3.Listener',
  [ROUTE_TYPE]: 'envoy.config.route.v3.RouteConfiguration',
  [CLUSTER_TYPE]: 'envoy.config.cluster.v3.Cluster',
  [ENDPOINT_TYPE]: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
};

/** The proto message each served type URL carries. */
export function messageOf(typeUrl: string): MessageName | undefined {
  return MESSAGE_OF[typeUrl];
}

export interface GeneratedResource {
  name: string;
  version: string;
  body: Uint8Array;
  aliases: string[];
}

export type MessageName = 'istio.workload.Address' | 'istio.security.Authorization' | 'ambit.policy.v1.PolicyWorkload' | 'ambit.policy.v1.NetworkPolicy' | 'ambit.policy.v1.CalicoPolicy' | 'ambit.policy.v1.CalicoTier'
  | 'envoy.config.listener.v3.Listener'
  | 'envoy.config.route.v3.RouteConfiguration'
  | 'envoy.config.cluster.v3.Cluster'
  | 'envoy.config.endpoint.v3.ClusterLoadAssignment';
export type Encoder = (typeName: MessageName, message: object) => Uint8Array;

export interface ModelChange {
  typeUrl: string;
  names: Set<string>;
}

interface Dirty {
  pods: Set<string>;
  services: Set<string>;
  authorizations: boolean;
  /** Keys of NetworkPolicies and Calico policies (both APIs) and Calico Tiers. */
  networkPolicies: Set<string>;
  /** Every waypoint resource (Gateways, Services, Namespaces, targetRef policies, routes, DestinationRules, mesh config, a pod's workload port bindings). */
  waypoints: boolean;
  /** Only the waypoints' endpoints (a pod changed, its workload port bindings did not). */
  waypointEndpoints: boolean;
}

/** Kinds the waypoint resources read besides pods. */
const WAYPOINT_INPUTS: ReadonlySet<string> = new Set(['Service', 'Namespace', 'Gateway', 'AuthorizationPolicy', 'HTTPRoute', 'DestinationRule']);

export class MeshModel {
  readonly index = new ConfigIndex();
  private readonly resources = new Map<string, Map<string, GeneratedResource>>(Object.keys(MESSAGE_OF).map((t) => [t, new Map()]));
  /** Generated resource name per `<type URL> <source key>`, so deletions and renames are announced. */
  private readonly generatedName = new Map<string, string>();
  private readonly listeners = new Set<(change: ModelChange) => void>();
  private readonly warnings = new Map<string, string>();
  private waypointWarnings = new Map<string, string>();
  private extensionProviders: ExtensionProvider[] = [];
  /** Problems of the mesh config ConfigMap and where it disagrees with the settings. */
  private meshConfigProblems: string[] = [];
  private readonly mesh: MeshSettings;
  private readonly encode: Encoder;
  private readonly logger: Logger;

  constructor(mesh: MeshSettings, encode: Encoder, logger: Logger) {
    this.mesh = mesh;
    this.encode = encode;
    this.logger = logger;
  }

  onChange(listener: (change: ModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  resourcesOf(typeUrl: string): ReadonlyMap<string, GeneratedResource> {
    return this.resources.get(typeUrl) ?? new Map();
  }

  /** What the waypoints cannot honour, by policy (or route) key: Istio's WaypointAccepted condition. */
  waypointPolicyWarnings(): ReadonlyMap<string, string> {
    return this.waypointWarnings;
  }

  /** What ztunnels enforce only in part, by policy key: Istio's ZtunnelAccepted condition. */
  ztunnelPolicyWarnings(): ReadonlyMap<string, string> {
    return this.warnings;
  }

  /**
   * Status messages by policy key: policies ztunnel enforces only in part, and what the waypoints
   * cannot honour (from their authorization filters and routes).
   */
  policyWarnings(): ReadonlyMap<string, string> {
    if (this.waypointWarnings.size === 0) return this.warnings;
    const merged = new Map(this.warnings);
    for (const [key, message] of this.waypointWarnings) merged.set(key, merged.has(key) ? `${merged.get(key)}; waypoint: ${message}` : `waypoint: ${message}`);
    return merged;
  }

  /** The mesh config ConfigMap's problems (and disagreements with the settings), for config_dump. */
  meshConfigStatus(): { extensionProviders: string[]; problems: string[] } {
    return { extensionProviders: this.extensionProviders.map((p) => p.name), problems: this.meshConfigProblems };
  }

  apply(change: ConfigChange): ModelChange[] {
    const dirty: Dirty = { pods: new Set(), services: new Set(), authorizations: false, networkPolicies: new Set(), waypoints: false, waypointEndpoints: false };
    for (const resource of change.upserted) this.markDirty(dirty, this.index.upsert(resource), resource);
    for (const key of change.deleted) {
      const previous = this.index.delete(key);
      if (previous) this.markDirty(dirty, previous, undefined);
    }
    const changes = this.regenerate(dirty);
    for (const c of changes) for (const listener of this.listeners) listener(c);
    return changes;
  }

  private podsIn(namespace: string | undefined): string[] {
    return this.index.list('Pod', namespace).map((p) => resourceKey(p));
  }

  private markDirty(dirty: Dirty, before: Resource | undefined, after: Resource | undefined): void {
    const r = (after ?? before) as Resource;
    const ns = r.metadata.namespace;
    if (r.kind === 'Pod') {
      dirty.waypointEndpoints = true;
      // Labels, IPs or ports that change which pod ports a waypoint serves by pod IP change its
      // Listener, routes and clusters; readiness and the rest only the endpoints. Everything else
      // the binding reads (Namespaces, Gateways) marks all waypoint resources by itself.
      if (!this.sameWorkloadPorts(before, after)) dirty.waypoints = true;
    }
    if (WAYPOINT_INPUTS.has(r.kind)) dirty.waypoints = true;
    if (isMeshConfigMap(r, this.mesh.rootNamespace)) {
      this.readMeshConfig(after);
      dirty.waypoints = true;
    }
    switch (r.kind) {
      case 'Pod':
        dirty.pods.add(resourceKey(r));
        break;
      case 'Service':
        dirty.services.add(resourceKey(r));
        for (const p of this.podsIn(ns)) dirty.pods.add(p);
        break;
      case 'Namespace':
        for (const p of this.podsIn(r.metadata.name)) dirty.pods.add(p);
        for (const s of this.index.list('Service', r.metadata.name)) dirty.services.add(resourceKey(s));
        break;
      default:
        if (isKubernetesNetworkPolicy(r) || isCalicoPolicy(r) || isCalicoTier(r)) {
          dirty.networkPolicies.add(resourceKey(r));
        } else if (isPolicyKind(r.kind)) {
          dirty.authorizations = true;
          // Selector policies are listed on the workloads they select; root namespace ones on all.
          for (const p of this.podsIn(ns === this.mesh.rootNamespace ? undefined : ns)) dirty.pods.add(p);
        } else if (r.kind === 'Gateway') {
          for (const p of this.podsIn(undefined)) dirty.pods.add(p);
          for (const s of this.index.list('Service')) dirty.services.add(resourceKey(s));
        }
    }
  }

  private sameWorkloadPorts(before: Resource | undefined, after: Resource | undefined): boolean {
    const bindings = (r: Resource | undefined): string => JSON.stringify(r?.kind === 'Pod' ? workloadPortBindings(this.index, this.mesh, r) : []);
    return bindings(before) === bindings(after);
  }

  /**
   * The store of a type, copied once per change batch before its first mutation: a Map the xDS
   * server has seen never changes underneath it (copy on write), so snapshots stay consistent.
   */
  private writable(typeUrl: string, copied: Set<string>): Map<string, GeneratedResource> {
    if (!copied.has(typeUrl)) {
      this.resources.set(typeUrl, new Map(this.resources.get(typeUrl)));
      copied.add(typeUrl);
    }
    return this.resources.get(typeUrl) as Map<string, GeneratedResource>;
  }

  private regenerate(dirty: Dirty): ModelChange[] {
    const addressNames = new Set<string>();
    const authzNames = new Set<string>();
    const copied = new Set<string>();
    const addresses = dirty.pods.size > 0 || dirty.services.size > 0 ? this.writable(ADDRESS_TYPE, copied) : new Map<string, GeneratedResource>();
    const policies = dirty.pods.size > 0 || dirty.authorizations ? this.policyIndex() : undefined;
    const policyWorkloadNames = new Set<string>();
    const policyWorkloads = dirty.pods.size > 0 ? this.writable(POLICY_WORKLOAD_TYPE, copied) : undefined;
    for (const key of dirty.pods) {
      const [, namespace = '', name = ''] = key.split('/');
      const pod = this.index.pod(namespace, name);
      const message = pod && policies ? buildWorkload({ index: this.index, mesh: this.mesh, policiesFor: policies }, pod) : undefined;
      this.setAddress(addresses, key, message ? workloadUid(this.mesh, pod as Pod) : undefined, message ? { workload: message } : undefined, pod ? podIps(pod) : [], addressNames);
      if (policyWorkloads) this.setDerived(policyWorkloads, POLICY_WORKLOAD_TYPE, key, pod ? policyWorkloadName(pod) : undefined, pod ? buildPolicyWorkload(this.index, pod) : undefined, policyWorkloadNames);
    }
    const networkPolicyNames = new Set<string>();
    const calicoNames = new Set<string>();
    const tierNames = new Set<string>();
    for (const key of dirty.networkPolicies) {
      const r = this.index.get(key);
      if (key.startsWith('Tier/')) this.setDerived(this.writable(CALICO_TIER_TYPE, copied), CALICO_TIER_TYPE, key, r && isCalicoTier(r) ? r.metadata.name : undefined, r && isCalicoTier(r) ? buildCalicoTier(r) : undefined, tierNames);
      else if (r && isCalicoPolicy(r)) this.setDerived(this.writable(CALICO_POLICY_TYPE, copied), CALICO_POLICY_TYPE, key, calicoPolicyName(r), buildCalicoPolicy(r), calicoNames);
      else if (r && isKubernetesNetworkPolicy(r)) this.setDerived(this.writable(NETWORK_POLICY_TYPE, copied), NETWORK_POLICY_TYPE, key, `${r.metadata.namespace}/${r.metadata.name}`, buildNetworkPolicy(r), networkPolicyNames);
      else {
        // Deleted: whichever view held it drops it.
        this.setDerived(this.writable(CALICO_POLICY_TYPE, copied), CALICO_POLICY_TYPE, key, undefined, undefined, calicoNames);
        this.setDerived(this.writable(NETWORK_POLICY_TYPE, copied), NETWORK_POLICY_TYPE, key, undefined, undefined, networkPolicyNames);
      }
    }
    for (const key of dirty.services) {
      const [, namespace = '', name = ''] = key.split('/');
      const svc = this.index.service(namespace, name);
      const message = svc ? buildService(this.index, this.mesh, svc) : undefined;
      const vips = svc?.spec.clusterIP && svc.spec.clusterIP !== 'None' ? [svc.spec.clusterIP] : [];
      this.setAddress(addresses, key, svc && message ? serviceName(this.mesh, svc) : undefined, message ? { service: message } : undefined, vips, addressNames);
    }
    if (dirty.authorizations) this.regenerateAuthorizations(this.writable(AUTHORIZATION_TYPE, copied), authzNames);
    const changes: ModelChange[] = [];
    if (dirty.waypoints || dirty.waypointEndpoints) changes.push(...this.regenerateWaypoints(dirty.waypoints, copied));
    if (addressNames.size > 0) changes.push({ typeUrl: ADDRESS_TYPE, names: addressNames });
    if (authzNames.size > 0) changes.push({ typeUrl: AUTHORIZATION_TYPE, names: authzNames });
    if (policyWorkloadNames.size > 0) changes.push({ typeUrl: POLICY_WORKLOAD_TYPE, names: policyWorkloadNames });
    if (networkPolicyNames.size > 0) changes.push({ typeUrl: NETWORK_POLICY_TYPE, names: networkPolicyNames });
    if (calicoNames.size > 0) changes.push({ typeUrl: CALICO_POLICY_TYPE, names: calicoNames });
    if (tierNames.size > 0) changes.push({ typeUrl: CALICO_TIER_TYPE, names: tierNames });
    return changes;
  }

  private setAddress(store: Map<string, GeneratedResource>, sourceKey: string, name: string | undefined, message: AddressMessage | undefined, ips: string[], changed: Set<string>): void {
    const aliases = ips.map((ip) => `${this.mesh.network}/${ip}`);
    this.setDerived(store, ADDRESS_TYPE, sourceKey, name, message, changed, aliases);
  }

  /**
   * Stores what one source resource generates for one type (or removes it when name or message is
   * undefined), remembering the generated name so a rename or deletion removes the old one.
   */
  private setDerived(store: Map<string, GeneratedResource>, typeUrl: string, sourceKey: string, name: string | undefined, message: object | undefined, changed: Set<string>, aliases: string[] = []): void {
    const ownerKey = `${typeUrl} ${sourceKey}`;
    const previousName = this.generatedName.get(ownerKey);
    if (previousName !== undefined && (previousName !== name || message === undefined)) {
      store.delete(previousName);
      this.generatedName.delete(ownerKey);
      changed.add(previousName);
    }
    if (name === undefined || message === undefined) return;
    const typeName = MESSAGE_OF[typeUrl] as MessageName;
    if (this.store(store, name, this.encode(typeName, message), aliases)) changed.add(name);
    this.generatedName.set(ownerKey, name);
  }

  /** Stores a resource; true when its bytes changed. */
  private store(store: Map<string, GeneratedResource>, name: string, body: Uint8Array, aliases: string[]): boolean {
    const version = versionOf(body);
    if (store.get(name)?.version === version) return false;
    store.set(name, { name, version, body, aliases });
    return true;
  }

  /**
   * Reads the mesh config ConfigMap (or forgets it when deleted). Only extensionProviders are
   * used; trust domain and root namespace come from the settings, so a ConfigMap naming others is
   * reported, not obeyed.
   */
  private readMeshConfig(configMap: Resource | undefined): void {
    this.extensionProviders = [];
    this.meshConfigProblems = [];
    if (configMap?.kind !== 'ConfigMap') return;
    const text = configMap.spec.data[MESH_CONFIG_MAP.key];
    if (text === undefined) return;
    const where = `ConfigMap/${configMap.metadata.namespace ?? 'default'}/${configMap.metadata.name}`;
    const { config, problems } = readMeshConfigText(configMap.source.file, text, configMap.source, `data.${MESH_CONFIG_MAP.key}`, undefined);
    const errors = problems.filter((p) => p.severity === 'error');
    this.meshConfigProblems = errors.map((p) => `${where}: ${p.path}: ${p.message}`);
    if (errors.length === 0) this.extensionProviders = config.extensionProviders;
    for (const [field, own] of [['trustDomain', this.mesh.trustDomain], ['rootNamespace', this.mesh.rootNamespace]] as const) {
      if (config[field] !== own) this.meshConfigProblems.push(`${where}: ${field} is ${JSON.stringify(config[field])} but the control plane runs with ${JSON.stringify(own)} (from its settings); the settings win`);
    }
    for (const p of this.meshConfigProblems) this.logger.warn({ configMap: where }, p);
  }

  /** Rebuilds the waypoint resources (all, or only the endpoints) and stores what changed. */
  private regenerateWaypoints(all: boolean, copied: Set<string>): ModelChange[] {
    const inputs = { index: this.index, mesh: this.mesh, extensionProviders: this.extensionProviders };
    const wanted: Array<[string, ReadonlyMap<string, object>]> = [];
    if (all) {
      const generated = waypointResources(inputs);
      this.waypointWarnings = generated.warnings;
      wanted.push([LISTENER_TYPE, generated.listeners], [ROUTE_TYPE, generated.routes], [CLUSTER_TYPE, generated.clusters], [ENDPOINT_TYPE, generated.endpoints]);
    } else {
      wanted.push([ENDPOINT_TYPE, waypointEndpoints(inputs)]);
    }
    const changes: ModelChange[] = [];
    for (const [typeUrl, resources] of wanted) {
      const names = new Set<string>();
      const current = this.resources.get(typeUrl) ?? new Map<string, GeneratedResource>();
      const typeName = MESSAGE_OF[typeUrl] as MessageName;
      const encoded = new Map([...resources].map(([name, message]) => [name, this.encode(typeName, message)]));
      const unchanged = current.size === encoded.size && [...encoded].every(([name, body]) => current.get(name)?.version === versionOf(body));
      if (unchanged) continue;
      const store = this.writable(typeUrl, copied);
      for (const name of [...store.keys()]) {
        if (!encoded.has(name)) {
          store.delete(name);
          names.add(name);
        }
      }
      for (const [name, body] of encoded) if (this.store(store, name, body, [])) names.add(name);
      if (names.size > 0) changes.push({ typeUrl, names });
    }
    this.logger.debug({ all, changed: changes.map((c) => c.names.size) }, 'waypoint resources regenerated');
    return changes;
  }

  /** Which ztunnel-enforced policies (converted PeerAuthentication included) apply to a pod. */
  private policyIndex(): (pod: Pod) => string[] {
    const root = this.mesh.rootNamespace;
    const selectorPolicies = authorizationInputs(this.index).filter((p) => !p.hasTargetRefs && !isSelectorEmpty(p.selector) && (p.action === 'ALLOW' || p.action === 'DENY'));
    const peerView = peerAuthenticationView(peerAuthenticationInputs(this.index), root);
    return (pod) => {
      const ns = pod.metadata.namespace ?? 'default';
      const keys = selectorPolicies
        .filter((p) => (p.namespace === ns || p.namespace === root) && selectorMatches({ matchLabels: p.selector?.matchLabels ?? {} }, pod.metadata.labels))
        .map((p) => `${p.namespace}/${p.name}`);
      keys.push(...peerAuthenticationKeysFor(peerView, root, ns, pod.metadata.labels));
      return keys.sort();
    };
  }

  private regenerateAuthorizations(store: Map<string, GeneratedResource>, changed: Set<string>): void {
    const root = this.mesh.rootNamespace;
    const wanted = new Map<string, AuthorizationMessage>();
    this.warnings.clear();
    for (const input of authorizationInputs(this.index)) {
      const { authorization, warning } = convertAuthorizationPolicy(input, root);
      const key = `${input.namespace}/${input.name}`;
      if (warning) this.warnings.set(`AuthorizationPolicy/${key}`, warning);
      if (authorization) wanted.set(key, authorization);
    }
    wanted.set(`${root}/${STATIC_STRICT_NAME}`, staticStrictPolicy(root));
    const peers = peerAuthenticationInputs(this.index);
    const view = peerAuthenticationView(peers, root);
    for (const pa of peers) {
      if (Object.keys(pa.portLevel).length === 0 || !pa.selector) continue;
      const converted = convertPortLevel(pa, view.parentMode(pa.namespace));
      if (converted) wanted.set(`${pa.namespace}/${convertedName(pa.name)}`, converted);
    }
    for (const name of [...store.keys()]) {
      if (!wanted.has(name)) {
        store.delete(name);
        changed.add(name);
      }
    }
    for (const [name, message] of wanted) {
      if (this.store(store, name, this.encode('istio.security.Authorization', message), [])) changed.add(name);
    }
    this.logger.debug({ policies: wanted.size }, 'authorizations regenerated');
  }
}

function versionOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

function isPolicyKind(kind: string): boolean {
  return kind === 'AuthorizationPolicy' || kind === 'PeerAuthentication';
}
