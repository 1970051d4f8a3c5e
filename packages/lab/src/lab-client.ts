// What the `ambit lab` commands do, as a library: the CLI and the end-to-end tests both use it.
// Commands reach the running lab through the supervisor's socket; probes and exec run directly
// inside pod namespaces with `ip netns exec`, so they see exactly what a pod sees.
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResources, type SourceFile } from '@ambit/api';
import { AmbitError, formatProblem, hasErrors, waitFor } from '@ambit/core';
import { labNames, type LabNames } from './names.ts';
import { callSupervisor } from './rpc.ts';
import { bundleComponents } from './bundle.ts';
import { destroyLab, stopProcess, supervisorPid, processAlive, type CleanupReport } from './cleanup.ts';
import type { LabStatus, PodStatusEntry } from './status.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SUPERVISOR_MAIN = join(HERE, 'supervisor-main.ts');
const PROBE_MAIN = join(dirname(fileURLToPath(import.meta.resolve('@ambit/workload'))), 'probe-main.ts');

/** Input problems: the CLI exits 2 and prints each line. */
export class LabInputError extends AmbitError {
  readonly problems: string[];
  constructor(problems: string[], code = 'AMBIT_LAB_INVALID_INPUT') {
    super(code, problems.join('\n'));
    this.problems = problems;
  }
}

/** Reads YAML/JSON files and directories (sorted, not recursive) as the user named them. */
export async function readSourceFiles(paths: readonly string[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      const entries = info.isDirectory()
        ? (await readdir(path)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f))
        : [path];
      for (const file of entries) files.push({ path: file, text: await readFile(file, 'utf8') });
    } catch (error) {
      problems.push(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)} [AMBIT_LAB_FILE_UNREADABLE]`);
    }
  }
  if (problems.length > 0) throw new LabInputError(problems);
  return files;
}

function validateOffline(files: SourceFile[]): void {
  const { problems } = parseResources(files);
  if (hasErrors(problems)) throw new LabInputError(problems.filter((p) => p.severity === 'error').map(formatProblem));
}

export async function labStatus(lab: string): Promise<LabStatus> {
  const reply = await callSupervisor(labNames(lab).socket, 'GET', '/status', undefined, 30_000);
  if (reply.status !== 200) throw new AmbitError('AMBIT_LAB_BAD_REPLY', `status failed: ${JSON.stringify(reply.body)}`);
  return reply.body as LabStatus;
}

export async function isRunning(lab: string): Promise<boolean> {
  try {
    await labStatus(lab);
    return true;
  } catch (error) {
    if (error instanceof AmbitError && error.code === 'AMBIT_LAB_NOT_RUNNING') return false;
    throw error;
  }
}

export interface UpOptions {
  name: string;
  nodes: number;
  files: readonly string[];
}

/** Starts the supervisor in the background and returns when every pod and component is ready. */
export async function labUp(options: UpOptions): Promise<LabStatus> {
  const names = labNames(options.name);
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 50) {
    throw new LabInputError([`--nodes: must be an integer from 1 to 50, got ${options.nodes} [AMBIT_LAB_BAD_NODE_COUNT]`]);
  }
  const files = await readSourceFiles(options.files);
  validateOffline(files);
  if ((await isRunning(options.name)) || (await supervisorPid(names)) !== undefined) {
    throw new LabInputError([`lab "${options.name}" is already running; use another --name or run "ambit lab down --name ${options.name}" [AMBIT_LAB_ALREADY_RUNNING]`], 'AMBIT_LAB_ALREADY_RUNNING');
  }
  // Leftovers of a crashed lab of the same name go first.
  await destroyLab(names);
  await mkdir(names.logDir, { recursive: true, mode: 0o755 });
  // Before anything is started: a source that does not build fails `lab up` here, with its error.
  await bundleComponents(names).catch(async (error: unknown) => {
    await destroyLab(names).catch(() => undefined);
    throw error;
  });
  const log = openSync(join(names.logDir, 'supervisor.out'), 'a');
  const child = spawn(process.execPath, [SUPERVISOR_MAIN, '--name', names.lab, '--nodes', String(options.nodes)], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const pid = child.pid ?? 0;
  try {
    await waitFor(
      async () => {
        if (!processAlive(pid)) throw new AmbitError('AMBIT_LAB_START_FAILED', `the lab supervisor exited during start-up; see ${names.logDir}/supervisor.log`);
        return (await isRunning(names.lab)) || undefined;
      },
      { timeoutMs: 60_000 + options.nodes * 5000, intervalMs: 50, maxIntervalMs: 250, what: `lab ${names.lab} to start` },
    );
    if (files.length > 0) await applyFiles(names, files, 'apply');
    await waitWaypointsReady(names.lab, WAYPOINTS_READY_TIMEOUT_MS);
    return await labStatus(names.lab);
  } catch (error) {
    await destroyLab(names).catch(() => undefined);
    if (error instanceof AmbitError && error.code === 'AMBIT_CORE_TIMEOUT' && error.cause instanceof AmbitError) throw error.cause;
    throw error;
  }
}

const WAYPOINTS_READY_TIMEOUT_MS = 120_000;

/** `lab up` returns when every component is ready, waypoints too (apply does not wait for them). */
async function waitWaypointsReady(lab: string, timeoutMs: number): Promise<void> {
  let waiting: string[] = [];
  try {
    await waitFor(
      async () => {
        waiting = (await labStatus(lab)).components.filter((c) => c.kind === 'waypoint' && !c.ready).map((c) => `${c.namespace ?? '?'}/${c.name ?? '?'}`);
        return waiting.length === 0;
      },
      { timeoutMs, intervalMs: 50, maxIntervalMs: 500, what: 'waypoints to become ready' },
    );
  } catch (error) {
    if (!(error instanceof AmbitError && error.code === 'AMBIT_CORE_TIMEOUT')) throw error;
    throw new AmbitError('AMBIT_LAB_PODS_NOT_READY', `waypoint pods not ready after ${timeoutMs / 1000}s: ${waiting.join(', ')}`, {
      hint: `see the pod logs in ${labNames(lab).logDir}/pods/`,
    });
  }
}

async function applyFiles(names: LabNames, files: SourceFile[], mode: 'apply' | 'delete'): Promise<string[]> {
  const reply = await callSupervisor(names.socket, 'POST', mode === 'apply' ? '/apply' : '/delete', { files });
  const body = reply.body as { problems?: string[]; changed?: string[]; error?: string };
  if (reply.status === 422) throw new LabInputError(body.problems ?? []);
  if (reply.status !== 200) throw new AmbitError('AMBIT_LAB_APPLY_FAILED', body.error ?? `apply failed with status ${reply.status}`);
  return body.changed ?? [];
}

export async function labApply(lab: string, paths: readonly string[], mode: 'apply' | 'delete'): Promise<string[]> {
  const names = labNames(lab);
  const files = await readSourceFiles(paths);
  validateOffline(files);
  return applyFiles(names, files, mode);
}

/** Applies (or deletes) resources given as text, for commands that build their YAML (ambit waypoint apply). */
export async function labApplySources(lab: string, files: SourceFile[], mode: 'apply' | 'delete'): Promise<string[]> {
  validateOffline(files);
  return applyFiles(labNames(lab), files, mode);
}

/** Stops the lab gracefully if its supervisor answers, then removes whatever is left. */
export async function labDown(lab: string): Promise<CleanupReport> {
  const names = labNames(lab);
  const pid = await supervisorPid(names);
  if (pid !== undefined) {
    try {
      await callSupervisor(names.socket, 'POST', '/shutdown', {}, 10_000);
    } catch {
      // not answering: cleanup below kills it
    }
    await stopProcess(pid, 60_000);
  }
  return destroyLab(names);
}

/** NS/NAME names a pod, or a Deployment whose first pod is used. */
export function findPod(status: LabStatus, ref: string): PodStatusEntry {
  const [namespace, name, extra] = ref.split('/');
  if (!namespace || !name || extra !== undefined) throw new LabInputError([`"${ref}": expected NS/POD or NS/DEPLOYMENT [AMBIT_LAB_BAD_POD_REF]`]);
  const pod =
    status.pods.find((p) => p.namespace === namespace && p.name === name) ??
    status.pods.filter((p) => p.namespace === namespace && p.owner === `Deployment/${namespace}/${name}`).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))[0];
  if (!pod) throw new LabInputError([`"${ref}": no such pod or deployment in lab ${status.name} [AMBIT_LAB_POD_NOT_FOUND]`]);
  return pod;
}

/** Runs a command inside a pod's namespace (with its resolv.conf), stdio attached; returns its exit code. */
export async function labExec(lab: string, ref: string, command: readonly string[]): Promise<number> {
  const pod = findPod(await labStatus(lab), ref);
  const child = spawn('ip', ['netns', 'exec', pod.netns, ...command], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
    child.once('error', () => resolve(127));
  });
}

export interface ProbeSpec {
  to: string;
  protocol: 'TCP' | 'UDP';
  timeoutMs: number;
  http?: { path: string; method: string; headers: Record<string, string> };
  grpc?: boolean;
}

export interface ProbeResult {
  from: string;
  to: string;
  protocol: string;
  connected: boolean;
  status: number | null;
  server: string | null;
  error: string | null;
}

/** Runs probes from one pod, in one process inside its namespace, concurrently. */
export async function probeFromPod(pod: PodStatusEntry, probes: readonly ProbeSpec[]): Promise<ProbeResult[]> {
  const from = `${pod.namespace}/${pod.name}`;
  const request = JSON.stringify({ from, probes });
  const longest = Math.max(0, ...probes.map((p) => p.timeoutMs));
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', pod.netns, process.execPath, PROBE_MAIN, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const killer = setTimeout(() => child.kill('SIGKILL'), longest + 15_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      try {
        const parsed = JSON.parse(Buffer.concat(out).toString('utf8')) as ProbeResult[];
        resolve(parsed);
      } catch {
        reject(new AmbitError('AMBIT_LAB_PROBE_FAILED', `probe from ${from} failed (exit ${code}): ${Buffer.concat(err).toString('utf8').slice(0, 500)}`));
      }
    });
    child.stdin.end(request);
  });
}

export async function labProbe(lab: string, fromRef: string, spec: ProbeSpec): Promise<ProbeResult> {
  const pod = findPod(await labStatus(lab), fromRef);
  const [result] = await probeFromPod(pod, [spec]);
  if (!result) throw new AmbitError('AMBIT_LAB_PROBE_FAILED', 'the probe returned no result');
  return result;
}

export const MATRIX_EXCLUDED_NAMESPACES = ['kube-system', 'istio-system'];

/** Pods a gateway controller runs (waypoints), whatever the Gateway is called. */
function isGatewayPod(p: PodStatusEntry): boolean {
  return p.labels?.['gateway.networking.k8s.io/gateway-name'] !== undefined;
}

export interface MatrixOptions {
  port: number;
  protocol: 'TCP' | 'UDP';
  namespaces?: readonly string[];
  timeoutMs: number;
}

export interface Matrix {
  port: number;
  protocol: string;
  matrix: Record<string, Record<string, boolean>>;
}

/** Every pod to every other pod (by pod IP) among pods declaring the port; sources run in parallel. */
export async function labProbeMatrix(lab: string, options: MatrixOptions): Promise<Matrix> {
  const status = await labStatus(lab);
  const inScope = (p: PodStatusEntry): boolean =>
    options.namespaces ? options.namespaces.includes(p.namespace) : !MATRIX_EXCLUDED_NAMESPACES.includes(p.namespace) && !isGatewayPod(p);
  const pods = status.pods
    .filter((p) => inScope(p) && p.ip && p.ports.some((port) => port.port === options.port && port.protocol === options.protocol))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const matrix: Record<string, Record<string, boolean>> = {};
  // Each source process runs its probes concurrently; a few sources per core keep the machine
  // from being so loaded that probes time out on CPU rather than on the network.
  const limit = Math.max(2, availableParallelism() * 2);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pods.length) {
      const source = pods[next++] as PodStatusEntry;
      const targets = pods.filter((p) => p !== source);
      const results = await probeFromPod(
        source,
        targets.map((t) => ({ to: `${t.ip}:${options.port}`, protocol: options.protocol, timeoutMs: options.timeoutMs })),
      );
      const row: Record<string, boolean> = {};
      targets.forEach((t, i) => (row[`${t.namespace}/${t.name}`] = results[i]?.connected ?? false));
      matrix[`${source.namespace}/${source.name}`] = row;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, pods.length) }, worker));
  const ordered: Record<string, Record<string, boolean>> = {};
  for (const p of pods) ordered[`${p.namespace}/${p.name}`] = matrix[`${p.namespace}/${p.name}`] ?? {};
  return { port: options.port, protocol: options.protocol, matrix: ordered };
}

export type RotationPhaseStep = 'start' | 'switch' | 'finish';

export interface RotateRootResult {
  /** 200 done; 409 out of order (the body names the next step); other statuses: failure. */
  status: number;
  body: { phase?: string; roots?: string[]; signingRoot?: string; error?: string; hint?: string };
}

/** One step of the CA root rotation (docs/adr/0004), relayed to the control plane. */
export async function labRotateRoot(lab: string, phase: RotationPhaseStep): Promise<RotateRootResult> {
  const reply = await callSupervisor(labNames(lab).socket, 'POST', `/control-plane/rotate-root?phase=${phase}`, undefined, 60_000);
  return { status: reply.status, body: (reply.body ?? {}) as RotateRootResult['body'] };
}

/** A JSON document a component serves, relayed by the supervisor (`control-plane/syncz`, ...). */
export async function labComponentJson(lab: string, what: 'control-plane/syncz' | 'control-plane/config_dump' | `ztunnel/${string}/config_dump`): Promise<unknown> {
  const reply = await callSupervisor(labNames(lab).socket, 'GET', `/${what}`, undefined, 30_000);
  if (reply.status !== 200) throw new AmbitError('AMBIT_LAB_COMPONENT_UNAVAILABLE', `${what}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export interface NetpolExplanation {
  /** The node whose agent answered (the destination's). */
  node: string;
  allowed: boolean;
  /** Egress side, then ingress side: the policy and rule that decided, default deny, or not isolated. */
  reason: string;
  from?: string;
  to: string;
}

/** What NetworkPolicy and Calico policy decide for a new connection between two lab pods. */
export async function labExplainNetpol(lab: string, query: { from: string; to: string; port: number; protocol: string }): Promise<NetpolExplanation> {
  const reply = await callSupervisor(labNames(lab).socket, 'POST', '/netpol/explain', query, 30_000);
  if (reply.status !== 200) {
    const error = (reply.body as { error?: string } | undefined)?.error ?? JSON.stringify(reply.body);
    throw new AmbitError(reply.status === 404 || reply.status === 400 ? 'AMBIT_LAB_BAD_REQUEST' : 'AMBIT_LAB_COMPONENT_UNAVAILABLE', `netpol explain: ${error}`);
  }
  return reply.body as NetpolExplanation;
}
