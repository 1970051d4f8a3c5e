// Node credentials for the lab: each node gets its own bearer token for the control plane (xDS
// and CA), as a Kubernetes cluster gives each ztunnel a projected service-account token. The lab
// supervisor writes them; the control plane's NodeTokenAuthenticator reads `nodes.json`, which
// holds only sha256 hashes of the tokens, never the tokens themselves.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AmbitError } from './errors.ts';

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface IssuedNodeCredentials {
  /** Path of nodes.json (hashes only), for the control plane. */
  nodesFile: string;
  /** Node name -> path of `<node>.token` (mode 0600), for that node's ztunnel. */
  tokenFiles: Record<string, string>;
}

/**
 * Writes `<dir>/<node>.token` (mode 0600, 32 random bytes as hex) for each node and `<dir>/nodes.json`
 * with their sha256 hashes (replaced atomically, so a running NodeTokenAuthenticator picks it up).
 * Every call issues fresh tokens for the nodes given; nodes not given lose their credential.
 */
export async function issueNodeCredentials(dir: string, nodes: string[]): Promise<IssuedNodeCredentials> {
  for (const node of nodes) {
    if (typeof node !== 'string' || !NODE_NAME.test(node) || node.includes('..')) {
      throw new AmbitError('AMBIT_CORE_BAD_NODE_NAME', `node name ${JSON.stringify(node)} is not a DNS name (a-z 0-9 - .)`, { hint: 'lab nodes are named node-1 .. node-K' });
    }
  }
  if (new Set(nodes).size !== nodes.length) throw new AmbitError('AMBIT_CORE_BAD_NODE_NAME', `node names repeat: ${nodes.join(', ')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hashes: Record<string, string> = {};
  const tokenFiles: Record<string, string> = {};
  for (const node of nodes) {
    const token = randomBytes(32).toString('hex');
    const file = join(dir, `${node}.token`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${token}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
    hashes[hashToken(token)] = node;
    tokenFiles[node] = file;
  }
  const nodesFile = join(dir, 'nodes.json');
  const tmp = `${nodesFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ nodes: hashes }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, nodesFile);
  return { nodesFile, tokenFiles };
}
