// DEL: undo ADD, best effort and idempotent. Succeeds when the netns, the veth or the address is
// already gone, with or without prevResult; the record (or, without one, the config) says what
// ADD made.
import { findDelegate, runDelegate } from './delegate.ts';
import { deleteLink, hostVethName } from './links.ts';
import type { PluginContext } from './context.ts';

export async function del(ctx: PluginContext): Promise<void> {
  const { config, env, logger } = ctx;
  const record = ctx.attachments.read(ctx.key);
  const mode = record?.mode ?? (config.ipam ? 'primary' : 'chained');
  if (mode === 'primary') {
    // Removing the host end removes the pod end and both /32 routes with it; when the netns is
    // gone the kernel has already removed the pair.
    const hostIfname = record?.hostIfname ?? hostVethName(env.containerId, env.ifname);
    const removed = deleteLink(hostIfname);
    logger.debug({ hostIfname, removed }, 'host veth');
    if (config.ipam) runDelegate(findDelegate(config.ipam.type, env.path), 'DEL', ctx.stdin);
  }
  ctx.attachments.remove(ctx.key);
  await ctx.handOff.deleted(ctx.key, record);
}
