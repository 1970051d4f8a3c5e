// AuthorizationPolicy status as Istio writes it: one condition per data-plane component that
// cannot honour all of a policy (ZtunnelAccepted, WaypointAccepted), reason UnsupportedValue.

export interface PolicyCondition {
  type: 'ZtunnelAccepted' | 'WaypointAccepted';
  status: 'True';
  reason: 'UnsupportedValue';
  message: string;
}

/** Conditions by policy key, from the ztunnel's and the waypoints' warnings (keyed alike). */
export function policyStatus(ztunnel: ReadonlyMap<string, string>, waypoint: ReadonlyMap<string, string>): Record<string, { conditions: PolicyCondition[] }> {
  const status: Record<string, { conditions: PolicyCondition[] }> = {};
  const add = (type: PolicyCondition['type'], warnings: ReadonlyMap<string, string>): void => {
    for (const [key, message] of warnings) (status[key] ??= { conditions: [] }).conditions.push({ type, status: 'True', reason: 'UnsupportedValue', message });
  };
  add('ZtunnelAccepted', ztunnel);
  add('WaypointAccepted', waypoint);
  return status;
}
