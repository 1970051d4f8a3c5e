// The control plane as the lab runs it: its own network namespace on the underlay
// (CONTROL_PLANE_IP), the lab's config directory as its config source, node credentials issued by
// the lab, its CA kept in the lab's state directory, restarted with backoff if it exits.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { waitFor, type Logger } from '@ambit/core';
import { ManagedProcess } from './managed-process.ts';
import { componentGet, componentRequest } from './component-http.ts';
import { CONTROL_PLANE_IP } from './addresses.ts';
import { componentMains } from './bundle.ts';
import type { LabNames } from './names.ts';

export const MONITORING_PORT = 15014;

/** The app is started as a process from its bundle (bundle.ts), never imported (apps meet only on the wire). */
export function controlPlaneProcess(names: LabNames, logger: Logger): ManagedProcess {
  return new ManagedProcess({
    name: 'control-plane',
    command: 'ip',
    args: ['netns', 'exec', names.controlPlaneNetns, process.execPath, componentMains(names)['control-plane']],
    env: {
      ...process.env,
      CONFIG_DIR: names.configDir,
      CA_DIR: names.caDir,
      NODE_CREDENTIALS: join(names.credentialsDir, 'nodes.json'),
      SERVER_ADDRESSES: CONTROL_PLANE_IP,
      LOG_FORMAT: 'json',
    },
    logFile: join(names.logDir, 'control-plane.log'),
    logger,
  });
}

export async function controlPlaneGet(names: LabNames, path: string): Promise<{ status: number; body: string }> {
  return componentGet(names.controlPlaneNetns, '127.0.0.1', MONITORING_PORT, path);
}

/** POST to the monitoring port (root rotation steps); a step may take a moment (a new key pair). */
export async function controlPlanePost(names: LabNames, path: string): Promise<{ status: number; body: string }> {
  return componentRequest(names.controlPlaneNetns, '127.0.0.1', MONITORING_PORT, 'POST', path, 30_000);
}

export async function controlPlaneReady(names: LabNames): Promise<boolean> {
  try {
    return (await controlPlaneGet(names, '/ready')).status === 200;
  } catch {
    return false;
  }
}

/**
 * Returns once the control plane has read everything written to its config directory so far:
 * touching a dot-file (which the source does not parse) makes its directory watch start a scan,
 * and a scan that started after this call began has seen every earlier write.
 */
export async function waitControlPlaneSynced(names: LabNames, timeoutMs: number): Promise<void> {
  const since = Date.now();
  await writeFile(join(names.configDir, '.sync-request'), `${since}\n`);
  await waitFor(
    async () => {
      const reply = await controlPlaneGet(names, '/debug/config_status');
      if (reply.status !== 200) return false;
      return (JSON.parse(reply.body) as { syncedAsOf: number }).syncedAsOf > since;
    },
    { timeoutMs, intervalMs: 10, maxIntervalMs: 100, what: 'the control plane to read the change' },
  );
}
