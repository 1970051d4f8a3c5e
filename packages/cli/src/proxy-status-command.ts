// `ambit proxy-status [--lab N] [-o json]`: every client connected to the control plane's xDS
// server and, per type, whether it holds what was last sent (SYNCED), is behind (STALE) or
// rejected it (NACK), like istioctl proxy-status.
import { parseArgs } from 'node:util';
import { labComponentJson } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table } from './format.ts';

interface TypeStatus {
  typeUrl: string;
  resourceCount: number;
  lastSentNonce?: string;
  lastAckedNonce?: string;
  lastNack?: { error: string; names: string[] };
  unacked: number;
  pending: number;
}

interface ClientStatus {
  id: string;
  cluster: string;
  peer: string;
  authenticatedAs?: string;
  types: TypeStatus[];
}

/** istioctl's short names for the types ztunnels and CNI agents use. */
const SHORT: Record<string, string> = {
  'type.googleapis.com/istio.workload.Address': 'WDS',
  'type.googleapis.com/istio.security.Authorization': 'WADS',
  'type.googleapis.com/ambit.policy.v1.PolicyWorkload': 'PWDS',
  'type.googleapis.com/ambit.policy.v1.NetworkPolicy': 'NPDS',
  'type.googleapis.com/ambit.policy.v1.CalicoPolicy': 'CPDS',
  'type.googleapis.com/ambit.policy.v1.CalicoTier': 'CTDS',
};

export function syncState(t: TypeStatus): string {
  if (t.lastNack && t.lastNack.error) return `NACK (${t.lastNack.names.join(',') || t.lastNack.error})`;
  if (t.unacked > 0 || t.pending > 0 || t.lastSentNonce !== t.lastAckedNonce) return 'STALE';
  return 'SYNCED';
}

export async function proxyStatusCommand(argv: string[]): Promise<number> {
  let values: { lab?: string; output?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { lab: { type: 'string', default: 'default' }, output: { type: 'string', short: 'o' } }, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ambit proxy-status [--lab N] [-o json]`);
  }
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o: only "json" is supported, got "${values.output}"`);
  const clients = (await labComponentJson(values.lab ?? 'default', 'control-plane/syncz')) as ClientStatus[];
  if (values.output === 'json') {
    console.log(JSON.stringify(clients, null, 2));
    return EXIT.ok;
  }
  const rows = clients.map((c) => [
    c.id,
    c.cluster || '-',
    c.authenticatedAs ?? '-',
    c.types.map((t) => `${SHORT[t.typeUrl] ?? t.typeUrl} ${syncState(t)} (${t.resourceCount})`).join(', ') || '-',
  ]);
  console.log(table(['NAME', 'CLUSTER', 'AUTHENTICATED', 'TYPES'], rows));
  return EXIT.ok;
}
