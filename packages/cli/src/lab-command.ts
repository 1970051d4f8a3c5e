// `ambit lab ...`: the command-line contract of DESIGN.md.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { parseDuration, formatDuration } from '@ambit/core';
import {
  labUp,
  labApply,
  labDown,
  labStatus,
  labExec,
  labProbe,
  labProbeMatrix,
  type ProbeSpec,
} from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table, reachabilityGrid } from './format.ts';
import { rotateRootCommand, ROTATE_ROOT_USAGE } from './rotate-root-command.ts';

const USAGE = `usage:
  ambit lab up [--name N] [--nodes K] [-f FILE_OR_DIR]...
  ambit lab apply [--name N] -f FILE_OR_DIR...
  ambit lab delete [--name N] -f FILE_OR_DIR...
  ambit lab exec [--name N] NS/POD -- CMD [ARGS...]
  ambit lab probe [--name N] --from NS/POD --to HOST:PORT [--protocol TCP|UDP] [--timeout 1s]
                  [--http PATH [--method M] [--header K:V]...] [--grpc] [-o json]
  ambit lab probe [--name N] --matrix --port P [--protocol TCP|UDP] [--namespaces a,b] [--timeout 1s] [-o json]
  ambit lab status [--name N] [-o json]
  ${ROTATE_ROOT_USAGE}
  ambit lab down [--name N]`;

type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

function parse(args: string[], options: ParseArgsOptionsConfig): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { name: { type: 'string', default: 'default' }, ...options }, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

function output(value: unknown): 'json' | 'text' {
  if (value === undefined) return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`-o: only "json" is supported, got "${String(value)}"`);
}

function protocolOf(value: unknown): 'TCP' | 'UDP' {
  const p = String(value ?? 'TCP').toUpperCase();
  if (p !== 'TCP' && p !== 'UDP') throw new UsageError(`--protocol: expected TCP or UDP, got "${String(value)}"`);
  return p;
}

function duration(value: unknown, flag: string): number {
  try {
    return parseDuration(String(value));
  } catch {
    throw new UsageError(`${flag}: invalid duration "${String(value)}" (write e.g. 500ms, 1s, 2m)`);
  }
}

export async function labCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'rotate-root':
      return rotateRootCommand(rest);
    case 'up': {
      const { values } = parse(rest, { nodes: { type: 'string', default: '2' }, file: { type: 'string', short: 'f', multiple: true } });
      const nodes = Number(values.nodes);
      const started = Date.now();
      const status = await labUp({ name: String(values.name), nodes, files: (values.file as string[] | undefined) ?? [] });
      const ready = status.pods.filter((p) => p.ready).length;
      console.log(
        `lab "${status.name}" is up in ${formatDuration(Date.now() - started)}: ${status.nodes.length} nodes, ${ready}/${status.pods.length} pods ready, ${status.services.length} services`,
      );
      return EXIT.ok;
    }
    case 'apply':
    case 'delete': {
      const { values } = parse(rest, { file: { type: 'string', short: 'f', multiple: true } });
      const files = (values.file as string[] | undefined) ?? [];
      if (files.length === 0) throw new UsageError(`lab ${verb}: -f FILE_OR_DIR is required\n${USAGE}`);
      const changed = await labApply(String(values.name), files, verb);
      for (const line of changed) console.log(line);
      return EXIT.ok;
    }
    case 'exec': {
      const dash = rest.indexOf('--');
      if (dash < 0) throw new UsageError(`lab exec: put the command after --\n${USAGE}`);
      const { values, positionals } = parse(rest.slice(0, dash), {});
      const command = rest.slice(dash + 1);
      if (positionals.length !== 1 || command.length === 0) throw new UsageError(`lab exec: expected NS/POD -- CMD\n${USAGE}`);
      return labExec(String(values.name), positionals[0] as string, command);
    }
    case 'probe':
      return probeCommand(rest);
    case 'status': {
      const { values } = parse(rest, { output: { type: 'string', short: 'o' } });
      const status = await labStatus(String(values.name));
      if (output(values.output) === 'json') {
        console.log(JSON.stringify(status, null, 2));
        return EXIT.ok;
      }
      console.log(table(['NODE', 'IP', 'POD CIDR', 'NETPOL RULES'], status.nodes.map((n) => [n.name, n.ip, n.podCIDR, n.netpolRules === undefined || n.netpolRules === null ? '-' : String(n.netpolRules)])));
      console.log();
      console.log(
        table(
          ['NAMESPACE', 'POD', 'NODE', 'IP', 'READY', 'ENROLLED'],
          status.pods.map((p) => [p.namespace, p.name, p.node, p.ip ?? '<none>', String(p.ready), String(p.enrolled)]),
        ),
      );
      console.log();
      console.log(
        table(
          ['NAMESPACE', 'SERVICE', 'CLUSTER-IP', 'PORTS', 'ENDPOINTS'],
          status.services.map((s) => [s.namespace, s.name, s.clusterIP, s.ports.map((p) => `${p.port}/${p.protocol}`).join(','), String(s.endpoints.length)]),
        ),
      );
      console.log();
      console.log(table(['COMPONENT', 'NODE', 'PID', 'READY'], status.components.map((c) => [c.kind, c.node ?? '-', String(c.pid ?? '-'), String(c.ready)])));
      return EXIT.ok;
    }
    case 'down': {
      const { values } = parse(rest, {});
      const report = await labDown(String(values.name));
      console.log(`lab "${String(values.name)}" is down: removed ${report.netns.length} network namespaces and ${report.processes} processes`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(verb ? `lab: unknown command "${verb}"\n${USAGE}` : USAGE);
  }
}

async function probeCommand(rest: string[]): Promise<number> {
  const { values } = parse(rest, {
    from: { type: 'string' },
    to: { type: 'string' },
    protocol: { type: 'string' },
    timeout: { type: 'string', default: '1s' },
    http: { type: 'string' },
    method: { type: 'string' },
    header: { type: 'string', multiple: true },
    grpc: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    matrix: { type: 'boolean' },
    port: { type: 'string' },
    namespaces: { type: 'string' },
  });
  const lab = String(values.name);
  const format = output(values.output);
  const timeoutMs = duration(values.timeout, '--timeout');
  const protocol = protocolOf(values.protocol);
  if (values.matrix) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port: expected a port 1-65535, got "${String(values.port)}"`);
    const namespaces = values.namespaces ? String(values.namespaces).split(',').filter(Boolean) : undefined;
    const result = await labProbeMatrix(lab, { port, protocol, timeoutMs, ...(namespaces ? { namespaces } : {}) });
    if (format === 'json') console.log(JSON.stringify(result));
    else console.log(`${protocol} port ${port}: "." connected, "X" not\n${reachabilityGrid(result.matrix)}`);
    return EXIT.ok;
  }
  if (!values.from || !values.to) throw new UsageError(`lab probe: --from NS/POD and --to HOST:PORT are required (or --matrix --port P)\n${USAGE}`);
  const headers: Record<string, string> = {};
  for (const h of (values.header as string[] | undefined) ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--header: expected K:V, got "${h}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const spec: ProbeSpec = { to: String(values.to), protocol, timeoutMs };
  if (values.http !== undefined) spec.http = { path: String(values.http), method: String(values.method ?? 'GET').toUpperCase(), headers };
  else if (values.method !== undefined || Object.keys(headers).length > 0) throw new UsageError('--method and --header need --http PATH');
  if (values.grpc) spec.grpc = true;
  const result = await labProbe(lab, String(values.from), spec);
  if (format === 'json') console.log(JSON.stringify(result));
  else {
    const verdict = result.connected ? `connected${result.status !== null ? ` (status ${result.status})` : ''}${result.server ? ` to ${result.server}` : ''}` : `not connected: ${result.error}`;
    console.log(`${result.from} -> ${result.to} ${result.protocol}: ${verdict}`);
  }
  return result.connected ? EXIT.ok : EXIT.failed;
}
