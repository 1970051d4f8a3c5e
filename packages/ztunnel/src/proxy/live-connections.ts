// Inbound connections that policy admitted, kept so that a policy change can be re-checked against
// them and the ones now denied closed (ztunnel: "connection closed due to policy change").
import type { ConnectionAttributes } from '@ambit/authz';

export interface LiveConnection {
  /**
   * The destination workload as xDS describes it NOW (namespace and selector policies, for
   * applicablePolicies()): a new policy arrives together with the workload's new policy list.
   */
  workload: () => { namespace: string; authorizationPolicies: readonly string[] };
  attributes: ConnectionAttributes;
  close(reason: string): void;
}

export class LiveConnections {
  private readonly open = new Set<LiveConnection>();

  add(connection: LiveConnection): () => void {
    this.open.add(connection);
    return () => this.open.delete(connection);
  }

  /** Closes every connection `stillAllowed` now refuses; returns how many were closed. */
  recheck(stillAllowed: (c: LiveConnection) => { allowed: boolean; reason: string }): number {
    let closed = 0;
    for (const c of [...this.open]) {
      const decision = stillAllowed(c);
      if (!decision.allowed) {
        this.open.delete(c);
        c.close(`connection closed due to policy change: ${decision.reason}`);
        closed++;
      }
    }
    return closed;
  }

  get size(): number {
    return this.open.size;
  }
}
