// `ambit waypoint generate [-n NS] [--name N] [--for service|workload|all|none] [-r REV]`: the
// Gateway that declares a waypoint, as istioctl prints it (class istio-waypoint, one listener
// `mesh` on 15008/HBONE, label istio.io/waypoint-for). The YAML is built as an @ambit/api Gateway
// and written by the same encoder the lab uses, so what it prints is what `lab apply` accepts.
import { parseArgs } from 'node:util';
import { toYaml, type Gateway } from '@ambit/api';
import { EXIT, UsageError } from './exit-codes.ts';

const USAGE = 'usage: ambit waypoint generate [-n NAMESPACE] [--name waypoint] [--for service|workload|all|none] [-r REVISION]';
const TRAFFIC_TYPES = ['service', 'workload', 'all', 'none'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function waypointGateway(options: { namespace: string; name: string; trafficType: (typeof TRAFFIC_TYPES)[number]; revision?: string }): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'istio.io/waypoint-for': options.trafficType, ...(options.revision === undefined ? {} : { 'istio.io/rev': options.revision }) },
      annotations: {},
    },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    source: { file: 'ambit waypoint generate', line: 1, col: 1 },
  };
}

export async function waypointCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'generate') throw new UsageError(`unknown waypoint command "${verb ?? ''}"\n${USAGE}`);
  let values: { namespace?: string; name?: string; for?: string; revision?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { namespace: { type: 'string', short: 'n', default: 'default' }, name: { type: 'string', default: 'waypoint' }, for: { type: 'string', default: 'service' }, revision: { type: 'string', short: 'r' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const problems: string[] = [];
  const namespace = values.namespace ?? 'default';
  const name = values.name ?? 'waypoint';
  if (!DNS_LABEL.test(namespace)) problems.push(`--namespace: ${JSON.stringify(namespace)} is not a DNS label`);
  if (!DNS_LABEL.test(name)) problems.push(`--name: ${JSON.stringify(name)} is not a DNS label`);
  const trafficType = TRAFFIC_TYPES.find((t) => t === values.for);
  if (trafficType === undefined) problems.push(`--for: expected ${TRAFFIC_TYPES.join(', ')}, got ${JSON.stringify(values.for)}`);
  if (values.revision !== undefined && !DNS_LABEL.test(values.revision)) problems.push(`--revision: ${JSON.stringify(values.revision)} is not a DNS label`);
  if (problems.length > 0 || trafficType === undefined) throw new UsageError(`${problems.join('; ')}\n${USAGE}`);
  process.stdout.write(toYaml(waypointGateway({ namespace, name, trafficType, ...(values.revision === undefined ? {} : { revision: values.revision }) })));
  return EXIT.ok;
}
