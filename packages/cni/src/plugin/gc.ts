// GC: remove every attachment of this network that is not in cni.dev/valid-attachments (veth and
// record), then let the IPAM plugin drop its stale reservations. Continues past errors and
// reports them all at the end.
import { CNI_CODE, cniError } from '../protocol/errors.ts';
import type { PluginContext } from './context.ts';
import { findDelegate, runDelegate } from './delegate.ts';
import { deleteLink } from './links.ts';

export async function gc(ctx: PluginContext): Promise<void> {
  const { config, logger } = ctx;
  const valid = new Set((config.validAttachments ?? []).map((a) => `${a.containerID}\n${a.ifname}`));
  const errors: string[] = [];
  for (const record of ctx.attachments.list()) {
    if (record.network !== config.name || valid.has(`${record.containerId}\n${record.ifname}`)) continue;
    try {
      if (record.mode === 'primary' && record.hostIfname) deleteLink(record.hostIfname);
      ctx.attachments.remove(record);
      await ctx.handOff.deleted(record, record);
      logger.info({ containerId: record.containerId, ifname: record.ifname }, 'stale attachment collected');
    } catch (error) {
      errors.push(`attachment ${record.containerId}/${record.ifname}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (config.ipam) {
    try {
      runDelegate(findDelegate(config.ipam.type, ctx.env.path), 'GC', ctx.stdin);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (errors.length > 0) {
    throw cniError(CNI_CODE.gcIncomplete, 'AMBIT_CNI_GC_INCOMPLETE', `GC finished with ${errors.length} error(s): ${errors.join('; ')}`);
  }
}
