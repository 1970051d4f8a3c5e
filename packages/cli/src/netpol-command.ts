// `ambit x netpol explain --from NS/POD --to NS/POD --port P [--protocol TCP|UDP|SCTP] [--lab N] [-o json]`:
// whether NetworkPolicy and Calico policy let a new connection through, and which policy and rule
// decided it (or that default deny did). The answer comes from the destination node's CNI agent,
// computed from the same compiled rules it loads into the kernel.
import { parseArgs } from 'node:util';
import { labExplainNetpol } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';

const USAGE = 'usage: ambit x netpol explain --from NS/POD --to NS/POD --port P [--protocol TCP|UDP|SCTP] [--lab N] [-o json]';

export async function experimentalCommand(argv: string[]): Promise<number> {
  const [area, verb, ...rest] = argv;
  if (area !== 'netpol' || verb !== 'explain') throw new UsageError(`unknown experimental command "${[area, verb].filter(Boolean).join(' ')}"\n${USAGE}`);
  let values: { from?: string; to?: string; port?: string; protocol?: string; lab?: string; output?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { from: { type: 'string' }, to: { type: 'string' }, port: { type: 'string' }, protocol: { type: 'string', default: 'TCP' }, lab: { type: 'string', default: 'default' }, output: { type: 'string', short: 'o' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const problems: string[] = [];
  const ref = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (!values.from || !ref.test(values.from)) problems.push(`--from: expected NS/POD, got ${JSON.stringify(values.from ?? '')}`);
  if (!values.to || !ref.test(values.to)) problems.push(`--to: expected NS/POD, got ${JSON.stringify(values.to ?? '')}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`--port: expected 1-65535, got ${JSON.stringify(values.port ?? '')}`);
  const protocol = (values.protocol ?? 'TCP').toUpperCase();
  if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) problems.push(`--protocol: expected TCP, UDP or SCTP, got ${JSON.stringify(values.protocol)}`);
  if (values.output !== undefined && values.output !== 'json') problems.push(`-o: only "json" is supported, got "${values.output}"`);
  if (problems.length > 0) throw new UsageError(`${problems.join('; ')}\n${USAGE}`);
  const answer = await labExplainNetpol(values.lab ?? 'default', { from: values.from ?? '', to: values.to ?? '', port, protocol });
  if (values.output === 'json') {
    console.log(JSON.stringify(answer, null, 2));
  } else {
    console.log(`${values.from} -> ${values.to} ${protocol}/${port}: ${answer.allowed ? 'ALLOWED' : 'DENIED'}`);
    for (const part of answer.reason.split(/; (?=ingress of)/)) console.log(`  ${part}`);
  }
  return EXIT.ok;
}
