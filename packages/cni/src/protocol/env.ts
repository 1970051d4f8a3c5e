// The CNI_* environment a plugin is called with, validated per verb. Every missing or invalid
// variable is named in one error (code 4), as the spec asks.
import { isAbsolute } from 'node:path';
import { CNI_CODE, cniError } from './errors.ts';
import { parseCniArgs, type PodArgs } from './cni-args.ts';
import { containerIdProblem, ifnameProblem } from './names.ts';

export const VERBS = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'] as const;
export type Verb = (typeof VERBS)[number];

export interface CniEnv {
  command: Verb;
  containerId: string;
  /** Empty when not given (allowed on DEL). */
  netns: string;
  ifname: string;
  /** Raw CNI_ARGS. */
  args: string;
  argPairs: Map<string, string>;
  pod: PodArgs;
  path: string[];
}

type EnvSource = Readonly<Record<string, string | undefined>>;

const REQUIRED: Record<Verb, readonly string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
  VERSION: [],
};

function isVerb(value: string): value is Verb {
  return (VERBS as readonly string[]).includes(value);
}

/** Validates the environment for its verb; throws a code-4 AmbitError naming every bad variable. */
export function parseCniEnv(env: EnvSource): CniEnv {
  const problems: string[] = [];
  const command = env['CNI_COMMAND'] ?? '';
  if (command === '') problems.push('CNI_COMMAND is missing');
  else if (!isVerb(command)) problems.push(`CNI_COMMAND="${command}" is not one of ${VERBS.join(', ')}`);
  const verb: Verb | undefined = isVerb(command) ? command : undefined;

  for (const name of verb ? REQUIRED[verb] : []) {
    if ((env[name] ?? '') === '') problems.push(`${name} is missing`);
  }
  const containerId = env['CNI_CONTAINERID'] ?? '';
  const netns = env['CNI_NETNS'] ?? '';
  const ifname = env['CNI_IFNAME'] ?? '';
  const checkContainer = verb !== undefined && verb !== 'VERSION' && verb !== 'GC' && verb !== 'STATUS';
  if (checkContainer && containerId !== '') {
    const why = containerIdProblem(containerId);
    if (why) problems.push(`CNI_CONTAINERID="${containerId}" ${why}`);
  }
  if (checkContainer && ifname !== '') {
    const why = ifnameProblem(ifname);
    if (why) problems.push(`CNI_IFNAME="${ifname}" ${why}`);
  }
  if (checkContainer && netns !== '' && !isAbsolute(netns)) problems.push(`CNI_NETNS="${netns}" must be an absolute path`);
  const parsedArgs = parseCniArgs(env['CNI_ARGS']);
  if (!parsedArgs.ok) problems.push(`CNI_ARGS: ${parsedArgs.problem}`);

  if (problems.length > 0 || verb === undefined || !parsedArgs.ok) {
    throw cniError(CNI_CODE.invalidEnv, 'AMBIT_CNI_INVALID_ENV', `invalid CNI environment: ${problems.join('; ')}`, {
      hint: 'the runtime sets CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_PATH (see the CNI spec, "Parameters")',
    });
  }
  return {
    command: verb,
    containerId,
    netns,
    ifname,
    args: env['CNI_ARGS'] ?? '',
    argPairs: parsedArgs.pairs,
    pod: parsedArgs.pod,
    path: (env['CNI_PATH'] ?? '').split(':').filter((p) => p !== ''),
  };
}
