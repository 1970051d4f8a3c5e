// The contract between the Delta ADS server (transport) and whatever owns the state (the model and
// xDS generation). As in go-control-plane, the server reaches state only through ResourceSource:
// it never computes resources and the source never sees a gRPC stream.
import type * as grpc from '@grpc/grpc-js';

/** One xDS resource of one type, ready to send. */
export interface XdsResource {
  /** Canonical name (Workload uid, `namespace/hostname`, policy `ns/name`, ...). */
  name: string;
  /** Opaque; compared only for equality. A new version means "send it again". */
  version: string;
  /** The encoded message of the type's proto (e.g. an encoded istio.workload.Address). */
  body: Uint8Array;
  /** Other names a client may subscribe with (e.g. `network/ip` for a Workload). */
  aliases?: readonly string[];
}

/**
 * The resources of one type visible to one client.
 *
 * Immutability contract (as go-control-plane snapshots): while a source keeps returning the same
 * `resources` Map object, its contents must not change; publish changes as a new Map (copy on
 * write) and an onChange call. The server caches derived data (the alias index) per Map object.
 */
export interface ResourceSnapshot {
  typeUrl: string;
  resources: ReadonlyMap<string, XdsResource>;
  /** Optional precomputed alias -> canonical name index; built (and cached) by the server if absent. */
  aliases?: ReadonlyMap<string, string>;
}

export interface ResourceSource {
  /** Resources of a type visible to this client (per-client views: e.g. node-scoped types only for the caller's node). */
  snapshot(typeUrl: string, client: ClientInfo): ResourceSnapshot;
  /** Called with the type URLs and resource names that changed (removed names included). */
  onChange(listener: (change: ResourceChange) => void): () => void;
}

export interface ResourceChange {
  typeUrl: string;
  names: ReadonlySet<string>;
}

/** Who is on the other end of a stream, from the first request's node and the call. */
export interface ClientInfo {
  /** node.id, e.g. `ztunnel~10.244.1.3~ztunnel-abc.istio-system~istio-system.svc.cluster.local`. */
  id: string;
  cluster: string;
  /** node.metadata (a google.protobuf.Struct) as plain JSON. */
  metadata: Record<string, unknown>;
  /** gRPC peer, `ip:port`. */
  peer: string;
  /** Set when an authenticator is configured and accepted the stream's credential. */
  authenticated?: AuthenticatedPeer;
}

export interface AuthenticatedPeer {
  /** Who the credential names (a SPIFFE ID, a service account, `node:<name>` ...). */
  subject: string;
  /** The node the credential is bound to, when it is a node credential. */
  node?: string;
}

/** Bearer credentials (`authorization: Bearer <token>`); undefined => UNAUTHENTICATED. */
export interface ClientAuthenticator {
  authenticate(metadata: grpc.Metadata, peer: string): Promise<AuthenticatedPeer | undefined>;
}

/** The last NACK a client sent for a type. */
export interface NackStatus {
  nonce: string;
  /** error_detail.message. */
  error: string;
  /** Rejected resource names, when the client named them (see README, "NACK convention"). */
  names: string[];
  at: string;
}

/** Per stream and type URL, for /debug/syncz and `ambit proxy-status`. */
export interface TypeStatus {
  typeUrl: string;
  /** Subscribed to every resource of the type. */
  wildcard: boolean;
  /** Names subscribed explicitly (may be non-empty even when wildcard). */
  subscribed: string[];
  /** How many resources the server believes the client holds. */
  resourceCount: number;
  lastSentVersion?: string;
  lastSentNonce?: string;
  lastSentAt?: string;
  lastAckedNonce?: string;
  lastAckedAt?: string;
  lastNack?: NackStatus;
  /** Responses sent and not yet ACKed or NACKed. */
  unacked: number;
  /** Resource names changed and waiting to be sent (coalesced). */
  pending: number;
}

export interface ClientStatus {
  /** Connection id: `<node id>-<n>`, unique for the server's life. */
  connectionId: string;
  id: string;
  cluster: string;
  peer: string;
  connectedAt: string;
  authenticatedAs?: string;
  /** The outbound queue is waiting for the client to read (HTTP/2 flow control). */
  blocked: boolean;
  types: TypeStatus[];
}

/** Observability hooks (go-control-plane's Callbacks); each is called synchronously, errors are logged. */
export interface XdsServerCallbacks {
  onStreamOpen?(client: ClientInfo, connectionId: string): void;
  onStreamClosed?(client: ClientInfo, connectionId: string, reason: string): void;
  onAck?(client: ClientInfo, typeUrl: string, nonce: string): void;
  onNack?(client: ClientInfo, typeUrl: string, nack: NackStatus): void;
}
