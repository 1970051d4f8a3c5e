// STATUS: ready to serve ADD when the attachment directory is writable and the IPAM plugin
// (asked in turn, as the spec requires of delegating plugins) says so. Not ready -> code 50.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { CNI_CODE, cniCodeOf, cniError } from '../protocol/errors.ts';
import type { PluginContext } from './context.ts';
import { findDelegate, runDelegate } from './delegate.ts';

export async function status(ctx: PluginContext): Promise<void> {
  const dir = ctx.attachments.dir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const probe = join(dir, `.status-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (error) {
    throw cniError(CNI_CODE.notAvailable, 'AMBIT_CNI_NOT_AVAILABLE', `ambit-cni cannot use its data directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (!ctx.config.ipam) return;
  try {
    runDelegate(findDelegate(ctx.config.ipam.type, ctx.env.path), 'STATUS', ctx.stdin);
  } catch (error) {
    const code = cniCodeOf(error);
    if (code === CNI_CODE.notAvailable || code === CNI_CODE.limitedConnectivity) throw error;
    throw cniError(CNI_CODE.notAvailable, 'AMBIT_CNI_NOT_AVAILABLE', `IPAM is not available: ${error instanceof AmbitError ? error.message : String(error)}`, { cause: error });
  }
}
