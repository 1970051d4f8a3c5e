// Envoy resources as ADR 0007 has the control plane write them, built by hand for the tests, and
// a stand-in xDS client that delivers them as bytes (encodeMessage) to the waypoint's decoders, so
// every field the tests set is checked to survive encoding and decoding.
import { ENVOY_FILTER, ENVOY_TYPE, HBONE_ENDPOINT_METADATA, TYPE_URL, encodeMessage, packAny } from '@ambit/xds-types';
import type { ClientStatus, StateChange, TypeSubscription } from '@ambit/xds-client';
import type { XdsSubscriber } from '../src/xds/config.ts';

const TYPE_NAMES: Record<string, string> = {
  [TYPE_URL.listener]: 'envoy.config.listener.v3.Listener',
  [TYPE_URL.routeConfiguration]: 'envoy.config.route.v3.RouteConfiguration',
  [TYPE_URL.cluster]: 'envoy.config.cluster.v3.Cluster',
  [TYPE_URL.clusterLoadAssignment]: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
};

export function outbound(host: string, port: number): string {
  return `outbound|${port}||${host}`;
}

export interface ChainSpec {
  host: string;
  vip: string;
  port: number;
  /** RBAC DENY policies: name -> path prefixes denied to everyone. */
  denyPrefixes?: Record<string, string[]>;
  tcp?: boolean;
  /** CUSTOM: requests under these path prefixes are checked by the ext_authz cluster. */
  extAuthz?: { cluster: string; prefixes: string[] };
}

/** CUSTOM as ADR 0007 writes it: shadow DENY rules naming istio-ext-authz-* policies, then ext_authz gated on them. */
function custom(spec: { cluster: string; prefixes: string[] }): object[] {
  const policy = 'istio-ext-authz-ns[default]-policy[ext]-rule[0]';
  return [
    {
      name: ENVOY_FILTER.rbac,
      typed_config: packAny(ENVOY_TYPE.rbac, {
        shadow_rules: { action: 'DENY', policies: { [policy]: { permissions: [{ or_rules: { rules: spec.prefixes.map((prefix) => ({ url_path: { path: { prefix } } })) } }], principals: [{ any: true }] } } },
        shadow_rules_stat_prefix: 'istio_ext_authz_',
      }),
    },
    {
      name: ENVOY_FILTER.extAuthz,
      typed_config: packAny(ENVOY_TYPE.extAuthz, {
        http_service: {
          server_uri: { uri: `http://${spec.cluster.split('|')[3] ?? ''}`, cluster: spec.cluster, timeout: { seconds: '2', nanos: 0 } },
          path_prefix: '',
          authorization_request: { allowed_headers: { patterns: [{ exact: 'x-ext-authz', ignore_case: true }] } },
          authorization_response: { allowed_upstream_headers: { patterns: [{ exact: 'x-ext-authz-check-result', ignore_case: true }] }, allowed_client_headers: { patterns: [{ exact: 'x-ext-authz-check-result', ignore_case: true }] }, allowed_client_headers_on_success: { patterns: [{ exact: 'x-ext-authz-check-result', ignore_case: true }] } },
        },
        failure_mode_allow: false,
        status_on_error: { code: 'Forbidden' },
        filter_enabled_metadata: { filter: ENVOY_FILTER.rbac, path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { string_match: { prefix: 'istio-ext-authz', ignore_case: false } } },
      }),
    },
  ];
}

function rbacDeny(policies: Record<string, string[]>): object {
  const out: Record<string, object> = {};
  for (const [name, prefixes] of Object.entries(policies)) {
    out[name] = { permissions: [{ or_rules: { rules: prefixes.map((prefix) => ({ url_path: { path: { prefix } } })) } }], principals: [{ any: true }] };
  }
  return { name: ENVOY_FILTER.rbac, typed_config: packAny(ENVOY_TYPE.rbac, { rules: { action: 'DENY', policies: out } }) };
}

export function listener(name: string, chains: ChainSpec[]): object {
  return {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: 15008 } },
    filter_chains: chains.map((c) => ({
      name: `${c.host}:${c.port}`,
      filter_chain_match: { destination_port: { value: c.port }, prefix_ranges: [{ address_prefix: c.vip, prefix_len: { value: 32 } }] },
      filters: [
        c.tcp
          ? { name: ENVOY_FILTER.tcpProxy, typed_config: packAny(ENVOY_TYPE.tcpProxy, { stat_prefix: outbound(c.host, c.port), cluster: outbound(c.host, c.port) }) }
          : {
              name: ENVOY_FILTER.httpConnectionManager,
              typed_config: packAny(ENVOY_TYPE.httpConnectionManager, {
                codec_type: 'AUTO',
                stat_prefix: outbound(c.host, c.port),
                rds: { route_config_name: `${c.host}:${c.port}`, config_source: { ads: {} } },
                normalize_path: { value: true },
                merge_slashes: false,
                generate_request_id: { value: true },
                http_filters: [
                  ...(c.extAuthz ? custom(c.extAuthz) : []),
                  ...(c.denyPrefixes ? [rbacDeny(c.denyPrefixes)] : []),
                  { name: ENVOY_FILTER.router, typed_config: packAny(ENVOY_TYPE.router, {}) },
                ],
              }),
            },
      ],
    })),
  };
}

/** The Service's routes: `timed` prefixes get a route timeout (ms), then the default route (no timeout, as Istio). */
export function routeConfiguration(host: string, port: number, timed: Record<string, number> = {}, retry?: { retryOn: string; numRetries: number }): object {
  const cluster = outbound(host, port);
  const ms = (n: number) => ({ seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
  return {
    name: `${host}:${port}`,
    virtual_hosts: [
      {
        name: `${host}:${port}`,
        domains: ['*'],
        routes: [
          ...Object.entries(timed).map(([prefix, timeout]) => ({ name: `timed${prefix}`, match: { prefix }, route: { cluster, timeout: ms(timeout) } })),
          {
            name: 'default',
            match: { prefix: '/' },
            route: { cluster, timeout: ms(0), ...(retry ? { retry_policy: { retry_on: retry.retryOn, num_retries: { value: retry.numRetries }, retry_back_off: { base_interval: ms(5), max_interval: ms(10) } } } : {}) },
          },
        ],
      },
    ],
  };
}

export function cluster(name: string): object {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} }, service_name: name }, connect_timeout: { seconds: '5', nanos: 0 }, lb_policy: 'ROUND_ROBIN' };
}

export function assignment(name: string, endpoints: Array<{ ip: string; port: number; hbone?: { identity: string; port: number } }>): object {
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.ip, port_value: e.port } } },
          health_status: 'HEALTHY',
          ...(e.hbone
            ? { metadata: { filter_metadata: { [HBONE_ENDPOINT_METADATA]: { fields: { identity: { stringValue: e.hbone.identity }, port: { numberValue: e.hbone.port } } } } } }
            : {}),
        })),
      },
    ],
  };
}

interface Held {
  sub: TypeSubscription<unknown>;
  state: Map<string, unknown>;
  ready: boolean;
}

/** Delivers resources the way DeltaXdsClient does: decode each (a throw rejects it by name), then onChange. */
export class FakeXds implements XdsSubscriber {
  readonly types = new Map<string, Held>();
  readonly names = new Map<string, Set<string>>();
  readonly rejected: Array<{ typeUrl: string; name: string; error: string }> = [];

  subscribe<T>(sub: TypeSubscription<T>): void {
    this.types.set(sub.typeUrl, { sub: sub as TypeSubscription<unknown>, state: new Map(), ready: false });
    this.names.set(sub.typeUrl, new Set(sub.names ?? []));
  }

  updateSubscription(typeUrl: string, subscribe: string[], unsubscribe: string[]): void {
    const names = this.names.get(typeUrl) as Set<string>;
    for (const n of subscribe) names.add(n);
    for (const n of unsubscribe) names.delete(n);
    const held = this.types.get(typeUrl) as Held;
    const dropped = unsubscribe.filter((n) => held.state.delete(n));
    if (dropped.length > 0) held.sub.onChange?.({ upserted: new Map(), removed: dropped, state: held.state });
  }

  status(): ClientStatus {
    return { connected: true, connects: 1, types: [...this.types.values()].map((t) => ({ typeUrl: t.sub.typeUrl, resources: t.state.size, wildcard: false, ready: t.ready, rejected: 0 })) };
  }

  subscribed(typeUrl: string): string[] {
    return [...(this.names.get(typeUrl) ?? [])].sort();
  }

  /** One response of `typeUrl` carrying `resources` (objects in this package's convention). */
  push(typeUrl: string, resources: object[]): void {
    const held = this.types.get(typeUrl);
    if (held === undefined) throw new Error(`${typeUrl} is not subscribed`);
    const upserted = new Map<string, unknown>();
    for (const resource of resources) {
      const r = resource as { name?: string; cluster_name?: string };
      const name = r.name ?? r.cluster_name ?? '';
      const bytes = encodeMessage(TYPE_NAMES[typeUrl] as string, resource);
      try {
        upserted.set(name, held.sub.decode(name, bytes));
      } catch (error) {
        this.rejected.push({ typeUrl, name, error: (error as Error).message });
      }
    }
    for (const [name, value] of upserted) held.state.set(name, value);
    held.ready = true;
    held.sub.onChange?.({ upserted, removed: [], state: held.state } satisfies StateChange<unknown>);
  }
}
