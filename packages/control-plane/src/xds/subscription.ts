// Per stream and per type URL subscription state of the incremental (delta) xDS protocol, and the
// computation of what to send. Pure: no gRPC, no timers; tested beside this file.
//
// Rules implemented (Envoy's xds_protocol "Incremental xDS" and go-control-plane's
// pkg/server/stream/v3/subscription.go):
//  R1  The first request of a type with an empty resource_names_subscribe is a wildcard
//      subscription ("legacy wildcard"); so is subscribing "*" explicitly at any time.
//      Subscribing names later does not end an established wildcard; unsubscribing "*" does.
//  R2  resource_names_subscribe / resource_names_unsubscribe add to / remove from the explicit set,
//      subscribe first, then unsubscribe: ztunnel's on-demand mode opens a type with
//      subscribe ["*"] + unsubscribe ["*"] in one message, meaning "subscribe to nothing".
//  R3  initial_resource_versions (first request of a type, after a reconnect) is what the client
//      already holds: only resources whose version differs are sent, and names it holds that no
//      longer exist (or are no longer visible to it) are sent in removed_resources. When the
//      subscription is not wildcard those names are also subscribed, as istiod does
//      (deltaWatchedResources), so an on-demand client keeps its resources live across reconnects.
//  R4  Explicitly subscribing a name that does not exist answers it in removed_resources: the
//      delta protocol's way of saying "does not exist", so an on-demand caller stops waiting.
//  R5  Unsubscribing a name forgets that the client holds it (resubscribing sends it again); if the
//      subscription is still wildcard the resource is re-evaluated and re-sent or removed, as the
//      protocol requires (go-control-plane marks it with an empty version).
//  R6  Unsubscribing "*" stops wildcard delivery; the client drops what it no longer wants, the
//      server only forgets those names (no removed_resources for them).
//  R7  After the first response only changed resources are sent: the server tracks the version it
//      last sent of each resource (`held`) and sends a resource only when the current version
//      differs, so a push costs O(change), not O(state).
//  R8  A NACK does not roll `held` back: the version the client rejected is not sent again; the
//      next version of that resource is sent as usual and the last good state keeps serving.
//  R9  Aliases: a name the client subscribes may be an alias of a resource (e.g. `network/ip` of a
//      Workload). The resource is sent under its canonical name with its aliases listed (as istiod
//      does) and stays subscribed while it carries that alias; the server tracks it by canonical name.
import { HeldVersions } from './held.ts';
import type { ResourceSnapshot, XdsResource } from './types.ts';

export const WILDCARD = '*';

export interface ComputedResponse {
  resources: XdsResource[];
  removed: string[];
}

const aliasIndexes = new WeakMap<ReadonlyMap<string, XdsResource>, Map<string, string>>();

/** alias -> canonical name for a snapshot; cached per (immutable) resources Map. */
export function aliasIndex(snapshot: ResourceSnapshot): ReadonlyMap<string, string> {
  if (snapshot.aliases !== undefined) return snapshot.aliases;
  let index = aliasIndexes.get(snapshot.resources);
  if (index === undefined) {
    index = new Map();
    for (const resource of snapshot.resources.values()) {
      for (const alias of resource.aliases ?? []) if (!index.has(alias)) index.set(alias, resource.name);
    }
    aliasIndexes.set(snapshot.resources, index);
  }
  return index;
}

export class TypeSubscription {
  readonly typeUrl: string;
  wildcard = false;
  /** Names subscribed explicitly (canonical names or aliases). */
  readonly explicit = new Set<string>();
  /** Canonical name -> version the client holds (as far as the server knows); shares snapshot Maps. */
  readonly held = new HeldVersions();
  /** Work waiting for the next response. */
  private full = false;
  private mustRespond = false;
  private readonly dirty = new Set<string>();
  /** Changed-name sets shared with other streams (never mutated), folded into `dirty` when many. */
  private dirtyBatches: ReadonlySet<string>[] = [];
  private readonly requested = new Set<string>();

  constructor(typeUrl: string) {
    this.typeUrl = typeUrl;
  }

  /** The first request of this type on the stream (R1, R2, R3). Always answered, even if empty. */
  open(subscribe: readonly string[], unsubscribe: readonly string[], initialVersions: ReadonlyMap<string, string>): void {
    for (const [name, version] of initialVersions) this.held.set(name, version);
    this.wildcard = subscribe.length === 0; // R1 legacy wildcard
    for (const name of subscribe) {
      if (name === WILDCARD) this.wildcard = true;
      else this.explicit.add(name);
    }
    const unsubscribed = new Set(unsubscribe);
    if (unsubscribed.delete(WILDCARD)) this.wildcard = false; // R2: ["*"] + ["*"] = nothing
    if (!this.wildcard) for (const name of initialVersions.keys()) this.explicit.add(name); // R3
    for (const name of unsubscribed) {
      this.explicit.delete(name);
      if (!this.wildcard) this.held.delete(name);
    }
    // The full evaluation sends what differs from `held` and removes held names that are gone.
    this.full = true;
    this.mustRespond = true;
  }

  /** A later request's subscription changes (R1, R2, R4, R5, R6). */
  update(subscribe: readonly string[], unsubscribe: readonly string[]): void {
    for (const name of subscribe) {
      if (name === WILDCARD) {
        if (!this.wildcard) this.full = true;
        this.wildcard = true;
        continue;
      }
      this.explicit.add(name);
      this.requested.add(name);
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD) {
        if (this.wildcard) {
          this.wildcard = false;
          this.forgetUncovered(); // R6
        }
        continue;
      }
      this.explicit.delete(name);
      this.requested.delete(name);
      if (this.wildcard) {
        // R5: the protocol wants the current state of an explicitly unsubscribed name that is still
        // covered by the wildcard; an impossible version forces a re-send (or a removal).
        if (this.held.has(name)) this.held.set(name, '');
        this.dirty.add(name);
      } else {
        this.held.delete(name);
      }
    }
  }

  /** Drops held names that are no longer subscribed (they are never re-sent or removed). */
  private forgetUncovered(): void {
    for (const name of [...this.held.keys()]) if (!this.explicit.has(name)) this.held.delete(name);
    // Alias-subscribed resources are checked again against the snapshot on the next response.
    this.full = true;
  }

  /** Names changed in the source (R7). */
  markDirty(names: ReadonlySet<string>): void {
    if (this.full || names.size === 0) return;
    this.dirtyBatches.push(names);
    if (this.dirtyBatches.length > 8) {
      // A stream that is not being flushed (blocked by a slow reader) folds its backlog: memory
      // stays bounded by the number of distinct names, whatever the number of pushes.
      for (const batch of this.dirtyBatches) for (const name of batch) this.dirty.add(name);
      this.dirtyBatches = [];
    }
  }

  hasWork(): boolean {
    return this.full || this.mustRespond || this.dirty.size > 0 || this.dirtyBatches.length > 0 || this.requested.size > 0;
  }

  /** How many names wait to be evaluated (an upper bound, for the status page). */
  pendingCount(): number {
    let count = this.dirty.size + this.requested.size;
    for (const batch of this.dirtyBatches) count += batch.size;
    return this.full ? Math.max(1, count) : count;
  }

  /** Whether `resource` (named `name`) is wanted by this subscription. */
  covers(name: string, resource: XdsResource): boolean {
    if (this.wildcard || this.explicit.has(name)) return true;
    if (resource.aliases !== undefined && this.explicit.size > 0) {
      for (const alias of resource.aliases) if (this.explicit.has(alias)) return true;
    }
    return false;
  }

  /**
   * Computes the next response from the current snapshot and clears the pending work. Returns
   * undefined when nothing needs sending. `held` is updated as if the response were delivered
   * (R7, R8): callers write the response they get.
   */
  take(snapshot: ResourceSnapshot): ComputedResponse | undefined {
    if (!this.hasWork()) return undefined;
    const resources = snapshot.resources;
    const upserts = new Map<string, XdsResource>();
    const removed = new Set<string>();

    const consider = (name: string): void => {
      const resource = resources.get(name);
      if (resource !== undefined && this.covers(name, resource)) {
        if (this.held.get(name) !== resource.version) upserts.set(name, resource);
      } else if (this.held.has(name)) {
        removed.add(name);
      }
    };
    const resolve = (name: string): void => {
      // R4, R9: a requested name, canonical or alias.
      let resource = resources.get(name);
      if (resource === undefined) {
        const canonical = aliasIndex(snapshot).get(name);
        if (canonical !== undefined) resource = resources.get(canonical);
      }
      if (resource === undefined) {
        removed.add(name);
        return;
      }
      if (this.held.get(resource.name) !== resource.version) upserts.set(resource.name, resource);
    };

    if (this.full) {
      if (this.wildcard) {
        for (const [name, resource] of resources) if (this.held.get(name) !== resource.version) upserts.set(name, resource);
      } else {
        for (const name of this.explicit) resolve(name);
      }
      for (const name of this.held.keys()) if (!upserts.has(name)) consider(name);
    } else {
      for (const name of this.dirty) consider(name);
      for (const batch of this.dirtyBatches) for (const name of batch) if (!this.dirty.has(name)) consider(name);
    }
    for (const name of this.requested) resolve(name);
    // A name both sent and "removed" (an alias answered as missing that is also a canonical name
    // being sent) is only sent.
    for (const name of upserts.keys()) removed.delete(name);

    const respond = this.mustRespond;
    const wasFullWildcard = this.full && this.wildcard;
    this.full = false;
    this.mustRespond = false;
    this.dirty.clear();
    this.dirtyBatches = [];
    this.requested.clear();
    if (wasFullWildcard) {
      // The client now holds exactly this snapshot: share its Map instead of copying it.
      this.held.rebase(resources);
    } else {
      for (const [name, resource] of upserts) this.held.set(name, resource.version);
      for (const name of removed) this.held.delete(name);
      this.held.compact(this.wildcard ? resources : undefined);
    }
    if (!respond && upserts.size === 0 && removed.size === 0) return undefined;
    return { resources: [...upserts.values()], removed: [...removed] };
  }
}
