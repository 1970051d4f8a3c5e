// `ambit ztunnel-config workloads|services|policies|certificates|connections [--lab N] [--node N]
// [-o json]`: what each node's ztunnel holds, read from its admin /config_dump through the lab
// supervisor, with istioctl ztunnel-config's columns.
import { parseArgs } from 'node:util';
import { labComponentJson, labStatus } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table } from './format.ts';

interface Dump {
  node: string;
  workloads: Array<{ name: string; namespace: string; addresses: string[]; node: string; protocol: string; waypoint?: { service?: { hostname: string } } | undefined; identity: string }>;
  services: Array<{ name: string; namespace: string; vips: Array<{ address: string }>; waypoint?: { service?: { hostname: string } } | undefined; key: string }>;
  policies: Array<{ key: string; scope: string; action: string; dryRun: boolean; rules: number }>;
  certificates: Array<{ identity: string; state: string; notBefore?: string; notAfter?: string; serialNumber?: string; refs: number }>;
  pods: Array<{ namespace: string; name: string; addresses: string[]; identity: string; listening: boolean }>;
  connections: { inboundLive: number; pool: unknown };
}

const KINDS = ['workloads', 'services', 'policies', 'certificates', 'connections'] as const;
type Kind = (typeof KINDS)[number];

function rows(kind: Kind, dump: Dump): { headers: string[]; rows: string[][] } {
  switch (kind) {
    case 'workloads':
      return {
        headers: ['NAMESPACE', 'POD NAME', 'ADDRESS', 'NODE', 'WAYPOINT', 'PROTOCOL'],
        rows: dump.workloads.map((w) => [w.namespace, w.name, w.addresses.join(','), w.node || 'None', w.waypoint?.service?.hostname ?? 'None', w.protocol]),
      };
    case 'services':
      return {
        headers: ['NAMESPACE', 'SERVICE NAME', 'SERVICE VIP', 'WAYPOINT'],
        rows: dump.services.map((s) => [s.namespace, s.name, s.vips.map((v) => v.address).join(',') || 'None', s.waypoint?.service?.hostname ?? 'None']),
      };
    case 'policies':
      return {
        headers: ['NAMESPACE', 'POLICY NAME', 'ACTION', 'SCOPE'],
        rows: dump.policies.map((p) => {
          const [ns = '', name = ''] = p.key.split('/');
          return [ns, name, p.dryRun ? `${p.action} (dry run)` : p.action, p.scope];
        }),
      };
    case 'certificates':
      return {
        headers: ['CERTIFICATE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'],
        rows: dump.certificates.map((c) => [c.identity, 'Leaf', c.state === 'available' ? 'Available' : c.state === 'initializing' ? 'Initializing' : 'Unavailable', String(c.state === 'available'), c.serialNumber ?? '-', c.notAfter ?? '-', c.notBefore ?? '-']),
      };
    case 'connections':
      return {
        headers: ['NAMESPACE', 'POD NAME', 'IDENTITY', 'LISTENING (15001/15006/15008)'],
        rows: dump.pods.map((p) => [p.namespace, p.name, p.identity, String(p.listening)]),
      };
  }
}

export async function ztunnelConfigCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { lab: { type: 'string', default: 'default' }, node: { type: 'string' }, output: { type: 'string', short: 'o' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ambit ztunnel-config ${KINDS.join('|')} [--lab N] [--node N] [-o json]`);
  }
  const kind = parsed.positionals[0] as Kind | undefined;
  if (!kind || !KINDS.includes(kind)) throw new UsageError(`ztunnel-config: expected one of ${KINDS.join(', ')}`);
  const { lab = 'default', node, output } = parsed.values as { lab?: string; node?: string; output?: string };
  if (output !== undefined && output !== 'json') throw new UsageError(`-o: only "json" is supported, got "${output}"`);
  const nodes = node ? [node] : (await labStatus(lab)).nodes.map((n) => n.name);
  const dumps = await Promise.all(nodes.map(async (n) => (await labComponentJson(lab, `ztunnel/${n}/config_dump`)) as Dump));
  if (output === 'json') {
    console.log(JSON.stringify(Object.fromEntries(dumps.map((d) => [d.node, d[kind === 'connections' ? 'pods' : kind]])), null, 2));
    return EXIT.ok;
  }
  for (const dump of dumps) {
    const t = rows(kind, dump);
    if (dumps.length > 1) console.log(`# ztunnel on ${dump.node}`);
    console.log(table(t.headers, t.rows));
    if (dumps.length > 1) console.log();
  }
  return EXIT.ok;
}
