// The in-pod capture rules (Istio's nftables mode, one table of ours). Rendering is pure: the same
// config gives the same text, byte for byte (golden files in ../test/golden/).
//
// Why each rule exists is told in ../README.md ("The rules"); the comments on the rules are the
// short form that `nft list table inet ambit-inpod` shows to whoever debugs a pod.
import { hex, INPOD_TABLE, MARK_MASK, resolveInpodConfig, type InpodConfig, type ResolvedInpodConfig } from './config.ts';

interface Family {
  /** nft's payload keyword for the address: `ip` or `ip6`. */
  readonly ip: 'ip' | 'ip6';
  readonly loopback: string;
  readonly probeSource: string;
}

function families(config: ResolvedInpodConfig): Family[] {
  const result: Family[] = [];
  if (config.podIps.v4.length > 0) result.push({ ip: 'ip', loopback: '127.0.0.1', probeSource: config.probeSource });
  if (config.podIps.v6.length > 0) result.push({ ip: 'ip6', loopback: '::1', probeSource: config.probeSourceV6 });
  return result;
}

interface Chain {
  name: string;
  /** `type ... hook ... priority ...;` Numbers, not names: nft 1.0.6 refuses `dstnat` on some hook/family pairs. */
  base: string;
  rules: string[];
}

/**
 * One nft script that replaces `table inet ambit-inpod` atomically: `table {}` creates it when
 * missing (so the delete cannot fail), `delete table` drops the old one, and the definition follows,
 * all in one transaction. Packets see the old rules or the new ones, never none.
 */
export function renderInpodRules(input: InpodConfig): string {
  const config = resolveInpodConfig(input);
  const fams = families(config);
  const zt = `meta mark & ${hex(MARK_MASK)} == ${hex(config.ztunnelMark)}`;
  const notZt = `meta mark & ${hex(MARK_MASK)} != ${hex(config.ztunnelMark)}`;
  const keepHigh = hex(~MARK_MASK >>> 0);

  const chains: Chain[] = [
    {
      name: 'mangle-prerouting',
      base: 'type filter hook prerouting priority -150; policy accept;',
      rules: [`${zt} counter ct mark set ct mark & ${keepHigh} | ${hex(config.connMark)} comment "ztunnel to app: remember the connection"`],
    },
    {
      // `type route`, not `filter`: a route chain on output makes the kernel look the route up again
      // when the mark changes, which is what sends the app's replies to the policy route.
      name: 'mangle-output',
      base: 'type route hook output priority -150; policy accept;',
      rules: [`ct mark & ${hex(MARK_MASK)} == ${hex(config.connMark)} counter meta mark set ct mark comment "replies to the ztunnel: restore the mark"`],
    },
  ];
  if (config.captureInbound) {
    chains.push({
      name: 'nat-prerouting',
      base: 'type nat hook prerouting priority -100; policy accept;',
      rules: [
        ...fams.map((f) => `meta l4proto tcp ${f.ip} saddr ${f.probeSource} counter accept comment "node probes are not captured"`),
        `tcp dport ${config.hbonePort} counter accept comment "HBONE: the ztunnel listens there"`,
        ...fams.map(
          (f) => `meta l4proto tcp ${f.ip} daddr != ${f.loopback} ${notZt} counter redirect to :${config.inboundPlainPort} comment "inbound plain TCP"`,
        ),
      ],
    });
  }
  chains.push({
    name: 'nat-output',
    base: 'type nat hook output priority -100; policy accept;',
    rules: [
      ...fams.map((f) => `meta l4proto tcp ${f.ip} daddr ${f.probeSource} counter accept comment "replies to node probes"`),
      `${zt} counter accept comment "the ztunnel's own sockets"`,
      `meta l4proto tcp meta mark & ${hex(MARK_MASK)} == ${hex(config.connMark)} counter accept comment "connections of the ztunnel"`,
      ...fams.map((f) => `oifname "lo" ${f.ip} daddr != ${f.loopback} counter accept comment "app to its own pod address"`),
      ...fams.map((f) => `meta l4proto tcp ${f.ip} daddr != ${f.loopback} counter redirect to :${config.outboundPort} comment "outbound TCP"`),
    ],
  });

  const ips = [...config.podIps.v4, ...config.podIps.v6].join(' ');
  const lines = [
    '# Ambit in-pod capture rules, rendered by @ambit/nft (renderInpodRules); do not edit.',
    `# pod ${ips}`,
    `table inet ${INPOD_TABLE} {}`,
    `delete table inet ${INPOD_TABLE}`,
    `table inet ${INPOD_TABLE} {`,
  ];
  for (const chain of chains) {
    lines.push(`\tchain ${chain.name} {`, `\t\t${chain.base}`, ...chain.rules.map((r) => `\t\t${r}`), '\t}');
  }
  lines.push('}', '');
  return lines.join('\n');
}
