// Expected values follow ADR 0007 (ambit.hbone metadata) and Envoy's health statuses: UNHEALTHY,
// DRAINING and TIMEOUT leave load balancing; UNKNOWN, HEALTHY and DEGRADED stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type envoy, type Init } from '@ambit/xds-types';
import { endpointsFromAssignment } from './endpoints.ts';

const EDS = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const decoded = (cla: Init<envoy.ClusterLoadAssignment>): envoy.ClusterLoadAssignment => decodeMessage(EDS, encodeMessage(EDS, cla));

function lb(ip: string, port: number, extra: Init<envoy.LbEndpoint> = {}): Init<envoy.LbEndpoint> {
  return { endpoint: { address: { socket_address: { address: ip, port_value: port } } }, ...extra };
}

const hbone = (identity: unknown, port: unknown): Init<envoy.Metadata> => ({
  filter_metadata: {
    'ambit.hbone': {
      fields: {
        identity: typeof identity === 'string' ? { stringValue: identity } : { numberValue: Number(identity) },
        port: typeof port === 'number' ? { numberValue: port } : { stringValue: String(port) },
      },
    },
  },
});

test('endpoints: key, address, weight, HBONE metadata and health', () => {
  const eps = endpointsFromAssignment(decoded({
    cluster_name: 'outbound|9080||reviews.prod.svc.cluster.local',
    endpoints: [{
      lb_endpoints: [
        lb('10.244.1.5', 9080, { health_status: 'HEALTHY', metadata: hbone('spiffe://cluster.local/ns/prod/sa/reviews', 15008) }),
        lb('10.244.2.6', 9080, { load_balancing_weight: { value: 3 } }),
        lb('10.244.2.7', 9080, { health_status: 'UNHEALTHY' }),
        lb('10.244.2.8', 9080, { health_status: 'DRAINING' }),
        lb('10.244.2.9', 9080, { health_status: 'TIMEOUT' }),
        lb('10.244.2.10', 9080, { health_status: 'DEGRADED' }),
      ],
    }],
  }));
  assert.deepEqual(eps.map((e) => [e.key, e.ip, e.port, e.healthy, e.weight]), [
    ['10.244.1.5:9080', '10.244.1.5', 9080, true, 1],
    ['10.244.2.6:9080', '10.244.2.6', 9080, true, 3],
    ['10.244.2.7:9080', '10.244.2.7', 9080, false, 1],
    ['10.244.2.8:9080', '10.244.2.8', 9080, false, 1],
    ['10.244.2.9:9080', '10.244.2.9', 9080, false, 1],
    ['10.244.2.10:9080', '10.244.2.10', 9080, true, 1],
  ]);
  assert.deepEqual(eps[0]?.hbone, { identity: 'spiffe://cluster.local/ns/prod/sa/reviews', port: 15008 });
  assert.equal(eps[1]?.hbone, undefined);
});

test('bad endpoints are refused with AMBIT_WAYPOINT_CONFIG naming the place', () => {
  const one = (e: Init<envoy.LbEndpoint>, priority = 0): Init<envoy.ClusterLoadAssignment> => ({ cluster_name: 'c', endpoints: [{ priority, lb_endpoints: [e] }] });
  const cases: Array<[string, Init<envoy.ClusterLoadAssignment>, RegExp]> = [
    ['hostname', one(lb('reviews', 80)), /lb_endpoints\[0\]\.endpoint\.address\.socket_address\.address: must be an IP address/],
    ['no address', one({ endpoint: {} }), /socket_address: is required/],
    ['identity not SPIFFE', one(lb('10.0.0.1', 80, { metadata: hbone('reviews', 15008) })), /"ambit\.hbone"\]\.identity: must be a SPIFFE ID/],
    ['port as a string', one(lb('10.0.0.1', 80, { metadata: hbone('spiffe://td/ns/a/sa/b', '15008') })), /"ambit\.hbone"\]\.port: must be a port number/],
    ['priority 1', one(lb('10.0.0.1', 80), 1), /endpoints\[0\]\.priority: only priority 0 is supported/],
    ['duplicate', { cluster_name: 'c', endpoints: [{ lb_endpoints: [lb('10.0.0.1', 80), lb('10.0.0.1', 80)] }] }, /endpoint 10\.0\.0\.1:80 is listed twice/],
  ];
  for (const [label, cla, message] of cases) {
    assert.throws(() => endpointsFromAssignment(decoded(cla)), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'AMBIT_WAYPOINT_CONFIG', label);
      assert.match((e as Error).message, message, label);
      return true;
    });
  }
});
