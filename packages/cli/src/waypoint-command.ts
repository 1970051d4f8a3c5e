// `ambit waypoint generate|apply|list|status|delete`, istioctl's verbs (reference istio-ambient.md
// section 5) against a lab. A waypoint is a Gateway of class istio-waypoint (one listener `mesh` on
// 15008/HBONE, label istio.io/waypoint-for); the lab's deployment controller runs it and writes its
// status (ADR 0007), which list and status read back through the supervisor.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { toYaml, type Gateway, type Namespace } from '@ambit/api';
import { AmbitError, formatDuration, parseDuration, waitFor } from '@ambit/core';
import { labApplySources, labNames, labStatus, type GatewayStatusEntry, type NamespaceStatusEntry } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table } from './format.ts';

const USAGE = `usage:
  ambit waypoint generate [-n NS] [--name waypoint] [--for service|workload|all|none] [-r REVISION]
  ambit waypoint apply [--lab N] [-n NS] [--name waypoint] [--for service|workload|all|none] [-r REVISION]
                       [--enroll-namespace] [--overwrite] [-w|--wait] [--waypoint-timeout 1m]
  ambit waypoint list [--lab N] [-n NS | -A] [-o json]
  ambit waypoint status [--lab N] [-n NS | -A] [--name NAME]
  ambit waypoint delete [--lab N] [-n NS] NAME... | --all`;
const TRAFFIC_TYPES = ['service', 'workload', 'all', 'none'] as const;
type TrafficType = (typeof TRAFFIC_TYPES)[number];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const WAYPOINT_CLASS = 'istio-waypoint';
const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';

export function waypointGateway(options: { namespace: string; name: string; trafficType: TrafficType; revision?: string }): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'istio.io/waypoint-for': options.trafficType, ...(options.revision === undefined ? {} : { 'istio.io/rev': options.revision }) },
      annotations: {},
    },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    source: { file: 'ambit waypoint generate', line: 1, col: 1 },
  };
}

/** Where list, status and delete look: one namespace, or all of them (-A). */
export interface Scope {
  namespace: string;
  allNamespaces: boolean;
}

export type WaypointRequest =
  | { verb: 'generate'; namespace: string; name: string; trafficType: TrafficType; revision?: string }
  | { verb: 'apply'; lab: string; namespace: string; name: string; trafficType: TrafficType; revision?: string; enrollNamespace: boolean; overwrite: boolean; wait: boolean; timeoutMs: number }
  | { verb: 'list'; lab: string; scope: Scope; json: boolean }
  | { verb: 'status'; lab: string; scope: Scope; name?: string }
  | { verb: 'delete'; lab: string; namespace: string; names: string[]; all: boolean };

const COMMON = { namespace: { type: 'string', short: 'n', default: 'default' }, lab: { type: 'string', default: 'default' } } as const;
const ALL_NAMESPACES = { 'all-namespaces': { type: 'boolean', short: 'A', default: false } } as const;
const GATEWAY_FLAGS = { name: { type: 'string', default: 'waypoint' }, for: { type: 'string', default: 'service' }, revision: { type: 'string', short: 'r' } } as const;

function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

function checkLabel(problems: string[], flag: string, value: string | undefined): void {
  if (value !== undefined && !DNS_LABEL.test(value)) problems.push(`${flag}: ${JSON.stringify(value)} is not a DNS label`);
}

function gatewayOptions(values: { namespace?: string; name?: string; for?: string; revision?: string }, problems: string[]) {
  const namespace = values.namespace ?? 'default';
  const name = values.name ?? 'waypoint';
  checkLabel(problems, '--namespace', namespace);
  checkLabel(problems, '--name', name);
  checkLabel(problems, '--revision', values.revision);
  const trafficType = TRAFFIC_TYPES.find((t) => t === values.for);
  if (trafficType === undefined) problems.push(`--for: expected ${TRAFFIC_TYPES.join(', ')}, got ${JSON.stringify(values.for)}`);
  return { namespace, name, trafficType: trafficType ?? 'service', ...(values.revision === undefined ? {} : { revision: values.revision }) };
}

function done(problems: string[]): void {
  if (problems.length > 0) throw new UsageError(`${problems.join('; ')}\n${USAGE}`);
}

/** Command-line words to a request; every problem is a UsageError (exit 2). */
export function parseWaypointArgs(argv: string[]): WaypointRequest {
  const [verb, ...rest] = argv;
  const problems: string[] = [];
  switch (verb) {
    case 'generate': {
      const { values } = parse({ args: rest, options: { namespace: COMMON.namespace, ...GATEWAY_FLAGS }, strict: true });
      const options = gatewayOptions(values, problems);
      done(problems);
      return { verb, ...options };
    }
    case 'apply': {
      const { values } = parse({
        args: rest,
        options: {
          ...COMMON,
          ...GATEWAY_FLAGS,
          'enroll-namespace': { type: 'boolean', default: false },
          overwrite: { type: 'boolean', default: false },
          wait: { type: 'boolean', short: 'w', default: false },
          'waypoint-timeout': { type: 'string', default: '1m' },
        },
        strict: true,
      });
      const options = gatewayOptions(values, problems);
      let timeoutMs = 0;
      try {
        timeoutMs = parseDuration(values['waypoint-timeout']);
      } catch {
        problems.push(`--waypoint-timeout: invalid duration ${JSON.stringify(values['waypoint-timeout'])} (write e.g. 30s, 2m)`);
      }
      done(problems);
      return { verb, lab: values.lab, ...options, enrollNamespace: values['enroll-namespace'], overwrite: values.overwrite, wait: values.wait, timeoutMs };
    }
    case 'list': {
      const { values } = parse({ args: rest, options: { ...COMMON, ...ALL_NAMESPACES, output: { type: 'string', short: 'o' } }, strict: true });
      checkLabel(problems, '--namespace', values.namespace);
      if (values.output !== undefined && values.output !== 'json') problems.push(`-o: only "json" is supported, got ${JSON.stringify(values.output)}`);
      done(problems);
      return { verb, lab: values.lab, scope: { namespace: values.namespace, allNamespaces: values['all-namespaces'] }, json: values.output === 'json' };
    }
    case 'status': {
      const { values } = parse({ args: rest, options: { ...COMMON, ...ALL_NAMESPACES, name: { type: 'string' } }, strict: true });
      checkLabel(problems, '--namespace', values.namespace);
      checkLabel(problems, '--name', values.name);
      done(problems);
      const scope = { namespace: values.namespace, allNamespaces: values['all-namespaces'] };
      return { verb, lab: values.lab, scope, ...(values.name === undefined ? {} : { name: values.name }) };
    }
    case 'delete': {
      const { values, positionals } = parse({ args: rest, options: { ...COMMON, all: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
      checkLabel(problems, '--namespace', values.namespace);
      for (const name of positionals) checkLabel(problems, 'NAME', name);
      if (values.all === positionals.length > 0) problems.push('delete: name the waypoints to delete, or give --all (not both)');
      done(problems);
      return { verb, lab: values.lab, namespace: values.namespace, names: positionals, all: values.all };
    }
    default:
      throw new UsageError(`unknown waypoint command "${verb ?? ''}"\n${USAGE}`);
  }
}

/** The waypoints in scope: Gateways of class istio-waypoint, as `kubectl get gateways` orders them. */
export function waypointsIn(gateways: readonly GatewayStatusEntry[], scope: Scope): GatewayStatusEntry[] {
  return gateways
    .filter((g) => g.class === WAYPOINT_CLASS && (scope.allNamespaces || g.namespace === scope.namespace))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function conditionStatus(g: GatewayStatusEntry, type: string): string {
  return g.conditions.find((c) => c.type === type)?.status ?? 'Unknown';
}

/** `istioctl waypoint list`: NAME REVISION TRAFFIC TYPE PROGRAMMED, NAMESPACE first with -A. */
export function listTable(waypoints: readonly GatewayStatusEntry[], allNamespaces: boolean): { headers: string[]; rows: string[][] } {
  const headers = ['NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'];
  const rows = waypoints.map((g) => [g.name, g.revision, g.trafficType, conditionStatus(g, 'Programmed')]);
  return allNamespaces ? { headers: ['NAMESPACE', ...headers], rows: rows.map((r, i) => [waypoints[i]?.namespace ?? '', ...r]) } : { headers, rows };
}

/** `istioctl waypoint status`: one row per condition of each waypoint. */
export function statusTable(waypoints: readonly GatewayStatusEntry[]): { headers: string[]; rows: string[][] } {
  return {
    headers: ['NAMESPACE', 'NAME', 'STATUS', 'TYPE', 'REASON', 'MESSAGE'],
    rows: waypoints.flatMap((g) => g.conditions.map((c) => [g.namespace, g.name, c.status, c.type, c.reason, c.message])),
  };
}

/** Why applying `wanted` over an existing Gateway of that name needs --overwrite (undefined: it does not). */
export function overwriteConflict(existing: GatewayStatusEntry | undefined, wanted: { trafficType: string; revision?: string }): string | undefined {
  if (!existing) return undefined;
  const where = `${existing.namespace}/${existing.name}`;
  if (existing.class !== WAYPOINT_CLASS) return `gateway ${where} already exists with class ${existing.class}; use --overwrite to replace it with a waypoint`;
  const revision = wanted.revision ?? 'default';
  if (existing.trafficType !== wanted.trafficType) return `waypoint ${where} already exists with traffic type ${existing.trafficType}; use --overwrite to change it to ${wanted.trafficType}`;
  if (existing.revision !== revision) return `waypoint ${where} already exists with revision ${existing.revision}; use --overwrite to change it to ${revision}`;
  return undefined;
}

/** The Namespace as it is, plus istio.io/use-waypoint (re-applying it updates labels in place). */
export function enrolledNamespace(ns: NamespaceStatusEntry, waypoint: string): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns.name, labels: { ...ns.labels, [USE_WAYPOINT_LABEL]: waypoint }, annotations: { ...ns.annotations } },
    spec: {},
    source: { file: 'ambit waypoint apply --enroll-namespace', line: 1, col: 1 },
  };
}

export async function waypointCommand(argv: string[]): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  const request = parseWaypointArgs(argv);
  switch (request.verb) {
    case 'generate':
      process.stdout.write(toYaml(waypointGateway(request)));
      return EXIT.ok;
    case 'apply':
      return applyWaypoint(request);
    case 'list': {
      const waypoints = waypointsIn((await labStatus(request.lab)).gateways, request.scope);
      if (request.json) console.log(JSON.stringify(waypoints, null, 2));
      else if (waypoints.length === 0) console.log(noneFound(request.scope));
      else {
        const t = listTable(waypoints, request.scope.allNamespaces);
        console.log(table(t.headers, t.rows));
      }
      return EXIT.ok;
    }
    case 'status': {
      const waypoints = waypointsIn((await labStatus(request.lab)).gateways, request.scope).filter((g) => request.name === undefined || g.name === request.name);
      if (request.name !== undefined && waypoints.length === 0) {
        throw new AmbitError('AMBIT_CLI_WAYPOINT_NOT_FOUND', `waypoint ${request.scope.namespace}/${request.name} not found`);
      }
      if (waypoints.length === 0) console.log(noneFound(request.scope));
      else {
        const t = statusTable(waypoints);
        console.log(table(t.headers, t.rows));
      }
      return EXIT.ok;
    }
    case 'delete':
      return deleteWaypoints(request);
  }
}

function noneFound(scope: Scope): string {
  return scope.allNamespaces ? 'No waypoints found.' : `No waypoints found in namespace ${scope.namespace}.`;
}

async function applyWaypoint(request: Extract<WaypointRequest, { verb: 'apply' }>): Promise<number> {
  const before = await labStatus(request.lab);
  const where = `${request.namespace}/${request.name}`;
  const conflict = overwriteConflict(
    before.gateways.find((g) => g.namespace === request.namespace && g.name === request.name),
    request,
  );
  if (conflict !== undefined && !request.overwrite) throw new AmbitError('AMBIT_CLI_WAYPOINT_EXISTS', conflict);
  const gateway = waypointGateway(request);
  await labApplySources(request.lab, [{ path: 'ambit waypoint apply', text: toYaml(gateway) }], 'apply');
  if (request.wait) await waitProgrammed(request.lab, request.namespace, request.name, request.timeoutMs);
  console.log(`waypoint ${where} applied`);
  if (request.enrollNamespace) {
    const ns = before.namespaces.find((n) => n.name === request.namespace);
    // The Gateway's apply already required the namespace; it can only be gone if deleted meanwhile.
    if (!ns) throw new AmbitError('AMBIT_CLI_NAMESPACE_NOT_FOUND', `namespace ${request.namespace} not found in lab ${request.lab}`);
    await labApplySources(request.lab, [{ path: 'ambit waypoint apply --enroll-namespace', text: toYaml(enrolledNamespace(ns, request.name)) }], 'apply');
    console.log(`namespace ${request.namespace} labeled with "${USE_WAYPOINT_LABEL}: ${request.name}"`);
    if (ns.labels['istio.io/dataplane-mode'] !== 'ambient') {
      console.error(`warning: namespace ${request.namespace} is not enrolled in ambient; label it istio.io/dataplane-mode=ambient for its traffic to use the waypoint`);
    }
  }
  return EXIT.ok;
}

async function waitProgrammed(lab: string, namespace: string, name: string, timeoutMs: number): Promise<void> {
  let last: GatewayStatusEntry | undefined;
  try {
    await waitFor(
      async () => {
        last = (await labStatus(lab)).gateways.find((g) => g.namespace === namespace && g.name === name);
        return last?.programmed === true;
      },
      { timeoutMs, intervalMs: 100, maxIntervalMs: 500, what: `waypoint ${namespace}/${name} to be programmed` },
    );
  } catch (error) {
    if (!(error instanceof AmbitError && error.code === 'AMBIT_CORE_TIMEOUT')) throw error;
    const condition = last?.conditions.find((c) => c.type === 'Programmed');
    const why = condition ? `${condition.reason}: ${condition.message}` : 'the Gateway has no Programmed condition';
    throw new AmbitError('AMBIT_CLI_WAYPOINT_NOT_PROGRAMMED', `timed out after ${formatDuration(timeoutMs)} waiting for waypoint ${namespace}/${name} to be programmed (${why})`, {
      hint: `see the waypoint pod's log under ${labNames(lab).logDir}/pods/, or raise --waypoint-timeout`,
    });
  }
}

async function deleteWaypoints(request: Extract<WaypointRequest, { verb: 'delete' }>): Promise<number> {
  const scope = { namespace: request.namespace, allNamespaces: false };
  const present = waypointsIn((await labStatus(request.lab)).gateways, scope);
  const unknown = request.names.filter((n) => !present.some((g) => g.name === n));
  if (unknown.length > 0) {
    throw new AmbitError('AMBIT_CLI_WAYPOINT_NOT_FOUND', `${unknown.map((n) => `waypoint ${request.namespace}/${n}`).join(', ')} not found; nothing was deleted`);
  }
  const targets = request.all ? present : present.filter((g) => request.names.includes(g.name));
  if (targets.length === 0) {
    console.log(noneFound(scope));
    return EXIT.ok;
  }
  // Delete matches by kind, namespace and name; the spec only has to be valid.
  const text = toYaml(targets.map((g) => waypointGateway({ namespace: g.namespace, name: g.name, trafficType: 'service' })));
  await labApplySources(request.lab, [{ path: 'ambit waypoint delete', text }], 'delete');
  for (const g of targets) console.log(`waypoint ${g.namespace}/${g.name} deleted`);
  return EXIT.ok;
}
