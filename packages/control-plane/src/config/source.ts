// The seam between where configuration lives and the control plane: list + watch, like a
// Kubernetes informer. A directory of YAML files is the default; etcd and the Kubernetes API come
// later behind the same interface.
import type { Resource } from '@ambit/api';
import type { Problem } from '@ambit/core';

export interface ConfigChange {
  /** Resources added or changed since the last batch, keyed by resourceKey(). */
  upserted: Resource[];
  /** Keys of resources that are gone. */
  deleted: string[];
}

export interface ConfigSource {
  /** Loads the current state and starts watching; the first batch carries everything. */
  start(listener: (change: ConfigChange) => void): Promise<void>;
  /** Problems of the inputs as they are now (a bad file keeps its last good resources). */
  problems(): Problem[];
  close(): Promise<void>;
}
