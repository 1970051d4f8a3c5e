// `ambit analyze -f FILE_OR_DIR... [--lab N]`: every validation problem, then Istio-style warnings
// (policies ztunnel can only partly enforce, selectors matching nothing, missing waypoints, DENYs a
// waypoint bypasses), then where each AuthorizationPolicy is enforced (waypoint or ztunnel).
// With --lab, the lab's whole cluster state is analyzed together with the files.
import { parseArgs } from 'node:util';
import { analyzeResources, loadResourceFiles, policyEnforcement } from '@ambit/api';
import { formatProblem } from '@ambit/core';
import { labNames } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table } from './format.ts';

export async function analyzeCommand(argv: string[]): Promise<number> {
  let values: { file?: string[]; lab?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { file: { type: 'string', short: 'f', multiple: true }, lab: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ambit analyze -f FILE_OR_DIR... [--lab N]`);
  }
  const paths = [...(values.file ?? []), ...(values.lab ? [labNames(values.lab).configDir] : [])];
  if (paths.length === 0) throw new UsageError('analyze: give -f FILE_OR_DIR and/or --lab N');
  const { resources, problems } = await loadResourceFiles(paths);
  // The lab writes EndpointSlices for the control plane; they are derived state, not input.
  const input = problems.filter((p) => !(p.code === 'AMBIT_API_UNKNOWN_KIND' && p.message.includes('EndpointSlice')));
  const all = [...input, ...analyzeResources(resources)];
  for (const p of all) console.log(formatProblem(p));
  const errors = all.filter((p) => p.severity === 'error').length;
  const warnings = all.length - errors;
  console.log(all.length === 0 ? `✔ no problems found in ${resources.length} resources` : `${errors} errors, ${warnings} warnings in ${resources.length} resources`);
  const enforcement = policyEnforcement(resources);
  if (enforcement.length > 0) {
    console.log('\nWhere each AuthorizationPolicy is enforced:');
    console.log(table(['POLICY', 'ACTION', 'ENFORCED BY'], enforcement.map((e) => [e.policy, e.action, e.enforcedBy])));
  }
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
