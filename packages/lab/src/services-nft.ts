// kube-proxy's job in the lab: Service ClusterIPs as nftables DNAT in every node namespace.
// The whole table is replaced in one `nft -f` transaction (delete + define together), so a packet
// never sees a half-written ruleset; conntrack keeps established flows on their endpoint.

export interface ServiceEndpoint {
  ip: string;
  port: number;
}

export interface ServicePortRule {
  /** `namespace/name:port/protocol`, for comments and chain names. */
  id: string;
  clusterIP: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  endpoints: ServiceEndpoint[];
}

export const SERVICES_TABLE = 'ambit-services';
/** Marks a hairpin connection (a pod reaching itself through its Service) for masquerade. */
export const HAIRPIN_MARK = 0x4000;

function chainName(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * Renders the services table. Endpoint choice is uniform random (`numgen random`), like kube-proxy;
 * a connection from an endpoint to its own Service is marked and masqueraded so replies return
 * through the node (hairpin). Services without endpoints get no DNAT: the packet finds no route in
 * the node and the client sees "no route to host" at once instead of a silent timeout.
 */
export function renderServicesTable(rules: readonly ServicePortRule[]): string {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  const lines: string[] = [];
  lines.push(`table ip ${SERVICES_TABLE} {}`);
  lines.push(`delete table ip ${SERVICES_TABLE}`);
  lines.push(`table ip ${SERVICES_TABLE} {`);
  const withEndpoints = sorted.filter((r) => r.endpoints.length > 0);
  lines.push('  chain services {');
  if (withEndpoints.length > 0) {
    lines.push('    ip daddr . meta l4proto . th dport vmap {');
    withEndpoints.forEach((rule, i) => {
      const sep = i === withEndpoints.length - 1 ? '' : ',';
      lines.push(`      ${rule.clusterIP} . ${rule.protocol.toLowerCase()} . ${rule.port} : jump ${chainName('svc', rule.id)}${sep}`);
    });
    lines.push('    }');
  }
  lines.push('  }');
  lines.push('  chain prerouting {');
  lines.push('    type nat hook prerouting priority dstnat; policy accept;');
  lines.push('    jump services');
  lines.push('  }');
  lines.push('  chain output {');
  lines.push('    type nat hook output priority -100; policy accept;');
  lines.push('    jump services');
  lines.push('  }');
  lines.push('  chain postrouting {');
  lines.push('    type nat hook postrouting priority srcnat; policy accept;');
  lines.push(`    meta mark & 0x${HAIRPIN_MARK.toString(16)} == 0x${HAIRPIN_MARK.toString(16)} masquerade`);
  lines.push('  }');
  for (const rule of withEndpoints) {
    const svc = chainName('svc', rule.id);
    lines.push(`  chain ${svc} {`);
    if (rule.endpoints.length === 1) {
      lines.push(`    goto ${chainName('ep0', rule.id)}`);
    } else {
      const targets = rule.endpoints.map((_, i) => `${i} : goto ${chainName(`ep${i}`, rule.id)}`).join(', ');
      lines.push(`    numgen random mod ${rule.endpoints.length} vmap { ${targets} }`);
    }
    lines.push('  }');
    rule.endpoints.forEach((ep, i) => {
      lines.push(`  chain ${chainName(`ep${i}`, rule.id)} {`);
      lines.push(`    ip saddr ${ep.ip} meta mark set meta mark | 0x${HAIRPIN_MARK.toString(16)}`);
      lines.push(`    meta l4proto ${rule.protocol.toLowerCase()} dnat to ${ep.ip}:${ep.port}`);
      lines.push('  }');
    });
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
