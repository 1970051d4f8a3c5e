// The conflist each lab node's "kubelet" runs: ambit-cni as the primary plugin with ambit-ipam
// handing out the node's pod CIDR. State lives in the lab's directory, so `down` removes it.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabNames } from './names.ts';
import type { LabNode } from './topology.ts';
import { nodePaths } from './node-components.ts';

/** Ambit's plugin binaries, then Debian's reference plugins (for chained set-ups). */
export const CNI_BIN_DIRS = [join(dirname(fileURLToPath(import.meta.resolve('@ambit/cni'))), '..', 'bin'), '/usr/lib/cni'];

export function buildConflist(names: LabNames, node: LabNode): Record<string, unknown> {
  const dataDir = join(names.stateDir, 'cni', node.name);
  return {
    cniVersion: '1.1.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: 'ambit',
    plugins: [
      {
        type: 'ambit-cni',
        dataDir,
        // The node's CNI agent: enrolled pods are captured and handed to the ztunnel before ADD returns.
        agentSocket: nodePaths(names, node.name).pluginSocket,
        ipam: { type: 'ambit-ipam', subnet: node.podCIDR, gateway: node.gateway, dataDir },
      },
    ],
  };
}
