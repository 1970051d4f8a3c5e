import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveInpodConfig } from './config.ts';
import { parseRoutingState, planRouting, routingComplete, type FamilyRoutingState, type RoutingState } from './inpod-routing.ts';

// What `ip -j` printed in a namespace after `ip rule add fwmark 0x111/0xfff lookup 100 priority 32764`
// and `ip route add local 0.0.0.0/0 dev lo table 100` (iproute2 6.1).
const RULES_APPLIED =
  '[{"priority":0,"src":"all","table":"local"},{"priority":32764,"src":"all","fwmark":"0x111","fwmask":"0xfff","table":"100"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]';
const ROUTES_APPLIED = '[{"type":"local","dst":"default","dev":"lo","scope":"host","flags":[]}]';
const RULES_CLEAN = '[{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]';

const ours = (fwmark?: string, extra: string[] = []) => ({
  priority: 32764,
  table: '100',
  ...(fwmark === undefined ? {} : { fwmark, fwmask: '0xfff' }),
  otherSelectors: extra,
});
const clean: FamilyRoutingState = { rules: [], hasLocalDefault: false, hasOtherDefault: false };
const applied: FamilyRoutingState = { rules: [ours('0x111')], hasLocalDefault: true, hasOtherDefault: false };
const v4 = resolveInpodConfig({ podIps: ['10.0.0.1'] });
const dual = resolveInpodConfig({ podIps: ['10.0.0.1', 'fd00::1'] });

describe('parseRoutingState', () => {
  it('finds our rule and route in ip -j output', () => {
    assert.deepEqual(parseRoutingState(RULES_APPLIED, ROUTES_APPLIED), applied);
    assert.ok(routingComplete(parseRoutingState(RULES_APPLIED, ROUTES_APPLIED)));
  });
  it('reads a clean namespace (an empty table 100 prints nothing or [])', () => {
    assert.deepEqual(parseRoutingState(RULES_CLEAN, ''), clean);
    assert.deepEqual(parseRoutingState(RULES_CLEAN, '[]'), clean);
    assert.ok(!routingComplete(clean));
  });
  it('notes selectors other than the mark, and defaults of another kind', () => {
    const state = parseRoutingState('[{"priority":32764,"src":"10.0.0.0","srclen":8,"table":"100"}]', '[{"dst":"default","gateway":"10.0.0.9","dev":"eth0"}]');
    assert.deepEqual(state, { rules: [ours(undefined, ['src', 'srclen'])], hasLocalDefault: false, hasOtherDefault: true });
  });
  it('throws AMBIT_NFT_ROUTING_FAILED on output that is not a JSON array', () => {
    assert.throws(() => parseRoutingState('oops', '[]'), { code: 'AMBIT_NFT_ROUTING_FAILED' });
    assert.throws(() => parseRoutingState('{}', '[]'), { code: 'AMBIT_NFT_ROUTING_FAILED' });
  });
});

describe('planRouting', () => {
  const rows: Array<{ name: string; desired: typeof v4 | undefined; state: RoutingState; want: Array<{ family: 4 | 6; lines: string[] }> }> = [
    {
      name: 'clean namespace, IPv4 pod: add rule and route',
      desired: v4,
      state: { 4: clean, 6: clean },
      want: [{ family: 4, lines: ['rule add fwmark 0x111/0xfff lookup 100 priority 32764', 'route add local 0.0.0.0/0 dev lo table 100'] }],
    },
    {
      name: 'clean namespace, dual-stack pod: both families',
      desired: dual,
      state: { 4: clean, 6: clean },
      want: [
        { family: 4, lines: ['rule add fwmark 0x111/0xfff lookup 100 priority 32764', 'route add local 0.0.0.0/0 dev lo table 100'] },
        { family: 6, lines: ['rule add fwmark 0x111/0xfff lookup 100 priority 32764', 'route add local ::/0 dev lo table 100'] },
      ],
    },
    { name: 'already applied: nothing to do', desired: v4, state: { 4: applied, 6: clean }, want: [] },
    {
      name: 'a duplicate rule is deleted',
      desired: v4,
      state: { 4: { ...applied, rules: [ours('0x111'), ours('0x111')] }, 6: clean },
      want: [{ family: 4, lines: ['rule del fwmark 0x111/0xfff lookup 100 priority 32764'] }],
    },
    {
      name: 'a rule with an old mark is replaced',
      desired: v4,
      state: { 4: { ...applied, rules: [ours('0x222')] }, 6: clean },
      want: [{ family: 4, lines: ['rule del fwmark 0x222/0xfff lookup 100 priority 32764', 'rule add fwmark 0x111/0xfff lookup 100 priority 32764'] }],
    },
    {
      name: 'a rule of ours without a mark: everything at our priority goes, then ours comes back',
      desired: v4,
      state: { 4: { ...applied, rules: [ours('0x111'), ours(undefined, ['src'])] }, 6: clean },
      want: [
        {
          family: 4,
          lines: ['rule del fwmark 0x111/0xfff lookup 100 priority 32764', 'rule del lookup 100 priority 32764', 'rule add fwmark 0x111/0xfff lookup 100 priority 32764'],
        },
      ],
    },
    {
      name: 'another default route in table 100 is replaced',
      desired: v4,
      state: { 4: { rules: [ours('0x111')], hasLocalDefault: false, hasOtherDefault: true }, 6: clean },
      want: [{ family: 4, lines: ['route replace local 0.0.0.0/0 dev lo table 100'] }],
    },
    {
      name: 'IPv4-only pod after a dual-stack one: the IPv6 part is removed',
      desired: v4,
      state: { 4: applied, 6: applied },
      want: [{ family: 6, lines: ['rule del fwmark 0x111/0xfff lookup 100 priority 32764', 'route del local ::/0 dev lo table 100'] }],
    },
    {
      name: 'remove: every rule of ours and the route',
      desired: undefined,
      state: { 4: { ...applied, rules: [ours('0x111'), ours('0x111')] }, 6: clean },
      want: [
        {
          family: 4,
          lines: ['rule del fwmark 0x111/0xfff lookup 100 priority 32764', 'rule del fwmark 0x111/0xfff lookup 100 priority 32764', 'route del local 0.0.0.0/0 dev lo table 100'],
        },
      ],
    },
    { name: 'remove from a clean namespace: nothing to do', desired: undefined, state: { 4: clean, 6: clean }, want: [] },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(planRouting(row.desired, row.state), row.want));
});
