// `ambit lab rotate-root [--name N] --phase start|switch|finish`: one step of the CA root rotation
// (docs/adr/0004-ca-root-rotation.md), relayed by the lab supervisor to the control plane's
// POST /debug/rotate-root. Prints the phase and the published roots' fingerprints.
import { parseArgs } from 'node:util';
import { labRotateRoot, type RotationPhaseStep } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';

export const ROTATE_ROOT_USAGE = 'ambit lab rotate-root [--name N] --phase start|switch|finish [-o json]';

const PHASES: readonly RotationPhaseStep[] = ['start', 'switch', 'finish'];

export async function rotateRootCommand(args: string[]): Promise<number> {
  let values: { name?: string; phase?: string; output?: string };
  try {
    values = parseArgs({ args, options: { name: { type: 'string', default: 'default' }, phase: { type: 'string' }, output: { type: 'string', short: 'o' } }, strict: true }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ${ROTATE_ROOT_USAGE}`);
  }
  const phase = PHASES.find((p) => p === values.phase);
  if (phase === undefined) throw new UsageError(`--phase: expected start, switch or finish, got ${values.phase === undefined ? 'nothing' : `"${values.phase}"`}\nusage: ${ROTATE_ROOT_USAGE}`);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o: only "json" is supported, got "${values.output}"`);
  const reply = await labRotateRoot(values.name ?? 'default', phase);
  const body = reply.body;
  if (values.output === 'json') console.log(JSON.stringify({ status: reply.status, ...body }, null, 2));
  if (reply.status !== 200) {
    if (values.output !== 'json') console.error(`error: rotate-root --phase ${phase}: ${body.error ?? `HTTP ${reply.status}`}${body.hint ? ` (hint: ${body.hint})` : ''}`);
    return EXIT.failed;
  }
  if (values.output !== 'json') {
    console.log(`phase: ${body.phase ?? '?'}`);
    console.log(`signing root: ${body.signingRoot ?? '?'}`);
    for (const root of body.roots ?? []) console.log(`trusted root: ${root}`);
  }
  return EXIT.ok;
}
