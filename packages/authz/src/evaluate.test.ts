// Evaluation, table-driven. Every expected value is written by hand from the rules in evaluate.ts
// (ztunnel src/rbac.rs and src/state.rs::assert_rbac; reference istio-ambient.md 6.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionAttributes, Match, Policy } from './index.ts';
import { evaluate } from './index.ts';
import { alice, bob, carol, cidr, conn, exact, identity, match, plaintext, policy, prefix, presence, rule, sa, suffix } from '../test/build.ts';

/** Does one Match match the connection? Asked through a DENY policy holding only that match. */
function matchMatches(m: Match, c: ConnectionAttributes): boolean {
  return !evaluate([policy('ns/probe', 'DENY', [rule([m])])], c).allowed;
}

const foreign = identity('a', 'alice', 'other.example'); // same ns/sa, other trust domain
const noScheme = { ...alice, uri: 'cluster.local/ns/a/sa/alice' };

// [description, match, connection, matches?]
const FIELD_ROWS: Array<[string, Match, ConnectionAttributes, boolean]> = [
  // namespaces: the peer identity's namespace segment
  ['namespaces exact, same ns', match({ namespaces: [exact('a')] }), conn(), true],
  ['namespaces exact, other ns', match({ namespaces: [exact('a')] }), conn({ source: carol }), false],
  ['namespaces exact, plaintext', match({ namespaces: [exact('a')] }), plaintext(), false],
  ['namespaces presence, plaintext', match({ namespaces: [presence] }), plaintext(), false],
  ['namespaces prefix', match({ namespaces: [prefix('prod-')] }), conn({ source: identity('prod-eu', 'x') }), true],
  ['namespaces suffix', match({ namespaces: [suffix('-eu')] }), conn({ source: identity('prod-eu', 'x') }), true],
  ['namespaces any of two', match({ namespaces: [exact('x'), exact('b')] }), conn({ source: carol }), true],
  ['not_namespaces, listed ns', match({ notNamespaces: [exact('a')] }), conn(), false],
  ['not_namespaces, other ns', match({ notNamespaces: [exact('a')] }), conn({ source: carol }), true],
  ['not_namespaces, plaintext', match({ notNamespaces: [exact('a')] }), plaintext(), true],
  ['not_namespaces presence, plaintext', match({ notNamespaces: [presence] }), plaintext(), true],
  ['not_namespaces presence, mTLS', match({ notNamespaces: [presence] }), conn(), false],
  // principals: SPIFFE ID without spiffe://
  ['principals exact', match({ principals: [exact('cluster.local/ns/a/sa/alice')] }), conn(), true],
  ['principals exact, other sa', match({ principals: [exact('cluster.local/ns/a/sa/alice')] }), conn({ source: bob }), false],
  ['principals exact with scheme never matches', match({ principals: [exact('spiffe://cluster.local/ns/a/sa/alice')] }), conn(), false],
  ['principals exact, one char longer', match({ principals: [exact('cluster.local/ns/a/sa/alic')] }), conn(), false],
  ['principals exact, plaintext', match({ principals: [exact('cluster.local/ns/a/sa/alice')] }), plaintext(), false],
  ['principals prefix', match({ principals: [prefix('cluster.local/ns/a/')] }), conn({ source: bob }), true],
  ['principals prefix, other ns', match({ principals: [prefix('cluster.local/ns/a/')] }), conn({ source: carol }), false],
  ['principals suffix', match({ principals: [suffix('/sa/alice')] }), conn(), true],
  ['principals suffix longer than the ID', match({ principals: [suffix('x.cluster.local/ns/a/sa/alice')] }), conn(), false],
  ['principals suffix includes the scheme', match({ principals: [suffix('spiffe://cluster.local/ns/a/sa/alice')] }), conn(), false],
  ['principals presence, mTLS', match({ principals: [presence] }), conn(), true],
  ['principals presence, plaintext', match({ principals: [presence] }), plaintext(), false],
  ['principals presence, ID without scheme', match({ principals: [presence] }), conn({ source: noScheme }), false],
  ['principals other trust domain', match({ principals: [exact('cluster.local/ns/a/sa/alice')] }), conn({ source: foreign }), false],
  ['not_principals presence, plaintext (STRICT)', match({ notPrincipals: [presence] }), plaintext(), true],
  ['not_principals presence, mTLS (STRICT)', match({ notPrincipals: [presence] }), conn(), false],
  ['not_principals exact, listed', match({ notPrincipals: [exact('cluster.local/ns/a/sa/alice')] }), conn(), false],
  ['not_principals exact, other', match({ notPrincipals: [exact('cluster.local/ns/a/sa/alice')] }), conn({ source: bob }), true],
  ['not_principals presence, ID without scheme', match({ notPrincipals: [presence] }), conn({ source: noScheme }), true],
  // service accounts: namespace and name, trust domain not compared
  ['service_accounts listed', match({ serviceAccounts: [sa('a', 'alice')] }), conn(), true],
  ['service_accounts other sa', match({ serviceAccounts: [sa('a', 'alice')] }), conn({ source: bob }), false],
  ['service_accounts same sa name, other ns', match({ serviceAccounts: [sa('b', 'alice')] }), conn(), false],
  ['service_accounts other trust domain', match({ serviceAccounts: [sa('a', 'alice')] }), conn({ source: foreign }), true],
  ['service_accounts plaintext', match({ serviceAccounts: [sa('a', 'alice')] }), plaintext(), false],
  ['not_service_accounts listed', match({ notServiceAccounts: [sa('a', 'alice')] }), conn(), false],
  ['not_service_accounts other', match({ notServiceAccounts: [sa('a', 'alice')] }), conn({ source: bob }), true],
  ['not_service_accounts plaintext', match({ notServiceAccounts: [sa('a', 'alice')] }), plaintext(), true],
  // source IPs: identity plays no part
  ['source_ips inside', match({ sourceIps: [cidr('10.0.0.0/8')] }), conn(), true],
  ['source_ips inside, plaintext', match({ sourceIps: [cidr('10.0.0.0/8')] }), plaintext(), true],
  ['source_ips outside', match({ sourceIps: [cidr('10.0.0.0/8')] }), conn({ sourceIp: '11.0.0.1' }), false],
  ['source_ips /32 exact host', match({ sourceIps: [cidr('10.0.0.1/32')] }), conn(), true],
  ['source_ips /32 neighbour', match({ sourceIps: [cidr('10.0.0.1/32')] }), conn({ sourceIp: '10.0.0.2' }), false],
  ['source_ips /0', match({ sourceIps: [cidr('0.0.0.0/0')] }), conn({ sourceIp: '203.0.113.9' }), true],
  ['source_ips IPv4 /0 vs IPv6 peer', match({ sourceIps: [cidr('0.0.0.0/0')] }), conn({ sourceIp: '2001:db8::1' }), false],
  ['source_ips IPv6 /0 vs IPv4 peer', match({ sourceIps: [cidr('::/0')] }), conn({ sourceIp: '10.0.0.1' }), false],
  ['source_ips IPv6 block', match({ sourceIps: [cidr('2001:db8::/32')] }), conn({ sourceIp: '2001:db8:1::5' }), true],
  ['source_ips IPv6 outside', match({ sourceIps: [cidr('2001:db8::/32')] }), conn({ sourceIp: '2001:db9::5' }), false],
  ['source_ips v4-mapped peer vs IPv4 block', match({ sourceIps: [cidr('10.0.0.0/8')] }), conn({ sourceIp: '::ffff:10.0.0.1' }), true],
  ['source_ips v4-mapped block vs IPv4 peer', match({ sourceIps: [cidr('::ffff:10.0.0.0/104')] }), conn(), true],
  ['source_ips second block', match({ sourceIps: [cidr('192.168.0.0/16'), cidr('10.0.0.0/24')] }), conn(), true],
  ['not_source_ips inside', match({ notSourceIps: [cidr('10.0.0.0/8')] }), conn(), false],
  ['not_source_ips outside', match({ notSourceIps: [cidr('10.0.0.0/8')] }), conn({ sourceIp: '172.16.0.1' }), true],
  ['not_source_ips other family', match({ notSourceIps: [cidr('::/0')] }), conn(), true],
  // destination IPs
  ['destination_ips inside', match({ destinationIps: [cidr('10.0.1.0/24')] }), conn(), true],
  ['destination_ips outside', match({ destinationIps: [cidr('10.0.2.0/24')] }), conn(), false],
  ['destination_ips IPv6 /128', match({ destinationIps: [cidr('fd00::2/128')] }), conn({ destinationIp: 'fd00::2' }), true],
  ['not_destination_ips inside', match({ notDestinationIps: [cidr('10.0.1.2/32')] }), conn(), false],
  ['not_destination_ips outside', match({ notDestinationIps: [cidr('10.0.1.3/32')] }), conn(), true],
  // destination ports
  ['destination_ports listed', match({ destinationPorts: [80, 8080] }), conn(), true],
  ['destination_ports not listed', match({ destinationPorts: [80] }), conn(), false],
  ['destination_ports HBONE port is not the target', match({ destinationPorts: [15008] }), conn(), false],
  ['not_destination_ports listed', match({ notDestinationPorts: [8080] }), conn(), false],
  ['not_destination_ports not listed', match({ notDestinationPorts: [80] }), conn(), true],
  ['not_destination_ports plaintext', match({ notDestinationPorts: [80] }), plaintext(), true],
];

test('each Match field and its negation, with and without peer identity', () => {
  for (const [description, m, c, expected] of FIELD_ROWS) assert.equal(matchMatches(m, c), expected, description);
});

// [description, rules, connection, matches?]
const STRUCTURE_ROWS: Array<[string, Policy['rules'], ConnectionAttributes, boolean]> = [
  ['no rules: matches nothing', [], conn(), false],
  ['a rule without clauses matches everything', [rule()], plaintext({ sourceIp: '192.0.2.1' }), true],
  ['a clause without matches holds', [rule([], [match({ destinationPorts: [8080] })])], conn(), true],
  ['a clause without matches does not rescue a failing clause', [rule([], [match({ destinationPorts: [80] })])], conn(), false],
  ['an empty Match is skipped, so alone it never matches', [rule([match({})])], conn(), false],
  ['an empty Match beside a matching one', [rule([match({}), match({ destinationPorts: [8080] })])], conn(), true],
  ['clauses are AND-ed: both hold', [rule([match({ namespaces: [exact('a')] })], [match({ destinationPorts: [8080] })])], conn(), true],
  ['clauses are AND-ed: second fails', [rule([match({ namespaces: [exact('a')] })], [match({ destinationPorts: [80] })])], conn(), false],
  ['clauses are AND-ed: first fails', [rule([match({ namespaces: [exact('b')] })], [match({ destinationPorts: [8080] })])], conn(), false],
  ['matches in a clause are OR-ed', [rule([match({ namespaces: [exact('b')] }), match({ destinationPorts: [8080] })])], conn(), true],
  ['matches in a clause: none matches', [rule([match({ namespaces: [exact('b')] }), match({ destinationPorts: [80] })])], conn(), false],
  ['fields of one Match are AND-ed: both hold', [rule([match({ namespaces: [exact('a')], destinationPorts: [8080] })])], conn(), true],
  ['fields of one Match are AND-ed: one fails', [rule([match({ namespaces: [exact('a')], destinationPorts: [80] })])], conn(), false],
  ['positive and negative of one field: in positive, not in negative', [rule([match({ sourceIps: [cidr('10.0.0.0/8')], notSourceIps: [cidr('10.0.0.0/24')] })])], conn({ sourceIp: '10.1.0.1' }), true],
  ['positive and negative of one field: in both', [rule([match({ sourceIps: [cidr('10.0.0.0/8')], notSourceIps: [cidr('10.0.0.0/24')] })])], conn(), false],
  ['rules are OR-ed: second rule matches', [rule([match({ destinationPorts: [80] })]), rule([match({ destinationPorts: [8080] })])], conn(), true],
  ['rules are OR-ed: none matches', [rule([match({ destinationPorts: [80] })]), rule([match({ destinationPorts: [443] })])], conn(), false],
  ['identity and IP in one Match, plaintext', [rule([match({ sourceIps: [cidr('10.0.0.0/8')], principals: [presence] })])], plaintext(), false],
];

test('rule / clause / match structure: OR of rules, AND of clauses, OR of matches, AND of fields', () => {
  for (const [description, rules, c, expected] of STRUCTURE_ROWS) {
    assert.equal(!evaluate([policy('ns/deny', 'DENY', rules)], c).allowed, expected, `DENY: ${description}`);
    // The same structure in an ALLOW policy decides the other way round.
    assert.equal(evaluate([policy('ns/allow', 'ALLOW', rules)], c).allowed, expected, `ALLOW: ${description}`);
  }
});

const denyAll = (key: string, options: { dryRun?: boolean } = {}): Policy => policy(key, 'DENY', [rule()], options);
const allowAll = (key: string, options: { dryRun?: boolean } = {}): Policy => policy(key, 'ALLOW', [rule()], options);
const denyPort = (key: string, port: number, options: { dryRun?: boolean } = {}): Policy => policy(key, 'DENY', [rule([match({ destinationPorts: [port] })])], options);
const allowPort = (key: string, port: number, options: { dryRun?: boolean } = {}): Policy => policy(key, 'ALLOW', [rule([match({ destinationPorts: [port] })])], options);
const strict = policy('istio-system/istio_converted_static_strict', 'DENY', [rule([match({ notPrincipals: [presence] })])], { scope: 'WORKLOAD_SELECTOR' });

// [description, policies, connection, expected decision]
const DECISION_ROWS: Array<[string, Policy[], ConnectionAttributes, { allowed: boolean; reason: string; policy?: string; dryRunDecisions: Array<{ policy: string; wouldAllow: boolean }> }]> = [
  ['no policies', [], conn(), { allowed: true, reason: 'no policies', dryRunDecisions: [] }],
  ['only a DENY that does not match', [denyPort('ns/d', 80)], conn(), { allowed: true, reason: 'no allow policies', dryRunDecisions: [] }],
  ['a matching DENY', [denyPort('ns/d', 8080)], conn(), { allowed: false, reason: 'explicitly denied by: ns/d', policy: 'ns/d', dryRunDecisions: [] }],
  ['DENY before ALLOW, whatever the order', [allowAll('ns/a'), denyPort('ns/d', 8080)], conn(), { allowed: false, reason: 'explicitly denied by: ns/d', policy: 'ns/d', dryRunDecisions: [] }],
  ['the first matching DENY is named', [denyPort('ns/d1', 80), denyAll('ns/d2'), denyAll('ns/d3')], conn(), { allowed: false, reason: 'explicitly denied by: ns/d2', policy: 'ns/d2', dryRunDecisions: [] }],
  ['a matching ALLOW', [allowPort('ns/a', 8080)], conn(), { allowed: true, reason: 'allowed by: ns/a', policy: 'ns/a', dryRunDecisions: [] }],
  ['ALLOW policies, none matching', [allowPort('ns/a1', 80), allowPort('ns/a2', 443)], conn(), { allowed: false, reason: 'allow policies exist, but none allowed', dryRunDecisions: [] }],
  ['the second ALLOW matches', [allowPort('ns/a1', 80), allowPort('ns/a2', 8080)], conn(), { allowed: true, reason: 'allowed by: ns/a2', policy: 'ns/a2', dryRunDecisions: [] }],
  ['an ALLOW without rules denies everything', [policy('ns/empty', 'ALLOW', [])], conn(), { allowed: false, reason: 'allow policies exist, but none allowed', dryRunDecisions: [] }],
  ['an ALLOW without rules next to a matching ALLOW', [policy('ns/empty', 'ALLOW', []), allowAll('ns/a')], conn(), { allowed: true, reason: 'allowed by: ns/a', policy: 'ns/a', dryRunDecisions: [] }],
  ['a DENY without rules denies nothing', [policy('ns/empty', 'DENY', [])], conn(), { allowed: true, reason: 'no allow policies', dryRunDecisions: [] }],
  ['a DENY not matching, an ALLOW matching', [denyPort('ns/d', 80), allowPort('ns/a', 8080)], conn(), { allowed: true, reason: 'allowed by: ns/a', policy: 'ns/a', dryRunDecisions: [] }],
  ['STRICT refuses plaintext', [strict], plaintext(), { allowed: false, reason: 'explicitly denied by: istio-system/istio_converted_static_strict', policy: 'istio-system/istio_converted_static_strict', dryRunDecisions: [] }],
  ['STRICT lets mTLS through', [strict], conn(), { allowed: true, reason: 'no allow policies', dryRunDecisions: [] }],
  ['STRICT beats a plaintext-allowing ALLOW', [allowAll('ns/a'), strict], plaintext(), { allowed: false, reason: 'explicitly denied by: istio-system/istio_converted_static_strict', policy: 'istio-system/istio_converted_static_strict', dryRunDecisions: [] }],
  // dry run: reported, never deciding
  ['a matching dry-run DENY does not deny', [denyAll('ns/dd', { dryRun: true })], conn(), { allowed: true, reason: 'no policies', dryRunDecisions: [{ policy: 'ns/dd', wouldAllow: false }] }],
  ['a non-matching dry-run DENY', [denyPort('ns/dd', 80, { dryRun: true })], conn(), { allowed: true, reason: 'no policies', dryRunDecisions: [{ policy: 'ns/dd', wouldAllow: true }] }],
  ['a non-matching dry-run ALLOW does not make ALLOW policies exist', [allowPort('ns/da', 80, { dryRun: true })], conn(), { allowed: true, reason: 'no policies', dryRunDecisions: [{ policy: 'ns/da', wouldAllow: false }] }],
  ['a matching dry-run ALLOW does not rescue a failing ALLOW', [allowPort('ns/a', 80), allowAll('ns/da', { dryRun: true })], conn(), { allowed: false, reason: 'allow policies exist, but none allowed', dryRunDecisions: [{ policy: 'ns/da', wouldAllow: true }] }],
  [
    'dry runs are all reported, in order, beside an enforced DENY',
    [allowAll('ns/da', { dryRun: true }), denyAll('ns/d'), denyPort('ns/dd', 80, { dryRun: true })],
    conn(),
    { allowed: false, reason: 'explicitly denied by: ns/d', policy: 'ns/d', dryRunDecisions: [{ policy: 'ns/da', wouldAllow: true }, { policy: 'ns/dd', wouldAllow: true }] },
  ],
  ['dry run beside an enforced ALLOW', [allowAll('ns/a'), denyAll('ns/dd', { dryRun: true })], conn(), { allowed: true, reason: 'allowed by: ns/a', policy: 'ns/a', dryRunDecisions: [{ policy: 'ns/dd', wouldAllow: false }] }],
  ['dry run beside a non-matching DENY', [denyPort('ns/d', 80), denyAll('ns/dd', { dryRun: true })], conn(), { allowed: true, reason: 'no allow policies', dryRunDecisions: [{ policy: 'ns/dd', wouldAllow: false }] }],
];

test('decisions: DENY first, no ALLOW means allow, any ALLOW allows, else deny; dry run only reported', () => {
  for (const [description, policies, c, expected] of DECISION_ROWS) assert.deepEqual({ ...evaluate(policies, c) }, expected, description);
});

test('unparseable connection addresses: denied (fail closed) only when an enforced policy needs them', () => {
  const bySource = policy('ns/src', 'ALLOW', [rule([match({ sourceIps: [cidr('10.0.0.0/8')] })])]);
  const notSource = policy('ns/not-src', 'DENY', [rule([match({ notSourceIps: [cidr('10.0.0.0/8')] })])]);
  const byDestination = policy('ns/dst', 'DENY', [rule([match({ destinationIps: [cidr('10.0.0.0/8')] })])]);
  const rows: Array<[string, Policy[], ConnectionAttributes, boolean, string]> = [
    ['no policies: the address is never read', [], conn({ sourceIp: 'bogus' }), true, 'no policies'],
    ['a port-only policy does not read addresses', [allowPort('ns/a', 8080)], conn({ sourceIp: 'bogus' }), true, 'allowed by: ns/a'],
    ['positive source constraint', [bySource], conn({ sourceIp: 'bogus' }), false, 'invalid connection address: source "bogus"'],
    ['negative source constraint does not hold vacuously', [notSource], conn({ sourceIp: '' }), false, 'invalid connection address: source ""'],
    ['destination constraint', [byDestination], conn({ destinationIp: '10.0.0.256' }), false, 'invalid connection address: destination "10.0.0.256"'],
    ['a dry-run policy reading it changes nothing', [policy('ns/src', 'DENY', [rule([match({ sourceIps: [cidr('10.0.0.0/8')] })])], { dryRun: true })], conn({ sourceIp: 'bogus' }), true, 'no policies'],
    ['an IPv6 zone is ignored', [bySource, policy('ns/v6', 'ALLOW', [rule([match({ sourceIps: [cidr('fe80::/10')] })])])], conn({ sourceIp: 'fe80::1%eth0' }), true, 'allowed by: ns/v6'],
  ];
  for (const [description, policies, c, allowed, reason] of rows) {
    const d = evaluate(policies, c);
    assert.equal(d.allowed, allowed, description);
    assert.equal(d.reason, reason, description);
  }
});

test('evaluate is stateless across calls (scratch state is reset)', () => {
  const bySource = [policy('ns/src', 'ALLOW', [rule([match({ sourceIps: [cidr('10.0.0.0/8')] })])])];
  assert.equal(evaluate(bySource, conn({ sourceIp: '10.1.1.1' })).allowed, true);
  assert.equal(evaluate(bySource, conn({ sourceIp: '11.1.1.1' })).allowed, false);
  assert.equal(evaluate(bySource, conn({ sourceIp: 'nope' })).allowed, false);
  assert.equal(evaluate(bySource, conn({ sourceIp: '10.2.2.2' })).allowed, true);
  const byPrincipal = [policy('ns/p', 'ALLOW', [rule([match({ principals: [presence] })])])];
  assert.equal(evaluate(byPrincipal, conn()).allowed, true);
  assert.equal(evaluate(byPrincipal, plaintext()).allowed, false);
  assert.equal(evaluate(byPrincipal, conn()).allowed, true);
});

test('decisions without dry-run policies share one frozen empty list', () => {
  const a = evaluate([denyPort('ns/d', 80)], conn());
  const b = evaluate([allowAll('ns/a')], conn());
  assert.equal(a.dryRunDecisions, b.dryRunDecisions);
  assert.ok(Object.isFrozen(a.dryRunDecisions));
});
