// ambit.handoff.v1 (proto/ambit/handoff/v1/handoff.proto) as decoded by this package.
import type { EnumValue, Int64 } from './google.ts';

export type Version = EnumValue<'VERSION_UNSPECIFIED' | 'V1'>;

/** ztunnel -> agent, first frame. */
export interface Hello {
  version: Version;
}

/** agent -> ztunnel. */
export interface WorkloadRequest {
  payload?: 'add' | 'del' | 'snapshot_sent';
  add?: AddWorkload;
  del?: DelWorkload;
  snapshot_sent?: SnapshotSent;
}

export interface AddWorkload {
  uid: string;
  name: string;
  namespace: string;
  service_account: string;
  netns_path: string;
  /** Decimal string. */
  netns_inode: Int64;
  /** Raw 4- or 16-byte IPs. */
  addresses: Uint8Array[];
}

export interface DelWorkload {
  uid: string;
}

export type SnapshotSent = Record<string, never>;

/** ztunnel -> agent, one per request, in order. */
export interface WorkloadResponse {
  payload?: 'ack';
  ack?: Ack;
}

export interface Ack {
  /** '' on success. */
  error: string;
}
