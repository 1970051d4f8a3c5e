// What the client holds of one type URL, and how a response changes it. Pure (no I/O): the
// client feeds it the resources and removed names of each response and sends the ACK or NACK it
// implies. As ztunnel (src/xds/client.rs): each resource is decoded on its own; the good ones are
// applied, the bad ones are rejected by name and the resource keeps its last good version (or
// stays absent), so one bad resource never blocks the rest of a push.
import { errorMessage } from '@ambit/core';
import type { Rejection } from './nack.ts';

export interface TypeSubscription<T> {
  typeUrl: string;
  /** Explicit resource names; absent = wildcard (every resource of the type). `[]` = nothing yet. */
  names?: string[];
  /** Validate and convert one resource; throw (or return an Error) to NACK just that resource. */
  decode(name: string, body: Uint8Array): T;
  /** Called after each response is applied (good resources applied, bad ones NACKed and left as they were). */
  onChange?(change: StateChange<T>): void;
}

export interface StateChange<T> {
  /** Resources added or replaced by this response, decoded. */
  upserted: ReadonlyMap<string, T>;
  /** Names this client held and no longer holds. */
  removed: readonly string[];
  /** Everything held now (a live view: it follows later changes). */
  state: ReadonlyMap<string, T>;
}

export interface ApplyResult<T> {
  upserted: Map<string, T>;
  removed: string[];
  rejections: Rejection[];
}

interface Held<T> {
  version: string;
  value: T;
  aliases: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class TypeState<T> {
  readonly typeUrl: string;
  private readonly decode: (name: string, body: Uint8Array) => T;
  private readonly entries = new Map<string, Held<T>>();
  private readonly view = new Map<string, T>();
  /** Name -> why its latest version was refused; cleared when a good version lands or it is removed. */
  private readonly refused = new Map<string, string>();
  wildcard: boolean;
  readonly names = new Set<string>();

  constructor(typeUrl: string, decode: (name: string, body: Uint8Array) => T, names?: readonly string[]) {
    this.typeUrl = typeUrl;
    this.decode = decode;
    this.wildcard = names === undefined;
    for (const name of names ?? []) {
      if (name === '*') this.wildcard = true;
      else this.names.add(name);
    }
  }

  /** The decoded resources held (a live view). */
  get state(): ReadonlyMap<string, T> {
    return this.view;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Names whose latest version this client refused. */
  get rejectedCount(): number {
    return this.refused.size;
  }

  /** name -> version of everything held (a reconnect's initial_resource_versions). */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, held] of this.entries) out[name] = held.version;
    return out;
  }

  /** The subscribe/unsubscribe lists of this type's first request on a new stream. */
  initialSubscription(): { subscribe: string[]; unsubscribe: string[] } {
    if (this.wildcard) return { subscribe: this.names.size === 0 ? [] : ['*', ...this.names], unsubscribe: [] };
    // An empty first subscribe list means wildcard; "subscribe to nothing" is `*` in and out (R2).
    if (this.names.size === 0) return { subscribe: ['*'], unsubscribe: ['*'] };
    return { subscribe: [...this.names], unsubscribe: [] };
  }

  /** Applies the resources and removed names of one response. */
  apply(resources: readonly unknown[], removedResources: readonly unknown[]): ApplyResult<T> {
    const rejections: Rejection[] = [];
    const removedNames = new Set<string>();
    removedResources.forEach((name, index) => {
      if (typeof name === 'string' && name !== '') removedNames.add(name);
      else rejections.push({ name: `removed_resources[${index}]`, reason: `not a resource name: ${JSON.stringify(name) ?? typeof name}`, anonymous: true });
    });

    // Names listed more than once in one response are refused: which copy is meant is unknowable.
    const seen = new Map<string, number>();
    for (const r of resources) {
      if (isRecord(r) && typeof r['name'] === 'string') seen.set(r['name'], (seen.get(r['name']) ?? 0) + 1);
    }

    const upserted = new Map<string, T>();
    const accepted: Array<[string, Held<T>]> = [];
    const reported = new Set<string>();
    const refuse = (name: string, reason: string): void => {
      if (reported.has(name)) return;
      reported.add(name);
      rejections.push({ name, reason });
      this.refused.set(name, reason);
    };
    resources.forEach((r, index) => {
      if (!isRecord(r)) {
        rejections.push({ name: `resources[${index}]`, reason: 'not a Resource message', anonymous: true });
        return;
      }
      const name = r['name'];
      if (typeof name !== 'string' || name === '') {
        rejections.push({ name: `resources[${index}]`, reason: 'resource has no name', anonymous: true });
        return;
      }
      if ((seen.get(name) ?? 0) > 1) return refuse(name, 'listed more than once in one response');
      if (removedNames.has(name)) return refuse(name, 'both updated and removed in one response');
      const any = r['resource'];
      if (!isRecord(any)) return refuse(name, 'resource has no body (Resource.resource is unset)');
      const anyType = any['type_url'];
      if (anyType !== this.typeUrl) return refuse(name, `body has type ${JSON.stringify(anyType)}, expected ${this.typeUrl}`);
      const body = any['value'];
      if (!(body instanceof Uint8Array)) return refuse(name, 'body has no bytes');
      const version = typeof r['version'] === 'string' ? r['version'] : '';
      const rawAliases = r['aliases'];
      const aliases = Array.isArray(rawAliases) ? rawAliases.filter((a): a is string => typeof a === 'string' && a !== '') : [];
      let value: T;
      try {
        value = this.decode(name, body);
      } catch (error) {
        return refuse(name, errorMessage(error));
      }
      if (value instanceof Error) return refuse(name, errorMessage(value));
      accepted.push([name, { version, value, aliases }]);
    });

    for (const [name, held] of accepted) {
      this.entries.set(name, held);
      this.view.set(name, held.value);
      this.refused.delete(name);
      upserted.set(name, held.value);
    }
    const removed: string[] = [];
    for (const name of removedNames) {
      this.refused.delete(name);
      if (this.entries.delete(name)) {
        this.view.delete(name);
        removed.push(name);
      }
    }
    return { upserted, removed, rejections };
  }

  /**
   * Applies a subscription change locally (subscribe before unsubscribe, as the server does) and,
   * when the type is no longer wildcard, drops what is no longer subscribed (the server forgets
   * those names without sending removals). Returns the names dropped.
   */
  updateSubscription(subscribe: readonly string[], unsubscribe: readonly string[]): string[] {
    for (const name of subscribe) {
      if (name === '*') this.wildcard = true;
      else this.names.add(name);
    }
    for (const name of unsubscribe) {
      if (name === '*') this.wildcard = false;
      else this.names.delete(name);
    }
    if (this.wildcard) return [];
    const dropped: string[] = [];
    for (const [name, held] of this.entries) {
      if (this.names.has(name) || held.aliases.some((a) => this.names.has(a))) continue;
      this.entries.delete(name);
      this.view.delete(name);
      this.refused.delete(name);
      dropped.push(name);
    }
    return dropped;
  }
}
