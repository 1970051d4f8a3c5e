// Expected values from Istio's documented PeerAuthentication semantics in ambient (reference 1.6,
// 6.2): workload > namespace > mesh, oldest wins at one level, DISABLE ignored, port-level modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertPortLevel, peerAuthenticationKeysFor, peerAuthenticationView, staticStrictPolicy, type PeerAuthenticationInput } from './peer-authentication.ts';
import { emptyMatch } from '../model/wire.ts';

const pa = (p: Partial<PeerAuthenticationInput> & { name: string; namespace: string }): PeerAuthenticationInput => ({ mode: 'UNSET', portLevel: {}, createdAt: '2026-01-01T00:00:00Z', ...p });
const ROOT = 'istio-system';
const STRICT_KEY = 'istio-system/istio_converted_static_strict';

test('effective mode by precedence: workload > namespace > mesh, default PERMISSIVE', () => {
  const cases: Array<[string, PeerAuthenticationInput[], string[]]> = [
    ['nothing', [], []],
    ['mesh STRICT', [pa({ name: 'm', namespace: ROOT, mode: 'STRICT' })], [STRICT_KEY]],
    ['namespace PERMISSIVE beats mesh STRICT', [pa({ name: 'm', namespace: ROOT, mode: 'STRICT' }), pa({ name: 'n', namespace: 'prod', mode: 'PERMISSIVE' })], []],
    ['workload STRICT beats namespace PERMISSIVE', [pa({ name: 'n', namespace: 'prod', mode: 'PERMISSIVE' }), pa({ name: 'w', namespace: 'prod', selector: { app: 'web' }, mode: 'STRICT' })], [STRICT_KEY]],
    ['UNSET inherits', [pa({ name: 'n', namespace: 'prod', mode: 'STRICT' }), pa({ name: 'w', namespace: 'prod', selector: { app: 'web' } })], [STRICT_KEY]],
    ['DISABLE is ignored in ambient', [pa({ name: 'n', namespace: 'prod', mode: 'STRICT' }), pa({ name: 'w', namespace: 'prod', selector: { app: 'web' }, mode: 'DISABLE' })], [STRICT_KEY]],
    ['selector policy in the root namespace is ignored', [pa({ name: 'r', namespace: ROOT, selector: { app: 'web' }, mode: 'STRICT' })], []],
    ['other namespace does not apply', [pa({ name: 'n', namespace: 'other', mode: 'STRICT' })], []],
    ['selector not matching does not apply', [pa({ name: 'w', namespace: 'prod', selector: { app: 'db' }, mode: 'STRICT' })], []],
    [
      'oldest namespace policy wins',
      [pa({ name: 'b', namespace: 'prod', mode: 'PERMISSIVE', createdAt: '2026-02-01T00:00:00Z' }), pa({ name: 'a', namespace: 'prod', mode: 'STRICT', createdAt: '2026-01-01T00:00:00Z' })],
      [STRICT_KEY],
    ],
  ];
  for (const [name, policies, keys] of cases) {
    const view = peerAuthenticationView(policies, ROOT);
    assert.deepEqual(peerAuthenticationKeysFor(view, ROOT, 'prod', { app: 'web' }), keys, name);
  }
});

test('the static strict policy denies connections without a peer identity', () => {
  assert.deepEqual(staticStrictPolicy(ROOT), {
    name: 'istio_converted_static_strict',
    namespace: ROOT,
    scope: 2,
    action: 1,
    rules: [{ clauses: [{ matches: [{ ...emptyMatch(), not_principals: [{ presence: {} }] }] }] }],
    dry_run: false,
  });
});

test('port-level STRICT under a PERMISSIVE workload denies plaintext on that port only', () => {
  const policy = pa({ name: 'w', namespace: 'prod', selector: { app: 'web' }, mode: 'PERMISSIVE', portLevel: { 8080: 'STRICT' } });
  assert.deepEqual(convertPortLevel(policy, 'PERMISSIVE')?.rules, [
    { clauses: [{ matches: [{ ...emptyMatch(), not_principals: [{ presence: {} }] }] }, { matches: [{ ...emptyMatch(), destination_ports: [8080] }] }] },
  ]);
  const view = peerAuthenticationView([policy], ROOT);
  assert.deepEqual(peerAuthenticationKeysFor(view, ROOT, 'prod', { app: 'web' }), ['prod/converted_peer_authentication_w']);
});

test('port-level PERMISSIVE under a STRICT workload is exempted', () => {
  const policy = pa({ name: 'w', namespace: 'prod', selector: { app: 'web' }, mode: 'STRICT', portLevel: { 9090: 'PERMISSIVE' } });
  assert.deepEqual(convertPortLevel(policy, 'PERMISSIVE')?.rules, [
    { clauses: [{ matches: [{ ...emptyMatch(), not_principals: [{ presence: {} }] }] }, { matches: [{ ...emptyMatch(), not_destination_ports: [9090] }] }] },
  ]);
});

test('port-level modes that change nothing produce no policy', () => {
  const policy = pa({ name: 'w', namespace: 'prod', selector: { app: 'web' }, mode: 'PERMISSIVE', portLevel: { 80: 'PERMISSIVE', 81: 'DISABLE' } });
  assert.equal(convertPortLevel(policy, 'PERMISSIVE'), undefined);
  assert.deepEqual(peerAuthenticationKeysFor(peerAuthenticationView([policy], ROOT), ROOT, 'prod', { app: 'web' }), []);
});
