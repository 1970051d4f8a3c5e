// v1 Pod: the pod spec (shared with Deployment templates) and the status the lab writes back.
import { DUPLICATE, INVALID_VALUE, REQUIRED } from '../codes.ts';
import { dns1123Label, dns1123Subdomain, envVarName, ianaSvcName, ipAddress } from '../names.ts';
import { checkValue, childPath, readInt, readList, readObject, readString, readStringList } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import type { Protocol, ResourceBase } from '../types.ts';
import { compact, readProtocol } from './common.ts';
import type { KindDef } from './kind.ts';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** Defaulted to TCP. */
  protocol: Protocol;
}

export interface EnvVar {
  name: string;
  /** Absent when the variable uses valueFrom, which Ambit does not resolve. */
  value?: string;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports: ContainerPort[];
  env: EnvVar[];
}

export interface PodSpec {
  containers: Container[];
  nodeName?: string;
  /** Defaulted to "default", as the ServiceAccount admission controller does. */
  serviceAccountName: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface PodCondition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: PodPhase;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  hostIP?: string;
  conditions?: PodCondition[];
}

export type Pod = ResourceBase<'Pod', PodSpec, PodStatus>;

const POD_SPEC_FIELDS: FieldTable = {
  containers: 'read',
  nodeName: 'read',
  serviceAccountName: 'read',
  serviceAccount: 'read', // deprecated alias of serviceAccountName
  // Change what runs or how it is reached; the lab does not honour them.
  initContainers: 'warn',
  ephemeralContainers: 'warn',
  hostNetwork: 'warn',
  hostPID: 'warn',
  hostIPC: 'warn',
  hostAliases: 'warn',
  hostname: 'warn',
  subdomain: 'warn',
  dnsPolicy: 'warn',
  dnsConfig: 'warn',
  nodeSelector: 'warn',
  affinity: 'warn',
  tolerations: 'warn',
  volumes: 'warn',
  readinessGates: 'warn',
  shareProcessNamespace: 'warn',
  // No bearing on networking or placement in the lab.
  restartPolicy: 'ignore',
  terminationGracePeriodSeconds: 'ignore',
  activeDeadlineSeconds: 'ignore',
  securityContext: 'ignore',
  imagePullSecrets: 'ignore',
  schedulerName: 'ignore',
  priority: 'ignore',
  priorityClassName: 'ignore',
  preemptionPolicy: 'ignore',
  runtimeClassName: 'ignore',
  enableServiceLinks: 'ignore',
  automountServiceAccountToken: 'ignore',
  topologySpreadConstraints: 'ignore',
  overhead: 'ignore',
  setHostnameAsFQDN: 'ignore',
  os: 'ignore',
  schedulingGates: 'ignore',
  resourceClaims: 'ignore',
  resources: 'ignore',
  hostUsers: 'ignore',
};

const CONTAINER_FIELDS: FieldTable = {
  name: 'read',
  image: 'read',
  command: 'read',
  args: 'read',
  ports: 'read',
  env: 'read',
  envFrom: 'warn',
  workingDir: 'warn',
  volumeMounts: 'warn',
  volumeDevices: 'warn',
  readinessProbe: 'warn',
  livenessProbe: 'warn',
  startupProbe: 'warn',
  lifecycle: 'warn',
  imagePullPolicy: 'ignore',
  resources: 'ignore',
  resizePolicy: 'ignore',
  restartPolicy: 'ignore',
  securityContext: 'ignore',
  terminationMessagePath: 'ignore',
  terminationMessagePolicy: 'ignore',
  stdin: 'ignore',
  stdinOnce: 'ignore',
  tty: 'ignore',
};

const CONTAINER_PORT_FIELDS: FieldTable = { name: 'read', containerPort: 'read', protocol: 'read', hostPort: 'warn', hostIP: 'warn' };
const ENV_FIELDS: FieldTable = { name: 'read', value: 'read', valueFrom: 'warn' };

/** Reads a PodSpec (of a Pod or of a Deployment's template). */
export function readPodSpec(ctx: Ctx, f: Field): PodSpec | undefined {
  const obj = readObject(ctx, f, POD_SPEC_FIELDS);
  if (!obj) return undefined;
  const cf = obj.require('containers');
  let containers: Container[] | undefined;
  if (cf) {
    containers = readList(ctx, cf, (item) => readContainer(ctx, item));
    if (cf.node.type === 'seq' && cf.node.items.length === 0) {
      ctx.error(REQUIRED, cf.at, cf.path, 'must list at least one container');
    }
    if (containers && cf.node.type === 'seq') reportDuplicates(ctx, cf, 'name', 'container name');
  }
  const spec: PodSpec = { containers: containers ?? [], serviceAccountName: 'default' };
  const nodeField = obj.get('nodeName');
  if (nodeField) {
    const node = checkValue(ctx, nodeField, readString(ctx, nodeField), dns1123Subdomain);
    if (node !== undefined) spec.nodeName = node;
  }
  const saField = obj.get('serviceAccountName') ?? obj.get('serviceAccount');
  if (saField) {
    const sa = checkValue(ctx, saField, readString(ctx, saField), dns1123Subdomain);
    if (sa !== undefined) spec.serviceAccountName = sa;
  }
  return containers ? spec : undefined;
}

function readContainer(ctx: Ctx, f: Field): Container | undefined {
  const obj = readObject(ctx, f, CONTAINER_FIELDS);
  if (!obj) return undefined;
  const nameField = obj.require('name');
  const name = nameField ? checkValue(ctx, nameField, readString(ctx, nameField), dns1123Label) : undefined;
  const imageField = obj.require('image');
  const image = imageField ? readString(ctx, imageField) : undefined;
  if (image !== undefined && imageField && image.trim() === '') ctx.error(REQUIRED, imageField.at, imageField.path, 'must not be empty');
  const container: Container = { name: name ?? '', image: image ?? '', ports: [], env: [] };
  const commandField = obj.get('command');
  const command = commandField ? readStringList(ctx, commandField) : undefined;
  if (command) container.command = command;
  const argsField = obj.get('args');
  const args = argsField ? readStringList(ctx, argsField) : undefined;
  if (args) container.args = args;
  const portsField = obj.get('ports');
  if (portsField) {
    container.ports = readList(ctx, portsField, (item) => readContainerPort(ctx, item)) ?? [];
    reportDuplicates(ctx, portsField, 'name', 'port name');
  }
  const envField = obj.get('env');
  if (envField) container.env = readList(ctx, envField, (item) => readEnvVar(ctx, item)) ?? [];
  return name !== undefined && image !== undefined ? container : undefined;
}

function readContainerPort(ctx: Ctx, f: Field): ContainerPort | undefined {
  const obj = readObject(ctx, f, CONTAINER_PORT_FIELDS);
  if (!obj) return undefined;
  const numberField = obj.require('containerPort');
  const containerPort = numberField ? readInt(ctx, numberField, 1, 65535) : undefined;
  const protocol = readProtocol(ctx, obj.get('protocol'));
  const nameField = obj.get('name');
  const name = nameField ? checkValue(ctx, nameField, readString(ctx, nameField), ianaSvcName) : undefined;
  if (containerPort === undefined || protocol === undefined) return undefined;
  return name !== undefined ? { name, containerPort, protocol } : { containerPort, protocol };
}

function readEnvVar(ctx: Ctx, f: Field): EnvVar | undefined {
  const obj = readObject(ctx, f, ENV_FIELDS);
  if (!obj) return undefined;
  const nameField = obj.require('name');
  const name = nameField ? checkValue(ctx, nameField, readString(ctx, nameField), envVarName) : undefined;
  const valueField = obj.get('value');
  const value = valueField ? readString(ctx, valueField) : undefined;
  if (name === undefined) return undefined;
  return value !== undefined ? { name, value } : { name };
}

/**
 * Reports the second and later items of a list that repeat a string `key` (names must be unique
 * within a pod's containers, and within one container's ports).
 */
export function reportDuplicates(ctx: Ctx, list: Field, key: string, what: string): void {
  if (list.node.type !== 'seq') return;
  const seen = new Map<string, number>();
  list.node.items.forEach((item, i) => {
    if (item.type !== 'map') return;
    const entry = item.entries.find((e) => e.key === key);
    if (!entry || entry.value.type !== 'scalar' || typeof entry.value.value !== 'string') return;
    const value = entry.value.value;
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, i);
      return;
    }
    ctx.error(DUPLICATE, entry.keyAt, childPath(`${list.path}[${i}]`, key),
      `duplicate ${what} ${JSON.stringify(value)} (already used by ${list.path}[${first}])`);
  });
}

const STATUS_FIELDS: FieldTable = { phase: 'read', podIP: 'read', podIPs: 'read', hostIP: 'read', conditions: 'read', '*': 'ignore' };
const CONDITION_FIELDS: FieldTable = { type: 'read', status: 'read', reason: 'read', message: 'read', lastTransitionTime: 'read', '*': 'ignore' };
const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const CONDITION_STATUSES: readonly ConditionStatus[] = ['True', 'False', 'Unknown'];

/** Reads the status fields Ambit uses; other status fields (as a cluster writes them) are ignored. */
export function readPodStatus(ctx: Ctx, f: Field): PodStatus | undefined {
  const obj = readObject(ctx, f, STATUS_FIELDS);
  if (!obj) return undefined;
  const status: PodStatus = {};
  const phaseField = obj.get('phase');
  if (phaseField) {
    const phase = oneOf(ctx, phaseField, PHASES);
    if (phase) status.phase = phase;
  }
  const ipField = obj.get('podIP');
  const podIP = ipField ? checkValue(ctx, ipField, readString(ctx, ipField), ipAddress) : undefined;
  if (podIP !== undefined) status.podIP = podIP;
  const ipsField = obj.get('podIPs');
  if (ipsField) {
    const ips = readList(ctx, ipsField, (item) => {
      const o = readObject(ctx, item, { ip: 'read', '*': 'ignore' });
      const ipF = o?.require('ip');
      const ip = ipF ? checkValue(ctx, ipF, readString(ctx, ipF), ipAddress) : undefined;
      return ip !== undefined ? { ip } : undefined;
    });
    if (ips) status.podIPs = ips;
  }
  const hostField = obj.get('hostIP');
  const hostIP = hostField ? checkValue(ctx, hostField, readString(ctx, hostField), ipAddress) : undefined;
  if (hostIP !== undefined) status.hostIP = hostIP;
  const condField = obj.get('conditions');
  if (condField) {
    const conditions = readList(ctx, condField, (item) => readCondition(ctx, item));
    if (conditions) status.conditions = conditions;
  }
  return status;
}

function readCondition(ctx: Ctx, f: Field): PodCondition | undefined {
  const obj = readObject(ctx, f, CONDITION_FIELDS);
  if (!obj) return undefined;
  const typeField = obj.require('type');
  const type = typeField ? readString(ctx, typeField) : undefined;
  const statusField = obj.require('status');
  const status = statusField ? oneOf(ctx, statusField, CONDITION_STATUSES) : undefined;
  if (type === undefined || status === undefined) return undefined;
  const c: PodCondition = { type, status };
  for (const key of ['reason', 'message', 'lastTransitionTime'] as const) {
    const field = obj.get(key);
    const v = field ? readString(ctx, field) : undefined;
    if (v !== undefined) c[key] = v;
  }
  return c;
}

function oneOf<T extends string>(ctx: Ctx, f: Field, allowed: readonly T[]): T | undefined {
  const v = readString(ctx, f);
  if (v === undefined) return undefined;
  const found = allowed.find((a) => a === v);
  if (!found) ctx.error(INVALID_VALUE, f.at, f.path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return found;
}

export function encodePodSpec(spec: PodSpec): Record<string, unknown> {
  return compact({
    containers: spec.containers.map((c) =>
      compact({
        name: c.name,
        image: c.image,
        command: c.command,
        args: c.args,
        ports: c.ports.length > 0 ? c.ports.map((p) => compact({ ...p })) : undefined,
        env: c.env.length > 0 ? c.env.map((e) => compact({ ...e })) : undefined,
      }),
    ),
    nodeName: spec.nodeName,
    serviceAccountName: spec.serviceAccountName,
  });
}

export const podKind: KindDef<Pod> = {
  kind: 'Pod',
  apiVersions: ['v1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readPodSpec(ctx, f) : undefined;
  },
  readStatus: readPodStatus,
  encode: (spec) => ({ spec: encodePodSpec(spec) }),
};
