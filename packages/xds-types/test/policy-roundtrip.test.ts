// Round trips of the CNI agents' policy resources through Any, including the distinctions policy
// semantics depend on: absent vs empty selectors, port number vs name, optional end_port and order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packAny, TYPE_URL, unpackAny, type Init, type policy } from '@ambit/xds-types';

function roundTrip<T>(url: string, value: object): T {
  return unpackAny<T>(packAny(url, value));
}

test('PolicyWorkload', () => {
  const input: Init<policy.PolicyWorkload> = {
    uid: 'u1', name: 'a', namespace: 'x', node: 'n1',
    addresses: [Buffer.from([10, 0, 0, 1]), Buffer.from('fd000000000000000000000000000001', 'hex')],
    labels: { pod: 'a' }, namespace_labels: { 'kubernetes.io/metadata.name': 'x' },
    service_account: 'default',
    named_ports: [{ name: 'serve-80-tcp', port: 80, protocol: 'TCP' }, { name: 'serve-81-udp', port: 81, protocol: 'UDP' }],
    enrolled: true,
  };
  const out = roundTrip<policy.PolicyWorkload>(TYPE_URL.policyWorkload, input);
  assert.deepEqual({ ...out, addresses: out.addresses.map((a) => Buffer.from(a).toString('hex')) }, {
    ...input,
    addresses: ['0a000001', 'fd000000000000000000000000000001'],
  });
});

test('NetworkPolicy: absent vs empty selectors, ipBlock, named and ranged ports', () => {
  const input: Init<policy.NetworkPolicy> = {
    name: 'allow', namespace: 'x',
    pod_selector: {}, // every pod of x
    policy_types: ['Ingress', 'Egress'],
    ingress: [{
      from: [
        { namespace_selector: {}, pod_selector: { match_labels: { pod: 'b' } } }, // pod b in any namespace
        { namespace_selector: { match_expressions: [{ key: 'ns', operator: 'In', values: ['y', 'z'] }] } },
      ],
      ports: [{ protocol: 'TCP', number: 80, end_port: 90 }, { protocol: 'UDP', name: 'dns' }, {}],
    }],
    egress: [{ to: [{ ip_block: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [] }],
  };
  const out = roundTrip<policy.NetworkPolicy>(TYPE_URL.networkPolicy, input);
  assert.deepEqual(out.pod_selector, { match_labels: {}, match_expressions: [] }); // present, empty
  const [both, nsOnly] = out.ingress[0]?.from ?? [];
  assert.deepEqual(both?.namespace_selector, { match_labels: {}, match_expressions: [] });
  assert.deepEqual(both?.pod_selector?.match_labels, { pod: 'b' });
  assert.equal(both?.ip_block, null);
  assert.equal(nsOnly?.pod_selector, null); // absent, not empty
  assert.deepEqual(nsOnly?.namespace_selector?.match_expressions, [{ key: 'ns', operator: 'In', values: ['y', 'z'] }]);
  const [range, named, any] = out.ingress[0]?.ports ?? [];
  assert.equal(range?.port, 'number');
  assert.equal(range?.number, 80);
  assert.equal(range?.end_port, 90);
  assert.equal(named?.port, 'name');
  assert.equal(named?.name, 'dns');
  assert.equal(named?.end_port, undefined);
  assert.equal(any?.port, undefined); // every port of the (default TCP) protocol
  assert.equal(any?.protocol, '');
  assert.deepEqual(out.egress[0]?.to[0]?.ip_block, { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] });
  assert.deepEqual(out.egress[0]?.ports, []);
  assert.deepEqual(out.policy_types, ['Ingress', 'Egress']);
});

test('CalicoPolicy: global and namespaced, optional order, actions, entity rules, port specs, flags', () => {
  const global: Init<policy.CalicoPolicy> = {
    name: 'deny-all', order: 0, selector: "projectcalico.org/namespace == 'x'",
    namespace_selector: 'all()', service_account_selector: "role == 'db'", types: ['Ingress', 'Egress'],
    ingress: [
      { action: 'LOG' },
      {
        action: 'ALLOW', protocol: 'TCP', not_protocol: '', ip_version: 4,
        source: { nets: ['10.0.0.0/8'], not_nets: ['10.1.0.0/16'], selector: "app == 'a'", not_selector: 'has(x)', namespace_selector: 'global()', service_account_names: ['sa'], service_account_selector: "k == 'v'" },
        destination: { ports: [{ number: 80 }, { range: { min: 1000, max: 2000 } }, { name: 'http' }], not_ports: [{ number: 22 }] },
      },
      { action: 'PASS' },
    ],
    egress: [{ action: 'DENY', protocol: '17' }],
    do_not_track: true, pre_dnat: false, apply_on_forward: true,
  };
  const out = roundTrip<policy.CalicoPolicy>(TYPE_URL.calicoPolicy, global);
  assert.equal(out.namespace, '');
  assert.equal(out.order, 0); // present at zero, not infinite
  assert.deepEqual(out.ingress.map((r) => r.action), ['LOG', 'ALLOW', 'PASS']);
  const rule = out.ingress[1];
  assert.deepEqual(rule?.source?.nets, ['10.0.0.0/8']);
  assert.equal(rule?.source?.not_selector, 'has(x)');
  assert.deepEqual(rule?.source?.service_account_names, ['sa']);
  assert.deepEqual(rule?.destination?.ports.map((p) => p.port), ['number', 'range', 'name']);
  assert.deepEqual(rule?.destination?.ports[1]?.range, { min: 1000, max: 2000 });
  assert.equal(rule?.destination?.not_ports[0]?.number, 22);
  assert.equal(out.egress[0]?.protocol, '17');
  assert.equal(out.do_not_track, true);
  assert.equal(out.apply_on_forward, true);

  const namespaced = roundTrip<policy.CalicoPolicy>(TYPE_URL.calicoPolicy, { name: 'p', namespace: 'x', order: 100.5 });
  assert.equal(namespaced.namespace, 'x');
  assert.equal(namespaced.order, 100.5);
  assert.equal(roundTrip<policy.CalicoPolicy>(TYPE_URL.calicoPolicy, { name: 'p' }).order, undefined); // infinite
});

test('CalicoTier: optional order (0 is not unset), default action', () => {
  const tier: Init<policy.CalicoTier> = { name: 'security', order: 0, default_action: 'Pass' };
  const out = roundTrip<policy.CalicoTier>(TYPE_URL.calicoTier, tier);
  assert.equal(out.name, 'security');
  assert.equal(out.order, 0);
  assert.equal(out.default_action, 'Pass');
  const unordered = roundTrip<policy.CalicoTier>(TYPE_URL.calicoTier, { name: 'last', default_action: '' });
  assert.equal(unordered.order, undefined);
  assert.equal(unordered.default_action, '');
});
