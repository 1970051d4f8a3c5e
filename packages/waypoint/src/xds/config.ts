// What the waypoint holds from the control plane, compiled as each resource arrives: the Listener
// (LDS `<ns>/<gateway>`), the RouteConfigurations it names (RDS), the clusters its routes and
// filters name (CDS) and their endpoints (EDS), subscribed by explicit name in Envoy's order and
// narrowed as references go away. A resource that does not compile throws from decode, so the xDS
// client NACKs it by name and the last good version keeps serving.
import { isDeepStrictEqual } from 'node:util';
import { decodeMessage, TYPE_URL, type envoy } from '@ambit/xds-types';
import { errorMessage, type Logger } from '@ambit/core';
import type { ClientStatus, StateChange, TypeSubscription } from '@ambit/xds-client';
import type { ClusterRuntime, CompiledRoutes, Compilers, Endpoint } from '../contracts.ts';
import { WAYPOINT_CODES, waypointError } from '../errors.ts';
import { compileListener, type CompiledChain, type CompiledListener } from './listener.ts';
import { edsServiceName, routeClusters } from './references.ts';

/** The part of DeltaXdsClient the config layer uses (a fake in tests). */
export interface XdsSubscriber {
  subscribe<T>(sub: TypeSubscription<T>): void;
  updateSubscription(typeUrl: string, subscribe: string[], unsubscribe: string[]): void;
  status(): ClientStatus;
}

export interface ConfigCompilers extends Compilers {
  endpoints(assignment: envoy.ClusterLoadAssignment): Endpoint[];
}

interface HeldRoutes {
  resource: envoy.RouteConfiguration;
  compiled: CompiledRoutes;
  clusters: string[];
}

interface HeldCluster {
  resource: envoy.Cluster;
  runtime: ClusterRuntime;
  edsName: string;
}

interface HeldAssignment {
  resource: envoy.ClusterLoadAssignment;
  endpoints: Endpoint[];
}

export interface WaypointConfigOptions {
  xds: XdsSubscriber;
  /** `<POD_NAMESPACE>/<GATEWAY_NAME>`. */
  listenerName: string;
  compilers: ConfigCompilers;
  logger: Logger;
  /** Called after EDS or CDS changes with the keys (`ip:port`) of every endpoint still held, so connections to the rest can close. */
  onEndpoints?: (keys: ReadonlySet<string>) => void;
}

/** Envoy's default initial_fetch_timeout. */
export const INITIAL_FETCH_TIMEOUT_MS = 15_000;

const TYPES = [TYPE_URL.listener, TYPE_URL.routeConfiguration, TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment] as const;

function named<T extends { name: string }>(kind: string, name: string, resource: T): T {
  if (resource.name !== name) throw waypointError(WAYPOINT_CODES.config, `${kind} resource ${JSON.stringify(name)} carries the name ${JSON.stringify(resource.name)}`);
  return resource;
}

export class WaypointConfig {
  readonly listenerName: string;
  #listener: CompiledListener | undefined;
  readonly #routes = new Map<string, HeldRoutes>();
  readonly #clusters = new Map<string, HeldCluster>();
  readonly #assignments = new Map<string, HeldAssignment>();
  /** Names currently subscribed per type (what updateSubscription was last told). */
  readonly #subscribed = new Map<string, Set<string>>();
  /** When each `<type> <name>` was subscribed (initial fetch timeout). */
  readonly #subscribedAt = new Map<string, number>();
  readonly #xds: XdsSubscriber;
  readonly #compilers: ConfigCompilers;
  readonly #logger: Logger;
  readonly #onEndpoints: ((keys: ReadonlySet<string>) => void) | undefined;

  constructor(options: WaypointConfigOptions) {
    this.listenerName = options.listenerName;
    this.#xds = options.xds;
    this.#compilers = options.compilers;
    this.#logger = options.logger;
    this.#onEndpoints = options.onEndpoints;
    for (const type of TYPES) this.#subscribed.set(type, new Set(type === TYPE_URL.listener ? [this.listenerName] : []));
    const compilers = this.#compilers;
    this.#xds.subscribe<CompiledListener>({
      typeUrl: TYPE_URL.listener,
      names: [this.listenerName],
      decode: (name, body) => compileListener(named('Listener', name, decodeMessage<envoy.Listener>('envoy.config.listener.v3.Listener', body)), compilers),
      onChange: (change) => this.#onListener(change),
    });
    this.#xds.subscribe<HeldRoutes>({
      typeUrl: TYPE_URL.routeConfiguration,
      names: [],
      decode: (name, body) => {
        const resource = named('RouteConfiguration', name, decodeMessage<envoy.RouteConfiguration>('envoy.config.route.v3.RouteConfiguration', body));
        return { resource, compiled: compilers.routes(resource), clusters: routeClusters(resource) };
      },
      onChange: (change) => this.#onRoutes(change),
    });
    this.#xds.subscribe<HeldCluster>({
      typeUrl: TYPE_URL.cluster,
      names: [],
      decode: (name, body) => this.#decodeCluster(name, body),
      onChange: (change) => this.#onClusters(change),
    });
    this.#xds.subscribe<HeldAssignment>({
      typeUrl: TYPE_URL.clusterLoadAssignment,
      names: [],
      decode: (name, body) => {
        const resource = decodeMessage<envoy.ClusterLoadAssignment>('envoy.config.endpoint.v3.ClusterLoadAssignment', body);
        if (resource.cluster_name !== name) throw waypointError(WAYPOINT_CODES.config, `ClusterLoadAssignment resource ${JSON.stringify(name)} carries cluster_name ${JSON.stringify(resource.cluster_name)}`);
        return { resource, endpoints: compilers.endpoints(resource) };
      },
      onChange: (change) => this.#onAssignments(change),
    });
  }

  get listener(): CompiledListener | undefined {
    return this.#listener;
  }

  /** The chain serving a CONNECT to `ip:port` under the current Listener. */
  chain(ip: string, port: number): CompiledChain | undefined {
    return this.#listener?.select(ip, port);
  }

  routes(name: string): CompiledRoutes | undefined {
    return this.#routes.get(name)?.compiled;
  }

  cluster(name: string): ClusterRuntime | undefined {
    return this.#clusters.get(name)?.runtime;
  }

  /**
   * Ready: the Listener is held and so is every RouteConfiguration, Cluster and assignment it
   * leads to. As Envoy's initial_fetch_timeout, a name the control plane has not sent within
   * INITIAL_FETCH_TIMEOUT_MS of being subscribed no longer holds readiness back (a route may name
   * a cluster that does not exist; requests to it get 503 NC).
   */
  ready(now: number = Date.now()): boolean {
    if (this.#listener === undefined) return false;
    const held: Record<string, ReadonlyMap<string, unknown>> = {
      [TYPE_URL.routeConfiguration]: this.#routes,
      [TYPE_URL.cluster]: this.#clusters,
      [TYPE_URL.clusterLoadAssignment]: this.#assignments,
    };
    for (const [type, names] of this.#subscribed) {
      const have = held[type];
      if (have === undefined) continue;
      for (const name of names) if (!have.has(name) && now - (this.#subscribedAt.get(`${type} ${name}`) ?? 0) < INITIAL_FETCH_TIMEOUT_MS) return false;
    }
    return true;
  }

  dump(): Record<string, unknown> {
    return {
      listener: this.#listener?.resource ?? null,
      routes: [...this.#routes.values()].map((r) => r.resource),
      clusters: [...this.#clusters.values()].map((c) => ({ resource: c.resource, runtime: c.runtime.snapshot() })),
      endpoints: [...this.#assignments.values()].map((a) => a.resource),
      subscribed: Object.fromEntries([...this.#subscribed].map(([type, names]) => [type, [...names].sort()])),
    };
  }

  close(): void {
    for (const held of this.#clusters.values()) held.runtime.close();
    this.#clusters.clear();
  }

  #decodeCluster(name: string, body: Uint8Array): HeldCluster {
    const resource = named('Cluster', name, decodeMessage<envoy.Cluster>('envoy.config.cluster.v3.Cluster', body));
    const edsName = edsServiceName(resource);
    const held = this.#clusters.get(name);
    // The same cluster pushed again (another cluster changed): keep its runtime, with its outlier
    // ejections and retry budget, instead of starting from nothing.
    if (held !== undefined && isDeepStrictEqual(held.resource, resource)) return held;
    return { resource, runtime: this.#compilers.cluster(resource), edsName };
  }

  #onListener(change: StateChange<CompiledListener>): void {
    this.#listener = change.state.get(this.listenerName);
    if (change.upserted.size > 0) this.#logger.info({ listener: this.listenerName, chains: this.#listener?.chains.length ?? 0 }, 'Listener applied');
    if (change.removed.length > 0) this.#logger.warn({ listener: this.listenerName }, 'Listener removed by the control plane: every CONNECT is refused until it returns');
    this.#resubscribe();
  }

  #onRoutes(change: StateChange<HeldRoutes>): void {
    for (const name of change.removed) this.#routes.delete(name);
    for (const [name, held] of change.upserted) this.#routes.set(name, held);
    this.#resubscribe();
  }

  #onClusters(change: StateChange<HeldCluster>): void {
    for (const name of change.removed) {
      this.#clusters.get(name)?.runtime.close();
      this.#clusters.delete(name);
    }
    for (const [name, held] of change.upserted) {
      const previous = this.#clusters.get(name);
      if (previous !== undefined && previous.runtime !== held.runtime) previous.runtime.close();
      this.#clusters.set(name, held);
      if (previous?.runtime !== held.runtime) held.runtime.setEndpoints(this.#assignments.get(held.edsName)?.endpoints ?? []);
    }
    this.#resubscribe();
  }

  #onAssignments(change: StateChange<HeldAssignment>): void {
    for (const name of change.removed) this.#assignments.delete(name);
    for (const [name, held] of change.upserted) this.#assignments.set(name, held);
    const touched = new Set([...change.removed, ...change.upserted.keys()]);
    for (const cluster of this.#clusters.values()) {
      if (!touched.has(cluster.edsName)) continue;
      try {
        cluster.runtime.setEndpoints(this.#assignments.get(cluster.edsName)?.endpoints ?? []);
      } catch (error) {
        this.#logger.error({ cluster: cluster.resource.name, err: errorMessage(error) }, 'endpoints could not be applied to the cluster');
      }
    }
    this.#endpointsChanged();
  }

  #endpointsChanged(): void {
    if (this.#onEndpoints === undefined) return;
    const keys = new Set<string>();
    for (const held of this.#assignments.values()) for (const endpoint of held.endpoints) keys.add(endpoint.key);
    try {
      this.#onEndpoints(keys);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, 'onEndpoints failed');
    }
  }

  /** Subscribes what the held resources name and unsubscribes what none names any more. */
  #resubscribe(): void {
    const listener = this.#listener;
    const routeNames = new Set(listener?.routeConfigNames ?? []);
    const clusterNames = new Set(listener?.clusters ?? []);
    for (const name of routeNames) for (const cluster of this.#routes.get(name)?.clusters ?? []) clusterNames.add(cluster);
    const edsNames = new Set<string>();
    for (const name of clusterNames) {
      const held = this.#clusters.get(name);
      if (held !== undefined) edsNames.add(held.edsName);
    }
    this.#update(TYPE_URL.routeConfiguration, routeNames);
    this.#update(TYPE_URL.cluster, clusterNames);
    this.#update(TYPE_URL.clusterLoadAssignment, edsNames);
  }

  #update(typeUrl: string, wanted: Set<string>): void {
    const current = this.#subscribed.get(typeUrl) ?? new Set<string>();
    const add = [...wanted].filter((n) => !current.has(n)).sort();
    const remove = [...current].filter((n) => !wanted.has(n)).sort();
    if (add.length === 0 && remove.length === 0) return;
    this.#subscribed.set(typeUrl, new Set(wanted));
    const now = Date.now();
    for (const name of add) this.#subscribedAt.set(`${typeUrl} ${name}`, now);
    for (const name of remove) this.#subscribedAt.delete(`${typeUrl} ${name}`);
    this.#logger.debug({ typeUrl, subscribe: add, unsubscribe: remove }, 'xDS subscription changed');
    this.#xds.updateSubscription(typeUrl, add, remove);
  }
}
