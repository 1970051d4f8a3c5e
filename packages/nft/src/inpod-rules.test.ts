import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { AmbitError } from '@ambit/core';
import { renderInpodRules } from './inpod-rules.ts';
import { renderInpodRouting } from './inpod-routing.ts';
import type { InpodConfig } from './config.ts';

// The golden files are reviewed by hand in diffs. After an intended change, regenerate them with
//   AMBIT_UPDATE_GOLDEN=1 node_modules/node/bin/node --test packages/nft/src/inpod-rules.test.ts
const GOLDEN = new URL('../test/golden/', import.meta.url);
export const GOLDEN_CASES: Array<{ file: string; config: InpodConfig }> = [
  { file: 'inpod-ipv4', config: { podIps: ['10.244.1.5'] } },
  { file: 'inpod-dual-stack', config: { podIps: ['10.244.1.5', 'fd00:10:244:1::5'] } },
  { file: 'inpod-no-inbound-capture', config: { podIps: ['10.244.1.5'], captureInbound: false } },
  {
    file: 'inpod-custom',
    config: { podIps: ['fd00:10:244:1::5'], outboundPort: 16001, inboundPlainPort: 16006, hbonePort: 16008, ztunnelMark: 0x123, connMark: 0x456, probeSourceV6: 'fd00::7127' },
  },
];

function golden(name: string, actual: string): void {
  const url = new URL(name, GOLDEN);
  if (process.env.AMBIT_UPDATE_GOLDEN === '1') writeFileSync(url, actual);
  assert.equal(actual, readFileSync(url, 'utf8'), `${name} differs from the golden file; review, then regenerate with AMBIT_UPDATE_GOLDEN=1`);
}

describe('renderInpodRules', () => {
  for (const { file, config } of GOLDEN_CASES) {
    it(`matches test/golden/${file}.nft`, () => golden(`${file}.nft`, renderInpodRules(config)));
    it(`routing matches test/golden/${file}.routing`, () => golden(`${file}.routing`, `${renderInpodRouting(config).join('\n')}\n`));
  }

  it('replaces the table in one transaction: create, delete, define', () => {
    const lines = renderInpodRules({ podIps: ['10.0.0.1'] }).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(lines.slice(0, 3), ['table inet ambit-inpod {}', 'delete table inet ambit-inpod', 'table inet ambit-inpod {']);
    assert.ok(!/\bdestroy\b/.test(lines.join('\n')), 'nft 1.0.6 has no destroy');
  });

  it('uses numeric priorities only (nft 1.0.6 refuses some named ones)', () => {
    const text = renderInpodRules({ podIps: ['10.0.0.1', 'fd00::1'] });
    for (const m of text.matchAll(/priority (\S+);/g)) assert.match(m[1] ?? '', /^-?\d+$/);
  });

  it('is deterministic', () => {
    const config = { podIps: ['10.0.0.1', 'fd00::1'] };
    assert.equal(renderInpodRules(config), renderInpodRules({ ...config }));
  });

  // Options: what must appear (+) and must not (-) in the script.
  const options: Array<{ name: string; config: InpodConfig; has: string[]; hasNot: string[] }> = [
    {
      name: 'IPv4 only: no ip6 matches',
      config: { podIps: ['10.0.0.1'] },
      has: ['ip daddr != 127.0.0.1 counter redirect to :15001', 'redirect to :15006', 'ip saddr 169.254.7.127'],
      hasNot: ['ip6 ', '::1'],
    },
    {
      name: 'IPv6 only: no ip matches',
      config: { podIps: ['fd00::1'] },
      has: ['ip6 daddr != ::1 counter redirect to :15001', 'ip6 saddr fd16:9254:7127:1337:ffff:ffff:ffff:ffff'],
      hasNot: ['ip daddr', 'ip saddr', '127.0.0.1'],
    },
    {
      name: 'captureInbound false: no inbound redirect, outbound kept',
      config: { podIps: ['10.0.0.1'], captureInbound: false },
      has: ['redirect to :15001', 'chain mangle-prerouting', 'chain mangle-output'],
      hasNot: [':15006', 'chain nat-prerouting'],
    },
    {
      name: 'ports and marks are configurable',
      config: { podIps: ['10.0.0.1'], outboundPort: 2001, inboundPlainPort: 2006, hbonePort: 2008, ztunnelMark: 0x42, connMark: 0x24 },
      has: ['redirect to :2001', 'redirect to :2006', 'tcp dport 2008 counter accept', '== 0x42', '!= 0x42', 'ct mark set ct mark & 0xfffff000 | 0x24', 'ct mark & 0xfff == 0x24'],
      hasNot: ['15001', '15006', '15008', '0x539', '0x111'],
    },
    {
      name: 'probe source is configurable',
      config: { podIps: ['10.0.0.1'], probeSource: '169.254.1.1' },
      has: ['ip saddr 169.254.1.1 counter accept', 'ip daddr 169.254.1.1 counter accept'],
      hasNot: ['169.254.7.127'],
    },
    {
      name: 'the output mangle chain is a route chain (re-routes when the mark changes)',
      config: { podIps: ['10.0.0.1'] },
      has: ['type route hook output priority -150;', 'type filter hook prerouting priority -150;', 'type nat hook prerouting priority -100;', 'type nat hook output priority -100;'],
      hasNot: ['type filter hook output'],
    },
  ];
  for (const row of options) {
    it(`options: ${row.name}`, () => {
      const text = renderInpodRules(row.config);
      for (const s of row.has) assert.ok(text.includes(s), `missing ${JSON.stringify(s)} in\n${text}`);
      for (const s of row.hasNot) assert.ok(!text.includes(s), `unexpected ${JSON.stringify(s)} in\n${text}`);
    });
  }
});

describe('config validation', () => {
  const rows: Array<{ name: string; config: unknown; problems: RegExp[] }> = [
    { name: 'not an object', config: 'x', problems: [/config: expected an object, got "x"/] },
    { name: 'no pod IPs', config: { podIps: [] }, problems: [/podIps: expected a non-empty array/] },
    { name: 'bad pod IP', config: { podIps: ['10.0.0.1', '10.0.0.300', 7] }, problems: [/podIps\[1\]: .*"10\.0\.0\.300"/, /podIps\[2\]: .*7/] },
    { name: 'zoned IPv6', config: { podIps: ['fe80::1%eth0'] }, problems: [/podIps\[0\]/] },
    { name: 'port out of range', config: { podIps: ['10.0.0.1'], outboundPort: 70000, hbonePort: 1.5 }, problems: [/outboundPort: .*70000/, /hbonePort: .*1\.5/] },
    { name: 'equal ports', config: { podIps: ['10.0.0.1'], inboundPlainPort: 15001 }, problems: [/three different ports, got 15001, 15001, 15008/] },
    { name: 'mark beyond the mask', config: { podIps: ['10.0.0.1'], ztunnelMark: 0x1539 }, problems: [/ztunnelMark: .*0xfff.*5433/] },
    { name: 'zero mark', config: { podIps: ['10.0.0.1'], connMark: 0 }, problems: [/connMark: /] },
    { name: 'equal marks', config: { podIps: ['10.0.0.1'], ztunnelMark: 0x111 }, problems: [/two different marks, both are 0x111/] },
    { name: 'probe sources of the wrong family', config: { podIps: ['10.0.0.1'], probeSource: 'fd00::1', probeSourceV6: '10.0.0.1' }, problems: [/probeSource: expected an IPv4/, /probeSourceV6: expected an IPv6/] },
    { name: 'captureInbound not boolean', config: { podIps: ['10.0.0.1'], captureInbound: 'no' }, problems: [/captureInbound: expected a boolean/] },
    { name: 'unknown field', config: { podIps: ['10.0.0.1'], outbondPort: 1 }, problems: [/outbondPort: unknown field/] },
  ];
  for (const row of rows) {
    it(`rejects ${row.name} with every problem listed`, () => {
      assert.throws(
        () => renderInpodRules(row.config as InpodConfig),
        (e: unknown) => {
          assert.ok(e instanceof AmbitError);
          assert.equal(e.code, 'AMBIT_NFT_INVALID_CONFIG');
          for (const p of row.problems) assert.match(e.message, p);
          assert.equal((e.details?.problems as unknown[]).length, row.problems.length, e.message);
          return true;
        },
      );
      assert.throws(() => renderInpodRouting(row.config as InpodConfig), /AMBIT_NFT_INVALID_CONFIG|invalid in-pod/);
    });
  }
});
