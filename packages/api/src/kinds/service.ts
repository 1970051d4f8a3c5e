// v1 Service, type ClusterIP (including headless, clusterIP: None).
import { DUPLICATE, INVALID_TYPE, INVALID_VALUE, REQUIRED, UNSUPPORTED } from '../codes.ts';
import { dns1123Label, ianaSvcName, ipv4, labelValue, qualifiedName } from '../names.ts';
import { checkValue, childPath, readInt, readList, readObject, readString, readStringMap } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import type { Protocol, ResourceBase } from '../types.ts';
import { compact, readProtocol } from './common.ts';
import type { KindDef } from './kind.ts';
import { reportDuplicates } from './pod.ts';

export interface ServicePort {
  name?: string;
  port: number;
  /** A number, or the name of a container port; defaulted to `port` as Kubernetes does. */
  targetPort: number | string;
  /** Defaulted to TCP. */
  protocol: Protocol;
  appProtocol?: string;
}

export interface ServiceSpec {
  /** Absent (or empty in the YAML): the Service selects no pods by itself. */
  selector?: Record<string, string>;
  ports: ServicePort[];
  /** An IPv4 address, "None" for a headless Service, or absent until allocated. */
  clusterIP?: string;
  type: 'ClusterIP';
}

export type Service = ResourceBase<'Service', ServiceSpec>;

const SPEC_FIELDS: FieldTable = {
  selector: 'read',
  ports: 'read',
  clusterIP: 'read',
  type: 'read',
  // Set by the API server on output.
  clusterIPs: 'ignore',
  ipFamilies: 'ignore',
  ipFamilyPolicy: 'ignore',
  internalTrafficPolicy: 'ignore',
  sessionAffinity: 'ignore',
  trafficDistribution: 'ignore',
  // Change behaviour in ways the lab does not reproduce.
  sessionAffinityConfig: 'warn',
  publishNotReadyAddresses: 'warn',
  externalIPs: 'warn',
  externalName: 'warn',
  externalTrafficPolicy: 'warn',
  healthCheckNodePort: 'warn',
  loadBalancerIP: 'warn',
  loadBalancerSourceRanges: 'warn',
  loadBalancerClass: 'warn',
  allocateLoadBalancerNodePorts: 'warn',
};

const PORT_FIELDS: FieldTable = { name: 'read', port: 'read', targetPort: 'read', protocol: 'read', appProtocol: 'read', nodePort: 'warn' };
const OTHER_TYPES = ['NodePort', 'LoadBalancer', 'ExternalName'];

function readServiceSpec(ctx: Ctx, f: Field): ServiceSpec | undefined {
  const obj = readObject(ctx, f, SPEC_FIELDS);
  if (!obj) return undefined;
  const spec: ServiceSpec = { ports: [], type: 'ClusterIP' };
  const typeField = obj.get('type');
  if (typeField) {
    const type = readString(ctx, typeField);
    if (type !== undefined && type !== 'ClusterIP') {
      if (OTHER_TYPES.includes(type)) ctx.error(UNSUPPORTED, typeField.at, typeField.path, `only ClusterIP is supported, got ${JSON.stringify(type)}`);
      else ctx.error(INVALID_VALUE, typeField.at, typeField.path, `must be one of ClusterIP, NodePort, LoadBalancer, ExternalName, got ${JSON.stringify(type)}`);
    }
  }
  const selectorField = obj.get('selector');
  if (selectorField) {
    const selector = readStringMap(ctx, selectorField, qualifiedName, labelValue);
    if (selector && Object.keys(selector).length > 0) spec.selector = selector;
  }
  const ipField = obj.get('clusterIP');
  if (ipField) {
    const ip = checkValue(ctx, ipField, readString(ctx, ipField), (v) =>
      v === '' || v === 'None' || !ipv4(v) ? undefined : 'must be an IPv4 address, "None" (headless) or empty (allocate one)');
    if (ip !== undefined && ip !== '') spec.clusterIP = ip;
  }
  const portsField = obj.get('ports');
  if (portsField) {
    const count = portsField.node.type === 'seq' ? portsField.node.items.length : 0;
    spec.ports = readList(ctx, portsField, (item) => readServicePort(ctx, item, count > 1)) ?? [];
    reportDuplicates(ctx, portsField, 'name', 'port name');
    reportDuplicatePorts(ctx, portsField, spec.ports);
  }
  const written = portsField?.node.type === 'seq' ? portsField.node.items.length : 0;
  if (written === 0 && spec.clusterIP !== 'None' && (!portsField || portsField.node.type === 'seq')) {
    ctx.error(REQUIRED, portsField?.at ?? obj.self.at, portsField?.path ?? childPath(obj.self.path, 'ports'), 'must list at least one port (only a headless Service, clusterIP: None, may have none)');
  }
  return spec;
}

function readServicePort(ctx: Ctx, f: Field, several: boolean): ServicePort | undefined {
  const obj = readObject(ctx, f, PORT_FIELDS);
  if (!obj) return undefined;
  const portField = obj.require('port');
  const port = portField ? readInt(ctx, portField, 1, 65535) : undefined;
  const protocol = readProtocol(ctx, obj.get('protocol'));
  const nameField = obj.get('name');
  if (several && !nameField) {
    ctx.error(REQUIRED, obj.self.at, childPath(obj.self.path, 'name'), 'is required when the Service has more than one port');
  }
  const name = nameField ? checkValue(ctx, nameField, readString(ctx, nameField), dns1123Label) : undefined;
  const targetField = obj.get('targetPort');
  let targetPort: number | string | undefined = port;
  if (targetField) {
    const node = targetField.node;
    if (node.type === 'scalar' && typeof node.value === 'number') {
      // 0 means "same as port", as Kubernetes defaults it.
      const n = node.value === 0 ? port : readInt(ctx, targetField, 1, 65535);
      targetPort = n;
    } else if (node.type === 'scalar' && typeof node.value === 'string') {
      const v = node.value;
      targetPort = v === '' ? port : checkValue(ctx, targetField, v, (s) => {
        const err = ianaSvcName(s);
        if (!err) return undefined;
        const unquote = /^[0-9]+$/.test(s) ? ' (write the number without quotes)' : '';
        return `must be a port number between 1 and 65535 or ${err.replace(/^must be /, '')}${unquote}`;
      });
    } else {
      ctx.error(INVALID_TYPE, targetField.at, targetField.path, 'must be a port number or a port name');
      targetPort = undefined;
    }
  }
  const appField = obj.get('appProtocol');
  const appProtocol = appField ? checkValue(ctx, appField, readString(ctx, appField), qualifiedName) : undefined;
  if (port === undefined || protocol === undefined || targetPort === undefined) return undefined;
  const out: ServicePort = { port, targetPort, protocol };
  if (name !== undefined) out.name = name;
  if (appProtocol !== undefined) out.appProtocol = appProtocol;
  return out;
}

/** Two entries with the same port and protocol are rejected by the API server. */
function reportDuplicatePorts(ctx: Ctx, list: Field, ports: ServicePort[]): void {
  if (list.node.type !== 'seq' || ports.length !== list.node.items.length) return;
  const seen = new Map<string, number>();
  ports.forEach((p, i) => {
    const key = `${p.port}/${p.protocol}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const item = list.node.type === 'seq' ? list.node.items[i] : undefined;
    const entry = item?.type === 'map' ? item.entries.find((e) => e.key === 'port') : undefined;
    ctx.error(DUPLICATE, entry?.keyAt ?? list.at, `${list.path}[${i}].port`,
      `duplicate port ${key} (already used by ${list.path}[${first}])`);
  });
}

export function encodeServiceSpec(spec: ServiceSpec): Record<string, unknown> {
  return compact({
    type: spec.type,
    clusterIP: spec.clusterIP,
    selector: spec.selector,
    ports: spec.ports.map((p) => compact({ ...p })),
  });
}

export const serviceKind: KindDef<Service> = {
  kind: 'Service',
  apiVersions: ['v1'],
  namespaced: true,
  nameRule: dns1123Label,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readServiceSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({ spec: encodeServiceSpec(spec) }),
};
