// Removing a lab completely, from its names alone: this works after a clean stop and after the
// supervisor was killed with SIGKILL. Every namespace of the lab is found by its name prefix,
// every process inside those namespaces is killed, then the namespaces (and with them every veth,
// bridge and nftables table inside), the /etc/netns entries and the state directory are removed.
import { readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { waitFor, type Logger, silentLogger } from '@ambit/core';
import { belongsToLab, type LabNames } from './names.ts';
import { deleteNetns, listNetns, netnsPids } from './topology.ts';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The supervisor's pid, only if that pid still runs this lab's supervisor (pids get reused). */
export async function supervisorPid(names: LabNames): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(names.pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const nameAt = cmdline.indexOf('--name');
    if (cmdline.some((a) => a.endsWith('supervisor-main.ts')) && cmdline[nameAt + 1] === names.lab) return pid;
  } catch {
    // not running
  }
  return undefined;
}

async function killAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  try {
    await waitFor(() => !processAlive(pid), { timeoutMs, intervalMs: 20, what: `process ${pid} to exit` });
    return true;
  } catch {
    return false;
  }
}

export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  if (!(await killAndWait(pid, 'SIGTERM', graceMs))) await killAndWait(pid, 'SIGKILL', 5000);
}

export interface CleanupReport {
  netns: string[];
  processes: number;
}

export async function destroyLab(names: LabNames, logger: Logger = silentLogger): Promise<CleanupReport> {
  const report: CleanupReport = { netns: [], processes: 0 };
  const supervisor = await supervisorPid(names);
  if (supervisor !== undefined) {
    await stopProcess(supervisor, 10_000);
    report.processes++;
  }
  // Pods first, then nodes, then the root namespace that holds the bridge.
  const namespaces = (await listNetns((n) => belongsToLab(names, n))).sort((a, b) => rank(names, a) - rank(names, b));
  for (const netns of namespaces) {
    for (const pid of await netnsPids(netns)) {
      if (await killAndWait(pid, 'SIGKILL', 5000)) report.processes++;
    }
    await deleteNetns(netns);
    report.netns.push(netns);
  }
  if (existsSync('/etc/netns')) {
    for (const entry of await readdir('/etc/netns')) {
      if (belongsToLab(names, entry)) await rm(`/etc/netns/${entry}`, { recursive: true, force: true });
    }
  }
  await rm(names.stateDir, { recursive: true, force: true });
  logger.info({ lab: names.lab, ...report }, 'lab removed');
  return report;
}

function rank(names: LabNames, netns: string): number {
  if (netns === names.rootNetns) return 2;
  return netns.startsWith(`${names.rootNetns}.p.`) ? 0 : 1;
}
